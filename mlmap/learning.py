"""Did a fine-tuned model learn? Each label's loss against the best constant prediction of that label.

A model whose encoder stops depending on its input ends at a constant: the best constant under its
own loss (the label's share in the training labels, or 0.5 under ``pos_weight`` = negatives /
positives). Its loss on the documents checked is then that constant's loss. A model that learned
does clearly better, for a rare label too, so the ratio of the two losses is a check that holds for
every label whatever its share: a ratio above :data:`MAX_LOSS_RATIO` means the label did not learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

#: A label learned when its loss is at most this share of the best constant prediction's loss.
MAX_LOSS_RATIO = 0.9
#: Documents of the training set a check predicts (a seeded sample when there are more).
CHECK_DOCUMENTS = 512
_EPS = 1e-7


class DidNotLearnError(RuntimeError):
    """Fine-tuning ended with labels the model did not learn, after every attempt it was allowed."""

    def __init__(self, labels: Sequence[str], attempts: list[dict[str, Any]]) -> None:
        self.labels, self.attempts = list(labels), attempts
        tried = ", ".join(f"seed {a['seed']}" + (f" at learning rate {a['learning_rate']:g}" if "learning_rate" in a else "")
                          for a in attempts)
        super().__init__(
            f"the fine-tuned model did not learn {', '.join(self.labels)}: after {len(attempts)} attempt(s) "
            f"({tried}) its loss on the training documents stayed near that of predicting a constant. Try a lower "
            "learning rate or more training steps (learning_rate, num_train_epochs), more labelled documents of "
            "these labels, or leave these labels out")


@dataclass
class LearningCheck:
    """One check of a trained model: per label, its loss, the best constant's loss, their ratio and ROC AUC."""

    label_names: list[str]
    documents: int
    loss: list[float]
    constant_loss: list[float]
    loss_ratio: list[float]
    auc: list[float | None]
    learned: list[bool]

    @property
    def ok(self) -> bool:
        """Whether every label learned."""
        return all(self.learned)

    @property
    def failed_labels(self) -> list[str]:
        return failed_labels(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def failed_labels(record: dict[str, Any]) -> list[str]:
    """The labels a check did not find learned, from a check or an attempt as recorded (``as_dict``)."""
    return [name for name, ok in zip(record["label_names"], record["learned"]) if not ok]


def _weighted_log_loss(y: np.ndarray, p: np.ndarray, weight: float) -> float:
    p = np.clip(p, _EPS, 1 - _EPS)
    return float(np.mean(-(weight * y * np.log(p) + (1 - y) * np.log(1 - p))))


def check_learning(
    labels: np.ndarray,
    proba: np.ndarray,
    base_rate: np.ndarray | Sequence[float] | None = None,
    pos_weight: np.ndarray | Sequence[float] | None = None,
    label_names: Sequence[str] | None = None,
    max_loss_ratio: float = MAX_LOSS_RATIO,
) -> LearningCheck:
    """Check, label by label, that ``proba`` does clearly better than the best constant prediction.

    ``labels`` and ``proba`` are 0/1 labels and P(label) of the same documents (a vector for one
    target, a documents x labels matrix for multilabel). ``base_rate`` is each label's share in the
    training labels (default: its share in ``labels``); ``pos_weight`` the weight of positives in
    the loss the model was trained with (``None``: 1). The constant the loss rewards most is
    ``w * rate / (w * rate + 1 - rate)``.
    """
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
    if y2.shape != p2.shape or len(y2) == 0:
        raise ValueError(f"labels {y.shape} and probabilities {p.shape} do not describe the same documents")
    k = y2.shape[1]
    rate = y2.mean(axis=0) if base_rate is None else np.asarray(base_rate, dtype=np.float64).reshape(k)
    weight = np.ones(k) if pos_weight is None else np.asarray(pos_weight, dtype=np.float64).reshape(k)
    names = list(label_names) if label_names is not None else (
        ["relevant (class 1)"] if k == 1 else [f"label {j}" for j in range(k)])
    loss, constant_loss, ratio, auc, learned = [], [], [], [], []
    for j in range(k):
        best_constant = weight[j] * rate[j] / (weight[j] * rate[j] + 1 - rate[j]) if 0 < rate[j] < 1 else rate[j]
        model_loss = _weighted_log_loss(y2[:, j], p2[:, j], weight[j])
        constant = _weighted_log_loss(y2[:, j], np.full(len(y2), best_constant), weight[j])
        share = model_loss / constant if constant > 1e-6 else 0.0  # a label with one class only: nothing to learn
        has_both = 0 < y2[:, j].sum() < len(y2)
        loss.append(round(model_loss, 5))
        constant_loss.append(round(constant, 5))
        ratio.append(round(share, 4))
        auc.append(round(float(roc_auc_score(y2[:, j], p2[:, j])), 4) if has_both else None)
        learned.append(bool(share <= max_loss_ratio))
    return LearningCheck(names, len(y2), loss, constant_loss, ratio, auc, learned)


def check_sample(n: int, seed: int, size: int = CHECK_DOCUMENTS) -> np.ndarray:
    """Positions of the documents a check predicts: all of them, or a seeded sample of ``size``."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
