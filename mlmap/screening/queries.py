"""The maximum query: the unscreened documents with the highest scores are screened next."""

from __future__ import annotations

import numpy as np


def max_query(scores: np.ndarray, candidates: np.ndarray, k: int = 1) -> np.ndarray:
    """The ``k`` candidates (positions) with the highest scores, best first; equal scores go to the lower position.

    Ties are broken by position, not by the sort's whim, so a simulation is reproducible to the
    document whatever the order the candidates arrive in.
    """
    scores, candidates = np.asarray(scores, dtype=np.float64), np.asarray(candidates)
    if len(scores) != len(candidates):
        raise ValueError(f"{len(scores)} scores for {len(candidates)} candidates")
    if np.isnan(scores).any():
        raise ValueError("a score is NaN: the ranking would be arbitrary")
    ranked = np.lexsort((candidates, -scores))
    return candidates[ranked[:k]]
