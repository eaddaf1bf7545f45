"""The development documents: those whose scores chose the recipe, kept out of a clean cross-validation.

The recipe and the head (``results/cv/exploration.md``) were chosen by scores on the inner
validation part of outer fold 0's training set, for each target. Those documents are test
documents of outer folds 1 and 2, so the reported folds 1 and 2 are in-sample for that choice.
:func:`without_development` drops them, and ``python -m mlmap cv --without-development`` reruns
the cross-validation on the rest: a run no choice has read.
"""

from __future__ import annotations

import pandas as pd

from .folds import assign_folds, inner_split
from .recipe import SEED
from .targets import TARGETS, label_matrix, target_frame

#: The exploration's split: outer fold 0 of 3 seeded folds, inner split seeded ``SEED + 0``
#: (as ``scripts/explore_cv.py`` makes it).
EXPLORATION_FOLDS, EXPLORATION_FOLD = 3, 0


def exploration_split(frame: pd.DataFrame, fold: int = EXPLORATION_FOLD) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A target frame's inner training and validation parts of outer ``fold``'s training set, as the
    exploration (``scripts/explore_cv.py``) trains and scores its candidates on them."""
    folds = assign_folds(label_matrix(frame), EXPLORATION_FOLDS, SEED)
    train = frame[folds != fold].reset_index(drop=True)
    is_val = inner_split(label_matrix(train), SEED + fold)
    return train[~is_val], train[is_val]


def development_ids(df: pd.DataFrame) -> pd.DataFrame:
    """``id, target``: each target's documents the exploration scored its choices on (one row per pair)."""
    rows = [pd.DataFrame({"id": exploration_split(target_frame(df, target))[1]["id"].to_numpy(), "target": target})
            for target in TARGETS]
    return pd.concat(rows, ignore_index=True)


def without_development(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``df`` without any target's development documents, and those documents (:func:`development_ids`)."""
    development = development_ids(df)
    return df[~df["id"].isin(development["id"])].reset_index(drop=True), development
