"""Sample weights that rebalance the screened documents before each fit, as ASReview's ``Balanced`` balancer does.

ASReview (``asreview.models.balancers.Balanced``, 2.x) weighs a relevant document 1 and an
irrelevant one ``n1 / (ratio * n0)``, then scales every weight so that they sum to ``n``:

    w1 = n / (n1 + n1 / ratio),    w0 = w1 * n1 / (ratio * n0)

so the irrelevant documents together weigh ``1 / ratio`` of the relevant ones together, whatever
their numbers. Its default model elas_u4 uses ``ratio = 9.8``: the irrelevant ones count about a
tenth as much as the relevant ones in all.
"""

from __future__ import annotations

import numpy as np

#: elas_u4's ratio (ASReview 2.x ``AI_MODEL_CONFIGURATIONS``)
ASREVIEW_RATIO = 9.8


def balanced_weights(labels: np.ndarray, ratio: float = ASREVIEW_RATIO) -> np.ndarray:
    """One weight per labelled document (0/1): relevant ones together ``ratio`` times the irrelevant ones, mean weight 1."""
    labels = np.asarray(labels).astype(int)
    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError(f"balancing needs both classes; got {n1} relevant and {n0} irrelevant documents")
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    weights = np.where(labels == 1, 1.0, n1 / (ratio * n0))
    return weights * (len(labels) / weights.sum())


def uniform_weights(labels: np.ndarray) -> np.ndarray:
    """Every document weighs 1: no balancing (the ablation)."""
    return np.ones(len(np.asarray(labels)), dtype=np.float64)
