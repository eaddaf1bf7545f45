"""Fine-tuned models on disk, under a key of everything that made them: fingerprint, atomic save, load."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from transformers import PreTrainedModel, Trainer

from .models import load_fine_tuned, quiet_transformers

LOG_HISTORY_FILE = "log_history.json"
#: The learning check of every attempt that made a cached model (:func:`mlmap.fine_tune`).
LEARNING_FILE = "learning.json"
#: What made a cached model (:func:`mlmap.training.model_cache_fingerprint`).
FINGERPRINT_FILE = "fingerprint.json"


def fingerprint(**settings: Any) -> str:
    """A short, stable hash of JSON-serialisable settings (keys in any order)."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def frame_hash(df: pd.DataFrame) -> str:
    """A hash of the exact texts and labels of a training frame (order included)."""
    columns = pd.DataFrame({"text": df["text"], "labels": df["labels"].astype(str)})
    return hashlib.sha256(pd.util.hash_pandas_object(columns, index=False).to_numpy().tobytes()).hexdigest()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a text file through a temporary file and a rename: readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def is_cached(folder: Path | None) -> bool:
    """Whether ``folder`` holds a completely saved model (a partial save never does)."""
    return folder is not None and (folder / "config.json").is_file()


def load_cached(folder: Path) -> tuple[PreTrainedModel, list[dict[str, Any]]]:
    """The saved model and its training log."""
    model = load_fine_tuned(folder)
    log_file = folder / LOG_HISTORY_FILE
    return model, json.loads(log_file.read_text()) if log_file.is_file() else []


def load_learning(folder: Path) -> dict[str, Any]:
    """The learning checks saved with a cached model (an empty record for a model cached before them)."""
    path = folder / LEARNING_FILE
    return json.loads(path.read_text()) if path.is_file() else {"learned": None, "attempts": []}


def load_fingerprint(folder: Path) -> dict[str, Any] | None:
    """The fingerprint saved with a cached model (None for a model cached before fingerprints)."""
    path = folder / FINGERPRINT_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def save_atomically(trainer: Trainer, folder: Path, learning: dict[str, Any] | None = None,
                    fingerprint: dict[str, Any] | None = None) -> None:
    """Save the trainer's model and log to a temporary folder, then rename it into place.

    An interrupted save therefore never leaves a folder that :func:`is_cached` takes for a model.
    """
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with quiet_transformers():  # no "Writing model shards" bar in the page
        trainer.save_model(str(tmp))
    (tmp / LOG_HISTORY_FILE).write_text(json.dumps(trainer.state.log_history))
    if learning is not None:
        (tmp / LEARNING_FILE).write_text(json.dumps(learning))
    if fingerprint is not None:
        (tmp / FINGERPRINT_FILE).write_text(json.dumps(fingerprint, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
