"""Screening metrics: how much reading a ranking saves, and a threshold that keeps a recall target.

All functions take 0/1 relevance labels and scores (P(relevant)) of the same documents. A ranking
screens the highest scores first; ties keep the input order, so a caller that wants random tie
breaking shuffles first.
"""

from __future__ import annotations

import math

import numpy as np


def screening_order(scores: np.ndarray) -> np.ndarray:
    """Indices of the documents in screening order: highest score first, ties in input order."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")


def _labels_in_order(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels).astype(int)
    if labels.ndim != 1 or len(labels) != len(scores):
        raise ValueError("labels and scores need one value per document")
    if labels.sum() == 0:
        raise ValueError("no relevant document: recall is undefined")
    return labels[screening_order(scores)]


def recall_curve(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Recall after screening 1, 2, ..., N documents in order of ``scores``."""
    found = np.cumsum(_labels_in_order(labels, scores))
    return found / found[-1]


def documents_for_recall(labels: np.ndarray, scores: np.ndarray, recall: float = 0.95) -> int:
    """How many documents must be screened, in order of ``scores``, to find ``recall`` of the relevant ones."""
    ordered = _labels_in_order(labels, scores)
    needed = math.ceil(recall * ordered.sum() - 1e-9)
    return int(np.argmax(np.cumsum(ordered) >= needed)) + 1


def wss(labels: np.ndarray, scores: np.ndarray, recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: the share of documents left unread when ``recall`` is
    reached, minus the share random order would leave, ``(N - n) / N - (1 - recall)``."""
    n = documents_for_recall(labels, scores, recall)
    return (len(labels) - n) / len(labels) - (1 - recall)


def rrf(labels: np.ndarray, scores: np.ndarray, percent: float = 10) -> float:
    """Relevant references found: the share of relevant documents among the first ``percent`` % screened."""
    ordered = _labels_in_order(labels, scores)
    screened = math.ceil(len(ordered) * percent / 100)
    return float(ordered[:screened].sum() / ordered.sum())


def threshold_for_recall(labels: np.ndarray, scores: np.ndarray, recall: float = 0.95) -> float:
    """The highest threshold whose decisions ``scores >= threshold`` reach ``recall`` on these documents.

    Choose it on documents other than the ones it will be applied to (for example the out-of-fold
    probabilities of the other folds): on the same documents it reaches ``recall`` by construction.
    """
    ordered_scores = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    n = documents_for_recall(labels, scores, recall)
    return float(ordered_scores[n - 1])


def recall_threshold_with_confidence(labels: np.ndarray, scores: np.ndarray, recall: float = 0.95,
                                     confidence: float = 0.9) -> tuple[float, float]:
    """A threshold that reaches ``recall`` on *new* documents with probability ``confidence``, and the
    confidence it actually has.

    A distribution-free tolerance limit (Wilks 1941): if the held-out relevant documents' scores are a
    sample of those of new relevant documents, the k-th lowest of n of them leaves out a share of new
    ones distributed as Beta(k, n + 1 - k). The threshold is the highest such score whose share left
    out is at most ``1 - recall`` with probability ``confidence``. Too few relevant documents for that
    (fewer than ``log(1 - confidence) / log(recall)``, 45 at 95% and 0.9) give the lowest relevant
    score and a confidence below the one asked for: the second value says how much below.
    """
    from scipy.stats import beta

    if not 0 < recall < 1 or not 0 < confidence < 1:
        raise ValueError(f"recall and confidence are shares between 0 and 1, got {recall} and {confidence}")
    labels, scores = np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64)
    positive = np.sort(scores[labels == 1])
    n = len(positive)
    if n == 0:
        raise ValueError("no relevant document among the held-out ones: a recall threshold needs some")
    k = np.arange(1, n + 1)
    reached = beta.cdf(1 - recall, k, n + 1 - k)  # P(share of new relevant documents left out <= 1 - recall)
    ok = np.flatnonzero(reached >= confidence)
    best = int(ok[-1]) if len(ok) else 0
    return float(positive[best]), float(reached[best])


def bootstrap_recall_interval(labels: np.ndarray, decisions: np.ndarray, n_resamples: int = 2000,
                              level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Recall of 0/1 ``decisions`` and a percentile bootstrap interval over the relevant documents.

    Returns (recall, lower, upper). Only relevant documents matter for recall, so they are resampled.
    """
    labels, decisions = np.asarray(labels).astype(int), np.asarray(decisions).astype(int)
    hits = decisions[labels == 1]
    if len(hits) == 0:
        raise ValueError("no relevant document: recall is undefined")
    rng = np.random.default_rng(seed)
    resampled = rng.choice(hits, size=(n_resamples, len(hits)), replace=True).mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(hits.mean()), float(np.percentile(resampled, tail)), float(np.percentile(resampled, 100 - tail))
