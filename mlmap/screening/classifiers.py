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
    """A linear SVM; the score is the signed distance to the margin.

    ``loss="squared_hinge"`` is ASReview's ``svm`` classifier. ``"hinge"`` (the standard SVM) pays
    for a document on the wrong side in proportion to how far it is, not its square, so a few
    atypical documents pull the boundary less (``mlmap.screening.loop.DEFAULT_RANKER`` uses it).
    """

    def __init__(self, c: float = 0.11, seed: int = 0, loss: str = "squared_hinge") -> None:
        if loss not in ("hinge", "squared_hinge"):
            raise ValueError(f"unknown SVM loss {loss!r}: choose hinge or squared_hinge")
        # the hinge loss is solved in the dual only; its coordinate descent needs more iterations to converge
        self.model = LinearSVC(C=c, loss=loss, dual=True if loss == "hinge" else "auto",
                               max_iter=20000 if loss == "hinge" else 5000, random_state=seed)

    def fit(self, x: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> LinearSVM:
        self.model.fit(x, np.asarray(y).astype(int), sample_weight=sample_weight)
        return self

    def scores(self, x: Any) -> np.ndarray:
        return np.asarray(self.model.decision_function(x), dtype=np.float64)


class Logistic:
    """L2-regularised logistic regression; the score is the log-odds of relevance (same order as P(relevant))."""

    def __init__(self, c: float = 1.0, seed: int = 0, loss: str = "log") -> None:
        if loss != "log":
            raise ValueError(f"logistic regression has the log loss only, not {loss!r}")
        self.model = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=seed)

    def fit(self, x: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Logistic:
        self.model.fit(x, np.asarray(y).astype(int), sample_weight=sample_weight)
        return self

    def scores(self, x: Any) -> np.ndarray:
        return np.asarray(self.model.decision_function(x), dtype=np.float64)


CLASSIFIERS = {"svm": LinearSVM, "logistic": Logistic}


def make_classifier(name: str, c: float, seed: int = 0, loss: str | None = None) -> Classifier:
    """A fresh classifier by name (``svm`` or ``logistic``); ``loss`` as the class takes it (default: the class's)."""
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}: choose {', '.join(CLASSIFIERS)}")
    return CLASSIFIERS[name](c=c, seed=seed, **({} if loss is None else {"loss": loss}))
