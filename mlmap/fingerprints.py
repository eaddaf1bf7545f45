"""What made a cached or resumable result, recorded with it and compared before it is reused.

A fingerprint is a flat dict of named fields (the model by the content of its files, the settings,
the precision, the library versions). :func:`check_fingerprint` refuses a saved result whose
fingerprint differs, in one line naming the first field that differs and how to go on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .hardware import precision_name

#: The libraries whose versions change what a model or a run computes.
VERSIONED = ("torch", "transformers", "scikit-learn", "numpy")
#: Files of a model folder that are not the model: what mlmap writes beside it, and OpenVINO's converted copy.
NOT_THE_MODEL = {"mlmap.json", "log_history.json", "learning.json", "fingerprint.json"}


class FingerprintMismatch(RuntimeError):
    """A saved result was made with other inputs or settings than the ones asked for now."""


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries in :data:`VERSIONED`."""
    found = {}
    for name in VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def file_digest(path: str | Path) -> str:
    """A hash of a file's content."""
    return "sha256:" + _digest_file(Path(path))[:16]


def _digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=32)
def _folder_identity(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in stamp:
        digest.update(name.encode())
        digest.update(_digest_file(Path(folder) / name).encode())
    return "sha256:" + digest.hexdigest()[:16]


def model_identity(model_name: str) -> str:
    """The identity of a model: a hash of a local folder's files (weights, config, tokenizer), or a hub id as itself.

    Two folders with the same name but other weights differ; the same files anywhere are the same
    model. Hashed once per process while the files are unchanged.
    """
    folder = Path(model_name)
    if not folder.is_dir():
        return f"hub:{model_name}"
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name not in NOT_THE_MODEL
                   and not p.name.startswith("."))
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _folder_identity(str(folder.resolve()), stamp)


def normalised(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists, keys strings), so saved and current compare equal."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def frame_digest(df: Any) -> str:
    """A hash of a DataFrame's values, column names and order (the labelled data a run read)."""
    import pandas as pd

    digest = hashlib.sha256(json.dumps([str(c) for c in df.columns]).encode())
    digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()[:16]


def run_fingerprint(model_name: str | None = None, **settings: Any) -> dict[str, Any]:
    """The usual fields: ``model`` (its identity, if given), the settings, ``precision`` and ``versions``."""
    fields = {} if model_name is None else {"model": model_identity(model_name)}
    return normalised({**fields, **settings, "precision": precision_name(), "versions": library_versions()})


def digest(fingerprint: Mapping[str, Any]) -> str:
    """A short hash of a fingerprint: the name of a cache entry keyed by it."""
    return hashlib.sha256(json.dumps(normalised(fingerprint), sort_keys=True).encode()).hexdigest()[:16]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def mismatched_field(saved: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """The first field (dotted into nested dicts) whose saved value differs from the current one, or None."""
    saved, current = normalised(dict(saved)), normalised(dict(current))
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            inner = mismatched_field(old, new)
            if inner is not None:
                return f"{key}.{inner}"
        elif old != new:
            return key
    return None


def _lookup(fingerprint: Mapping[str, Any], dotted: str) -> Any:
    value: Any = normalised(dict(fingerprint))
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_fingerprint(saved: Mapping[str, Any] | None, current: Mapping[str, Any], what: str, fix: str) -> None:
    """Refuse ``what`` (a saved result) unless its fingerprint is ``current``: one line naming the field and ``fix``."""
    if saved is None:
        raise FingerprintMismatch(f"{what} records no fingerprint (made before results recorded what made them): {fix}")
    field = mismatched_field(saved, current)
    if field is not None:
        raise FingerprintMismatch(f"{what} was made with another {field} ({_short(_lookup(saved, field))} there, "
                                  f"{_short(_lookup(current, field))} now): {fix}")
