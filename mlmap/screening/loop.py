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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .balancers import balanced_weights, uniform_weights
from .classifiers import Classifier, make_classifier
from .features import EMBEDDING_MAX_LENGTH, Embedder, corpus_features
from .queries import max_query


@dataclass(frozen=True)
class RankerSettings:
    """One design of the ranker and of its retraining schedule."""

    #: ``tfidf``, ``embeddings`` (frozen MiniLM) or ``both`` (stacked, embeddings scaled by ``embedding_weight``)
    features: str = "both"
    embedding_weight: float = 1.0
    #: subtract the corpus's mean embedding (no labels involved) and renormalise
    centre: bool = False
    min_df: int = 1
    max_length: int = EMBEDDING_MAX_LENGTH
    #: ``svm`` (linear, its loss set by ``loss``) or ``logistic``, with inverse regularisation ``c``
    classifier: str = "svm"
    c: float = 0.11
    #: the SVM's loss: ``squared_hinge`` (ASReview's) or ``hinge``; ignored by ``logistic``
    loss: str = "squared_hinge"
    #: ASReview's ``Balanced`` ratio; ``None`` fits unweighted
    balance_ratio: float | None = 9.8
    #: ``fixed``: retrain after every ``step`` screened documents; ``screen``: the fine-tuned loop's growing batches (LOOP_SETTINGS)
    schedule: str = "fixed"
    step: int = 1

    def batch(self, screened: int, total: int) -> int:
        """How many documents are screened before the next retraining."""
        if self.schedule == "fixed":
            return min(self.step, total - screened)
        if self.schedule == "screen":
            from .simulation import LOOP_SETTINGS

            return LOOP_SETTINGS.next_batch(screened, total)
        raise ValueError(f"unknown schedule {self.schedule!r}: choose fixed or screen")

    def weights(self, labels: np.ndarray) -> np.ndarray:
        return uniform_weights(labels) if self.balance_ratio is None else balanced_weights(labels, self.balance_ratio)

    def with_(self, **changes: Any) -> RankerSettings:
        return replace(self, **changes)

    def feature_key(self) -> tuple:
        """The fields :func:`features_for` reads: designs with the same key share one feature matrix."""
        return (self.features, self.embedding_weight, self.centre, self.min_df, self.max_length)


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


#: The frozen design, chosen on development seed sets 100-109 (results/screening/exploration.md):
#: TF-IDF and MiniLM embeddings at half weight, a linear SVM with the hinge loss (C 0.15) and
#: ASReview's balance (ratio 9.8), retrained after every screened document.
DEFAULT_RANKER = RankerSettings(features="both", embedding_weight=0.5, classifier="svm", c=0.15, loss="hinge",
                                balance_ratio=9.8, schedule="fixed", step=1)

#: The reported models: the frozen design and its ablations, each without one of its parts.
RANKER_MODELS: dict[str, RankerSettings] = {
    "minilm_tfidf_svm": DEFAULT_RANKER,
    "minilm_tfidf_svm_no_minilm": DEFAULT_RANKER.with_(features="tfidf"),
    "minilm_tfidf_svm_screen_batches": DEFAULT_RANKER.with_(schedule="screen"),
    # retrained after every 25 documents: the batch `python -m mlmap screen` hands a reviewer by default
    "minilm_tfidf_svm_batch25": DEFAULT_RANKER.with_(step=25),
    "minilm_tfidf_svm_unbalanced": DEFAULT_RANKER.with_(balance_ratio=None),
    # the design frozen first (until 2026-12-02): ASReview's SVM, squared hinge at C 0.11
    "minilm_tfidf_svm_squared_hinge": DEFAULT_RANKER.with_(loss="squared_hinge", c=0.11),
    # the design the search on half a of the documents chose (results/screening-split): ASReview's
    # elas_u4 rebuilt from its parts, TF-IDF and a squared-hinge SVM at C 0.11, no embeddings
    "tfidf_svm_squared_hinge": DEFAULT_RANKER.with_(features="tfidf", loss="squared_hinge", c=0.11),
}
