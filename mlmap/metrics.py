"""Scores of a classifier, and the ``pos_weight`` that balances a multilabel loss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from transformers import EvalPrediction


def compute_pos_weight(labels: Sequence[Sequence[float]] | np.ndarray) -> torch.Tensor:
    """``pos_weight`` for BCE-with-logits: negatives / positives per label, from training labels only.

    A label with no positive example gets weight 1 (there is nothing to up-weight).
    """
    matrix = np.asarray(labels, dtype=np.float64)
    if matrix.ndim != 2 or len(matrix) == 0:
        raise ValueError("pos_weight needs a non-empty (documents x labels) matrix of 0/1 labels")
    positives = matrix.sum(axis=0)
    negatives = len(matrix) - positives
    weight = np.divide(negatives, positives, out=np.ones_like(positives), where=positives > 0)
    return torch.tensor(weight, dtype=torch.float32)


def compute_metrics(eval_pred: EvalPrediction) -> dict[str, float]:
    """Positive-class F1 (plus precision, recall, accuracy) for binary targets; macro and micro F1 for multilabel.

    Multilabel label ids arrive as a (documents x labels) matrix, class ids as a vector: that shape
    is the Dataset's record of the problem type (see :mod:`mlmap.labels`).
    """
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    logits = logits[0] if isinstance(logits, tuple) else logits
    logits, labels = np.asarray(logits), np.asarray(labels)
    if labels.ndim == 2:
        predicted = (logits > 0).astype(int)  # sigmoid(logit) > 0.5
        truth = labels.astype(int)
        # two numbers, not one per label: the Trainer shows every metric as a column of its progress table
        return {"f1_macro": float(f1_score(truth, predicted, average="macro", zero_division=0)),
                "f1_micro": float(f1_score(truth, predicted, average="micro", zero_division=0))}
    predicted = logits.argmax(axis=-1)
    average = "binary" if logits.shape[-1] == 2 else "macro"
    return {
        "f1": float(f1_score(labels, predicted, average=average, zero_division=0)),
        "precision": float(precision_score(labels, predicted, average=average, zero_division=0)),
        "recall": float(recall_score(labels, predicted, average=average, zero_division=0)),
        "accuracy": float(accuracy_score(labels, predicted)),
    }


def f1_at_thresholds(labels: np.ndarray, proba: np.ndarray, thresholds: float | Sequence[float]) -> float:
    """F1 of the relevant class (one target) or macro F1 over labels (multilabel) of ``proba >= thresholds``.

    For multilabel, ``thresholds`` has one value per label (a scalar applies to all); for one target,
    a scalar or a one-element sequence (as :func:`best_thresholds` returns).
    """
    labels, proba = np.asarray(labels), np.asarray(proba)
    predicted = (proba >= np.asarray(thresholds)).astype(int)
    if labels.ndim == 2:
        return float(f1_score(labels.astype(int), predicted, average="macro", zero_division=0))
    return float(f1_score(labels.astype(int), predicted, zero_division=0))


def best_f1_threshold(labels: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """The threshold on ``proba`` with the highest F1 for 0/1 ``labels``, and that F1.

    Candidates are the observed probabilities (a document counts as positive when ``proba >=
    threshold``); ties go to the higher threshold. Without any positive label the threshold is 0.5.
    """
    labels, proba = np.asarray(labels).astype(int), np.asarray(proba, dtype=np.float64)
    if labels.sum() == 0:
        return 0.5, 0.0
    order = np.argsort(-proba, kind="stable")
    sorted_p, sorted_y = proba[order], labels[order]
    true_pos = np.cumsum(sorted_y)
    # a cut after position i (all documents with proba >= sorted_p[i]); only the last of equal scores is valid
    last_of_tie = np.r_[sorted_p[1:] != sorted_p[:-1], True]
    predicted = np.arange(1, len(sorted_p) + 1)
    f1 = 2 * true_pos / (predicted + labels.sum())
    f1 = np.where(last_of_tie, f1, -1.0)
    best = int(np.argmax(f1))  # argmax takes the first: the highest threshold among equal F1
    return float(sorted_p[best]), float(f1[best])


def best_thresholds(labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """The F1-best threshold per label (multilabel) or the one threshold (one target), as an array."""
    labels, proba = np.asarray(labels), np.asarray(proba)
    if labels.ndim == 1:
        return np.array([best_f1_threshold(labels, proba)[0]])
    return np.array([best_f1_threshold(labels[:, j], proba[:, j])[0] for j in range(labels.shape[1])])


def per_label_scores(labels: np.ndarray, proba: np.ndarray, thresholds: list[float],
                     label_names: list[str]) -> dict[str, dict[str, float | int | None]]:
    """Per label: ROC AUC, F1 at its threshold and the number of positives, on held-out documents."""
    from sklearn.metrics import f1_score, roc_auc_score

    y, p = np.asarray(labels).reshape(len(labels), -1), np.asarray(proba).reshape(len(proba), -1)
    scores = {}
    for j, name in enumerate(label_names):
        both = 0 < y[:, j].sum() < len(y)
        scores[name] = {"auc": round(float(roc_auc_score(y[:, j], p[:, j])), 4) if both else None,
                        "f1": round(float(f1_score(y[:, j], p[:, j] >= thresholds[j], zero_division=0)), 4),
                        "positives": int(y[:, j].sum())}
    return scores
