"""The designs of the screening loops: the fine-tuned loop's :class:`LoopSettings` and a fixed-feature ranker's
:class:`RankerSettings`, with the frozen ones.

Plain dataclasses, light to import: ``python -m mlmap screen --help`` reads the rankers' names and the
loop's settings from here without loading numpy or scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..recipe import epochs_for_steps

if TYPE_CHECKING:
    import numpy as np

#: all-MiniLM-L6-v2 was trained as a sentence encoder on inputs of at most 256 tokens.
EMBEDDING_MAX_LENGTH = 256


@dataclass(frozen=True)
class LoopSettings:
    """How a simulated screening proceeds: the seed set, the batch schedule, and the fine-tuned model's training."""

    #: random relevant and irrelevant documents labelled before the first round (the reviewer's prior knowledge)
    seed_relevant: int = 5
    seed_irrelevant: int = 5
    #: each round screens max(min_batch, growth x documents screened so far)
    min_batch: int = 50
    growth: float = 0.3
    #: the fine-tuned model: from the pretrained model in every round, on titles and the first 256 tokens
    max_length: int = 256
    learning_rate: float = 1e-4
    epochs: int = 2
    #: at least this many optimizer steps, so that the first rounds (a few dozen labels) learn something
    min_steps: int = 20
    batch_size: int = 16
    #: the fine-tuned model trains on a class-balanced sample of the screened documents, drawn afresh
    #: each round: every relevant one (up to a quarter of max_train) and up to this many irrelevant
    #: ones per relevant one, at most max_train in all; this bounds the cost of a round
    irrelevant_per_relevant: float = 3.0
    max_train: int = 600

    @property
    def max_relevant(self) -> int:
        """The most relevant documents a round trains on: the share of ``max_train`` that leaves room for
        ``irrelevant_per_relevant`` irrelevant ones each."""
        return int(self.max_train / (1 + self.irrelevant_per_relevant))

    def next_batch(self, screened: int, total: int) -> int:
        """How many documents the next round screens."""
        return min(total - screened, max(self.min_batch, math.ceil(self.growth * screened)))

    def epochs_for(self, n_train: int) -> int:
        """Epochs for ``n_train`` labelled documents: ``epochs``, or more when that gives fewer than ``min_steps`` steps."""
        return epochs_for_steps(n_train, self.batch_size, self.min_steps, self.epochs)


#: The settings of the committed simulations (``python -m mlmap simulate``).
LOOP_SETTINGS = LoopSettings()


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
            return LOOP_SETTINGS.next_batch(screened, total)
        raise ValueError(f"unknown schedule {self.schedule!r}: choose fixed or screen")

    def weights(self, labels: np.ndarray) -> np.ndarray:
        # imported here: the designs are read by `mlmap screen --help`, which needs no numpy
        from .balancers import balanced_weights, uniform_weights

        return uniform_weights(labels) if self.balance_ratio is None else balanced_weights(labels, self.balance_ratio)

    def with_(self, **changes: Any) -> RankerSettings:
        return replace(self, **changes)

    def feature_key(self) -> tuple:
        """The fields :func:`features_for` reads: designs with the same key share one feature matrix."""
        return (self.features, self.embedding_weight, self.centre, self.min_df, self.max_length)



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
