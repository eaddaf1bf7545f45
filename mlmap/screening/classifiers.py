"""Linear classifiers for the loop: fitted with sample weights, they score the unscreened documents (higher = screen sooner)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC


class Classifier(Protocol):
    """What the loop needs from a classifier: a weighted fit and a ranking score."""

    def fit(self, x: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Any: ...

    def scores(self, x: Any) -> np.ndarray: ...


class LinearSVM:
    """A linear SVM (squared hinge, as ASReview's ``svm`` classifier); the score is the signed distance to the margin."""

    def __init__(self, c: float = 0.11, seed: int = 0) -> None:
        self.model = LinearSVC(C=c, loss="squared_hinge", dual="auto", max_iter=5000, random_state=seed)

    def fit(self, x: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> LinearSVM:
        self.model.fit(x, np.asarray(y).astype(int), sample_weight=sample_weight)
        return self

    def scores(self, x: Any) -> np.ndarray:
        return np.asarray(self.model.decision_function(x), dtype=np.float64)


class Logistic:
    """L2-regularised logistic regression; the score is the log-odds of relevance (same order as P(relevant))."""

    def __init__(self, c: float = 1.0, seed: int = 0) -> None:
        self.model = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=seed)

    def fit(self, x: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Logistic:
        self.model.fit(x, np.asarray(y).astype(int), sample_weight=sample_weight)
        return self

    def scores(self, x: Any) -> np.ndarray:
        return np.asarray(self.model.decision_function(x), dtype=np.float64)


CLASSIFIERS = {"svm": LinearSVM, "logistic": Logistic}


def make_classifier(name: str, c: float, seed: int = 0) -> Classifier:
    """A fresh classifier by name (``svm`` or ``logistic``)."""
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}: choose {', '.join(CLASSIFIERS)}")
    return CLASSIFIERS[name](c=c, seed=seed)
