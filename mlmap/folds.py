"""Seeded, stratified fold assignments: one target (``StratifiedKFold``) or multilabel (iterative stratification)."""

from __future__ import annotations

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from sklearn.model_selection import StratifiedKFold


def assign_folds(labels: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """The fold (0 .. n_folds-1) of every document, stratified by its labels.

    ``labels`` is a vector of class ids (``StratifiedKFold``) or a (documents x labels) 0/1 matrix
    (``MultilabelStratifiedKFold``, iterative stratification: every label keeps about its share in
    every fold). Both shuffle with ``seed``, so the same call always gives the same folds.
    """
    labels = np.asarray(labels)
    if n_folds < 2:
        raise ValueError(f"need at least 2 folds, got {n_folds}")
    if len(labels) < n_folds:
        raise ValueError(f"{len(labels)} documents cannot fill {n_folds} folds")
    splitter = (MultilabelStratifiedKFold if labels.ndim == 2 else StratifiedKFold)(
        n_splits=n_folds, shuffle=True, random_state=seed)
    fold = np.full(len(labels), -1, dtype=np.int64)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        fold[test] = k
    return fold


def inner_split(labels: np.ndarray, seed: int, validation_share: int = 4) -> np.ndarray:
    """A boolean mask of the validation documents of a stratified inner split (1 in ``validation_share``).

    Used inside an outer training set only, to choose hyperparameters and thresholds.
    """
    return assign_folds(labels, validation_share, seed) == 0
