"""The three targets of the map, as frames the cross-validation trains on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import prepare_targets

#: The three targets of the map: a name, and the label group it is trained on (one model per target).
TARGETS = {"include": "INCLUDE", "instruments": "4 -", "sectors": "8 -"}


def target_frame(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """``id``, ``text``, ``labels`` of one target (``attrs["label_names"]`` lists its labels)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)} or all")
    frame = prepare_targets(df, TARGETS[target])
    frame.attrs.setdefault("label_names", ["INCLUDE"])
    return frame


def label_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The labels as a vector (one target) or a (documents x labels) matrix."""
    first = frame["labels"].iloc[0]
    return np.stack(frame["labels"].to_numpy()) if np.ndim(first) else frame["labels"].to_numpy()
