"""A ranker (features + balancer + classifier + max query) and the simulation that retrains it every ``step`` labels.

Features are computed once per corpus; each retraining fits only the classifier, on the rows of the
documents screened so far with their revealed labels, and queries the rest. ``schedule="screen"``
uses the batches of :class:`mlmap.LoopSettings` (50 documents or 30% of those screened)
instead of a fixed step: the ablation of per-document retraining.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .classifiers import Classifier, make_classifier
from .designs import DEFAULT_RANKER, RANKER_MODELS, RankerSettings  # noqa: F401 (also read as loop.<name>)
from .features import Embedder, corpus_features
from .queries import max_query



def features_for(texts: Sequence[str], settings: RankerSettings, model_name: str | None = None,
                 embed: Embedder | None = None, cache_dir: str | os.PathLike | None = None) -> Any:
    """The corpus's feature matrix for ``settings`` (computed once, reused for every retraining)."""
    return corpus_features(texts, settings.features, settings.embedding_weight, settings.min_df, model_name,
                           settings.max_length, embed=embed, centre=settings.centre, cache_dir=cache_dir)


ClassifierFactory = Callable[[RankerSettings, int], Classifier]


def default_classifier(settings: RankerSettings, seed: int) -> Classifier:
    return make_classifier(settings.classifier, settings.c, seed, settings.loss if settings.classifier == "svm" else None)


def fit_and_score(features: Any, train: np.ndarray, labels: np.ndarray, rest: np.ndarray, settings: RankerSettings,
                  seed: int = 0, new_classifier: ClassifierFactory = default_classifier) -> np.ndarray:
    """One retraining: a classifier fitted on the ``train`` rows with their ``labels`` (balanced as ``settings`` say)
    scores the ``rest`` rows (higher = screen sooner)."""
    labels = np.asarray(labels).astype(int)
    classifier = new_classifier(settings, seed)
    classifier.fit(features[train], labels, sample_weight=settings.weights(labels))
    return classifier.scores(features[rest])


def simulate_order(features: Any, labels: np.ndarray, seed_positions: Sequence[int], settings: RankerSettings,
                   seed: int = 0, new_classifier: ClassifierFactory = default_classifier,
                   stats: dict[str, Any] | None = None) -> np.ndarray:
    """The screening order (positions) from the seed set: fit on what is screened, screen the next batch, repeat.

    A label is read only once its document is screened. Once every relevant document is screened
    the rest are all irrelevant, so their order changes no measure: they keep the last ranking's
    order. ``stats`` (if given) receives the number of fits and the seconds spent.
    """
    labels = np.asarray(labels).astype(int)
    total, n_relevant = len(labels), int(labels.sum())
    if features.shape[0] != total:
        raise ValueError(f"{features.shape[0]} feature rows but {total} labels")
    order = [int(i) for i in seed_positions]
    if len(set(order)) != len(order):
        raise ValueError("the seed set repeats a document")
    screened = np.zeros(total, dtype=bool)
    screened[order] = True
    started, fits, ranking = time.perf_counter(), 0, None
    while len(order) < total:
        train = np.asarray(order)
        revealed = labels[train]
        if ranking is not None and revealed.sum() == n_relevant:
            order += [int(i) for i in ranking if not screened[i]]
            break
        rest = np.flatnonzero(~screened)
        scores = fit_and_score(features, train, revealed, rest, settings, seed + fits, new_classifier)
        fits += 1
        ranking = max_query(scores, rest, len(rest))
        batch = ranking[: settings.batch(len(order), total)]
        order += [int(i) for i in batch]
        screened[batch] = True
    if stats is not None:
        stats.update(fits=fits, seconds=round(time.perf_counter() - started, 2))
    return np.asarray(order)
