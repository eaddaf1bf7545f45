"""When to stop screening: the statistical stopping rule of Callaghan & Müller-Hansen (2020), and a heuristic.

The rule (``buscarpy.calculate_h0``) tests the null hypothesis "the recall target has not been
reached yet" from the labels seen so far, in the order they were screened. It treats the last
documents screened as if they had been drawn at random from the ones not yet screened, which is
conservative when a model ranks relevant documents first. A reviewer may stop once the p-value falls
below 1 - the confidence level.
"""

from __future__ import annotations

import numpy as np
from buscarpy import calculate_h0


def _screened_labels(labels_in_order: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels_in_order).astype(np.int64)
    if labels.ndim != 1 or not np.isin(labels, (0, 1)).all():
        raise ValueError("labels_in_order must be a sequence of 0/1 labels in the order they were screened")
    return labels


def h0_p_value(labels_in_order: np.ndarray, n_documents: int, recall_target: float = 0.95) -> float:
    """The p-value of "``recall_target`` not yet reached" after the labels seen so far (``calculate_h0``).

    0 where the unscreened documents are too few to hold the relevant documents a missed target needs:
    recall is then known to be at least ``recall_target``. ``calculate_h0`` asks scipy for an urn with
    more relevant documents than documents there, and returns nan.
    """
    labels = _screened_labels(labels_in_order)
    found = int(labels.sum())
    # relevant documents still unscreened if recall were below the target, at the fewest
    missed_at_least = int(np.floor(found / recall_target + 1)) - found
    if missed_at_least > n_documents - len(labels):
        return 0.0
    return float(calculate_h0(labels, N=n_documents, recall_target=recall_target))


def stopping_p_values(labels_in_order: np.ndarray, n_documents: int, recall_target: float = 0.95,
                      every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The p-value of "``recall_target`` not yet reached" after each ``every`` documents screened.

    ``labels_in_order`` are the labels seen so far, in screening order; ``n_documents`` is the size
    of the whole search (screened or not). Returns (documents screened, p-value) arrays.
    """
    labels = _screened_labels(labels_in_order)
    if n_documents < len(labels):
        raise ValueError(f"n_documents={n_documents} is smaller than the {len(labels)} documents screened")
    if not 0 < recall_target < 1:
        raise ValueError("recall_target must lie between 0 and 1")
    screened = np.arange(every, len(labels) + 1, every)
    p = np.array([h0_p_value(labels[:n], n_documents, recall_target) for n in screened])
    return screened, p


def stopping_point(labels_in_order: np.ndarray, n_documents: int, recall_target: float = 0.95,
                   confidence: float = 0.95) -> int | None:
    """How many documents had been screened when the rule first allowed stopping (p < 1 - ``confidence``);
    None if it never did."""
    screened, p = stopping_p_values(labels_in_order, n_documents, recall_target)
    fired = np.flatnonzero(p < 1 - confidence)
    return int(screened[fired[0]]) if len(fired) else None


def consecutive_irrelevant_stop(labels_in_order: np.ndarray, run_length: int) -> int | None:
    """The heuristic "stop after ``run_length`` irrelevant documents in a row": how many documents had
    been screened when it fired; None if it never did."""
    labels = _screened_labels(labels_in_order)
    if run_length < 1:
        raise ValueError("run_length must be at least 1")
    run = 0
    for i, label in enumerate(labels):
        run = 0 if label else run + 1
        if run == run_length:
            return i + 1
    return None


def recall_at(labels_in_order: np.ndarray, screened: int | None) -> float:
    """The share of all relevant documents found in the first ``screened`` documents (all of them if None)."""
    labels = _screened_labels(labels_in_order)
    if labels.sum() == 0:
        raise ValueError("no relevant document: recall is undefined")
    return float(labels[: len(labels) if screened is None else screened].sum() / labels.sum())
