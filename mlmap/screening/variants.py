"""The documents a screening simulation runs on: the book's variants (all, or few relevant), halves, seed sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import make_text
from ..recipe import SEED
from .designs import LOOP_SETTINGS, LoopSettings
from .simulation import low_prevalence_subset, seed_set

VARIANTS = ("full", "low_prevalence", "low2")
#: ``make simulate`` runs these; ``low2`` is run by name (``--variant low2``)
DEFAULT_VARIANTS = ("full", "low_prevalence")
#: relevant documents kept in a low-prevalence variant (every irrelevant one is kept)
LOW_PREVALENCE_RELEVANT = {"low_prevalence": 50, "low2": 20}
#: seed sets of each variant in seed_sets.csv (the first ones of a longer list are the same)
SEED_SET_COUNTS = {"full": 5, "low_prevalence": 5, "low2": 10}
#: The two stratified halves of the labelled documents: designs are tuned on ``a`` and reported on ``b``.
HALVES = ("a", "b")


def corpus_half(df: pd.DataFrame, half: str, seed: int = SEED) -> pd.DataFrame:
    """One of two halves of ``df``, stratified by INCLUDE and seeded: ``a`` to tune a design on, ``b`` to report it on."""
    from sklearn.model_selection import train_test_split

    if half not in HALVES:
        raise ValueError(f"unknown half {half!r}: choose a (to tune on) or b (to report on)")
    first, second = train_test_split(np.arange(len(df)), test_size=0.5, stratify=df["INCLUDE"].astype(int),
                                     random_state=seed)
    return df.iloc[np.sort(first if half == "a" else second)].reset_index(drop=True)


def variant_frame(df: pd.DataFrame, variant: str, seed: int = SEED) -> pd.DataFrame:
    """``id``, ``text``, ``label`` (INCLUDE as 0/1) of one variant's documents, in the data's order."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)} or all")
    frame = pd.DataFrame({"id": df["id"].to_numpy(), "text": make_text(df).to_numpy(),
                          "label": df["INCLUDE"].astype(int).to_numpy()})
    if variant in LOW_PREVALENCE_RELEVANT:
        frame = frame[low_prevalence_subset(frame["label"].to_numpy(), LOW_PREVALENCE_RELEVANT[variant], seed)]
    return frame.reset_index(drop=True)


def seed_sets(frame: pd.DataFrame, n_seed_sets: int, seed: int = SEED,
              settings: LoopSettings = LOOP_SETTINGS) -> list[np.ndarray]:
    """The seed sets' positions in ``frame``: the same for every model."""
    return [seed_set(frame["label"].to_numpy(), seed + k, settings) for k in range(n_seed_sets)]
