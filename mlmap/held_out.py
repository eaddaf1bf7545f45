"""A model folder's held-out predictions (``held_out.csv``): the calibration set its counts are corrected with.

``train`` holds out a stratified quarter of the labelled documents, chooses and calibrates the model
on it, and saves that model: its predictions of the quarter are predictions of documents it never
trained on. They are written beside the model (ids where the documents had them, the 0/1 labels,
``p_<label>`` and ``pred_<label>`` at the saved F1 thresholds; never texts), so that
``python -m mlmap count`` can correct a predicted corpus's counts with the model's own error rates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

HELD_OUT_FILE = "held_out.csv"


def write_held_out(folder: str | os.PathLike, label_names: Sequence[str], labels: np.ndarray, proba: np.ndarray,
                   thresholds: Sequence[float], ids: Sequence[str] | None = None) -> Path:
    """Write ``held_out.csv`` into a model folder: one row per held-out document."""
    labels = np.asarray(labels).reshape(len(proba), -1)
    # float64: a float32 is written in its shortest form, which reads back a hair below the threshold it equals
    proba = np.asarray(proba, dtype=np.float64).reshape(len(labels), -1)
    table = pd.DataFrame({"id": list(ids)} if ids is not None else {"row": np.arange(len(labels))})
    for j, name in enumerate(label_names):
        table[name] = labels[:, j].astype(int)
        table[f"p_{name}"] = proba[:, j]  # unrounded: the F1 threshold is one of these scores
        table[f"pred_{name}"] = (proba[:, j] >= thresholds[j]).astype(int)
    path = Path(folder) / HELD_OUT_FILE
    tmp = path.with_suffix(".tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def read_held_out(folder: str | os.PathLike) -> pd.DataFrame:
    """A model folder's ``held_out.csv``; a clear error for a folder saved without one."""
    path = Path(folder) / HELD_OUT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {HELD_OUT_FILE} (models saved by `python -m mlmap train` have one): "
                                "train the model again, or give a calibration file with --calibration")
    return pd.read_csv(path)
