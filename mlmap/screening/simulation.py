"""Prioritised screening, simulated: a model ranks what is not yet screened, the next batch is revealed, repeat.

Each round trains a fresh model on the labels revealed so far (never on a label that is still
hidden), ranks the unscreened documents by P(relevant), and "screens" the next batch from the top.
Batches grow with the number of documents screened (as in Cormack & Grossman's AutoTAR), so the
number of rounds grows with the logarithm of the collection, not with its size. Once every relevant
document has been screened the rest are all irrelevant, so their order cannot change any measure:
the simulation then appends them in the last ranking's order instead of training on.

A run is saved after every round, so an interrupted simulation resumes where it stopped, and gives
the same order (each round is seeded).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..recipe import SEED
from .designs import LOOP_SETTINGS, LoopSettings


class Ranker(Protocol):
    """Scores the unscreened documents from the screened ones: higher means screen earlier."""

    def __call__(self, train_texts: Sequence[str], train_labels: np.ndarray, other_texts: Sequence[str],
                 seed: int) -> np.ndarray: ...


def training_sample(labels: np.ndarray, seed: int, settings: LoopSettings = LOOP_SETTINGS) -> np.ndarray:
    """Positions of the screened documents a fine-tuned model trains on this round (see :class:`LoopSettings`)."""
    labels = np.asarray(labels).astype(int)
    relevant, irrelevant = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    rng = np.random.default_rng(seed)
    n_relevant = min(len(relevant), settings.max_relevant)
    n_irrelevant = min(len(irrelevant), settings.max_train - n_relevant,
                       math.ceil(settings.irrelevant_per_relevant * max(n_relevant, 1)))
    return np.sort(np.r_[rng.choice(relevant, n_relevant, replace=False), rng.choice(irrelevant, n_irrelevant, replace=False)])


def seed_set(labels: np.ndarray, seed: int, settings: LoopSettings = LOOP_SETTINGS) -> np.ndarray:
    """Positions of a random seed set: ``seed_relevant`` relevant and ``seed_irrelevant`` irrelevant documents."""
    labels = np.asarray(labels).astype(int)
    rng = np.random.default_rng(seed)
    relevant, irrelevant = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if len(relevant) < settings.seed_relevant or len(irrelevant) < settings.seed_irrelevant:
        raise ValueError(f"a seed set needs {settings.seed_relevant} relevant and {settings.seed_irrelevant} irrelevant "
                         f"documents; there are {len(relevant)} and {len(irrelevant)}")
    return np.r_[rng.choice(relevant, settings.seed_relevant, replace=False),
                 rng.choice(irrelevant, settings.seed_irrelevant, replace=False)]


def low_prevalence_subset(labels: np.ndarray, n_relevant: int = 50, seed: int = SEED) -> np.ndarray:
    """A boolean mask: every irrelevant document and ``n_relevant`` relevant ones drawn at random (seeded)."""
    labels = np.asarray(labels).astype(int)
    relevant = np.flatnonzero(labels == 1)
    if n_relevant > len(relevant):
        raise ValueError(f"asked for {n_relevant} relevant documents, there are {len(relevant)}")
    keep = labels == 0
    keep[np.random.default_rng(seed).choice(relevant, n_relevant, replace=False)] = True
    return keep


def simulate_screening(texts: Sequence[str], labels: np.ndarray, seed_positions: Sequence[int], rank: Ranker,
                       settings: LoopSettings = LOOP_SETTINGS, seed: int = SEED, state: dict[str, Any] | None = None,
                       save: Callable[[dict[str, Any]], None] | None = None,
                       on_round: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The screening order (positions) of a simulated prioritised screening of ``texts``.

    ``state`` is what an earlier, interrupted call passed to ``save`` (after every round): the
    simulation continues from it. ``on_round(screened, total)`` reports progress.
    """
    labels = np.asarray(labels).astype(int)
    texts, total = list(texts), len(labels)
    if len(texts) != total:
        raise ValueError(f"{len(texts)} texts but {total} labels")
    state = dict(state or {"order": [int(i) for i in seed_positions], "rounds": []})
    if len(set(state["order"])) != len(state["order"]):
        raise ValueError("the seed set or the saved order repeats a document")
    n_relevant = int(labels.sum())
    while len(state["order"]) < total:
        order = np.asarray(state["order"])
        if labels[order].sum() == n_relevant and "ranking" in state:
            # every relevant document is found: the rest keep the last ranking's order
            screened = set(state["order"])
            state["order"] += [i for i in state["ranking"] if i not in screened]
            break
        rest = np.setdiff1d(np.arange(total), order)
        started = time.perf_counter()
        round_seed = seed + len(state["rounds"])
        scores = rank([texts[i] for i in order], labels[order], [texts[i] for i in rest], round_seed)
        ranking = rest[np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")]
        batch = settings.next_batch(len(order), total)
        state["order"] = state["order"] + [int(i) for i in ranking[:batch]]
        state["ranking"] = [int(i) for i in ranking]
        state["rounds"].append({"trained_on": int(len(order)), "screened": len(state["order"]),
                                "seconds": round(time.perf_counter() - started, 1)})
        if save is not None:
            save(state)
        if on_round is not None:
            on_round(len(state["order"]), total)
    return np.asarray(state["order"])


def tfidf_ranker(train_texts: Sequence[str], train_labels: np.ndarray, other_texts: Sequence[str], seed: int) -> np.ndarray:
    """TF-IDF (vocabulary from all documents, as in active learning) and a class-balanced logistic regression: P(relevant)."""
    from sklearn.linear_model import LogisticRegression

    from ..baselines import tfidf_features

    x_train, x_other = tfidf_features(train_texts, other_texts, vocabulary_from_all=True)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed)
    return model.fit(x_train, np.asarray(train_labels).astype(int)).predict_proba(x_other)[:, 1]


class FineTunedRanker:
    """Fine-tunes the pretrained model on a balanced sample of the screened documents (from scratch every
    round, see :func:`training_sample`): P(relevant)."""

    def __init__(self, model_name: str | None = None, settings: LoopSettings = LOOP_SETTINGS,
                 output_dir: str | None = None) -> None:
        from ..models import resolve_model
        from ..paths import PROJECT_ROOT

        self.model_name, self.settings = resolve_model(model_name), settings
        self.output_dir = output_dir or str(PROJECT_ROOT / ".cache" / "simulation-trainer")

    def __call__(self, train_texts: Sequence[str], train_labels: np.ndarray, other_texts: Sequence[str],
                 seed: int) -> np.ndarray:
        from ..tokenizing import hf_tokenize_data
        from ..training import fine_tune

        s = self.settings
        sample = training_sample(train_labels, seed, s)
        train = pd.DataFrame({"text": [train_texts[i] for i in sample], "labels": np.asarray(train_labels).astype(int)[sample]})
        trainer = fine_tune(train, model_name=self.model_name, max_length=s.max_length, learning_rate=s.learning_rate,
                            num_train_epochs=s.epochs_for(len(train)), per_device_train_batch_size=s.batch_size,
                            seed=seed, output_dir=self.output_dir, disable_tqdm=True, logging_strategy="no")
        others = hf_tokenize_data(pd.DataFrame({"text": list(other_texts)}), trainer.processing_class, s.max_length)
        return trainer.predict_proba(others, progress=False)
