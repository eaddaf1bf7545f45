"""Fetching, validating and shaping the labelled abstracts of the climate-policy-instruments map."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import DEFAULT_DATA_PATH

#: The upstream file, pinned to a commit so that its checksum can never change under us.
DEFAULT_DATA_SOURCE = (
    "https://github.com/mcallaghan/ml-map/raw/"
    "2508026851f5c74410fa6e493bca353654ed6609/data/labels.feather"
)
LABELS_SHA256 = "2621c43b467acf01f0e630379a10cb6e8435c0cb2e932b006071cd403af4fbf6"

#: Label groups of the codebook: a column prefix and what it codes.
LABEL_GROUPS = {
    "INCLUDE": "relevance (screening)",
    "4 -": "policy instrument types",
    "8 -": "sectors",
}
TEXT_COLUMNS = ("id", "title", "abstract")


class DataError(RuntimeError):
    """The labelled data could not be fetched, verified or read."""


def data_path() -> Path:
    """Where the labelled data lives: ``MLMAP_DATA_PATH`` if set, else ``data/labels.feather``."""
    return Path(os.environ.get("MLMAP_DATA_PATH", DEFAULT_DATA_PATH))


def sha256_of(path: str | os.PathLike) -> str:
    """The hex sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_data(
    source: str | None = None,
    dest: str | os.PathLike | None = None,
    sha256: str = LABELS_SHA256,
) -> Path:
    """Put the verified labelled data at ``dest`` and return its path.

    ``source`` is a local path or an http(s) URL; it defaults to ``MLMAP_DATA_SOURCE``, then to the
    upstream file. The copy is written to a temporary file, checked, then renamed into place, so a
    failed fetch never leaves a partial or unverified file behind. A verified file already at
    ``dest`` is kept as it is.
    """
    source = source or os.environ.get("MLMAP_DATA_SOURCE") or DEFAULT_DATA_SOURCE
    dest = Path(dest) if dest is not None else data_path()
    if dest.is_file() and sha256_of(dest) == sha256:
        return dest

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_source(source, out)
        actual = sha256_of(tmp)
        if actual != sha256:
            raise DataError(
                f"checksum mismatch for {source}: expected sha256 {sha256}, got {actual}. "
                "Point MLMAP_DATA_SOURCE at an unmodified copy of labels.feather."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _copy_source(source: str, out) -> None:
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=60) as response:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            raise DataError(
                f"could not download {source}: {exc}. Without internet access, set "
                "MLMAP_DATA_SOURCE to a local copy, e.g. MLMAP_DATA_SOURCE=../shared/data/labels.feather"
            ) from exc
        return
    path = Path(source.removeprefix("file://")).expanduser()
    if not path.is_file():
        raise DataError(
            f"data source {source} does not exist. Set MLMAP_DATA_SOURCE to the path or URL of "
            "labels.feather, e.g. MLMAP_DATA_SOURCE=../shared/data/labels.feather"
        )
    with open(path, "rb") as handle:
        shutil.copyfileobj(handle, out)


def load_labels(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read the labelled abstracts and check that they have the expected columns.

    Raises ``FileNotFoundError`` with the command to fetch the data when the file is missing, and
    :class:`DataError` when the file lacks a required column or a label column holds values other
    than 0, 1 or missing.
    """
    path = Path(path) if path is not None else data_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. Run `make data` (or `python -m mlmap fetch-data`) from the project "
            "root to fetch it; set MLMAP_DATA_SOURCE to fetch from a local copy."
        )
    df = pd.read_feather(path)
    missing = [c for c in (*TEXT_COLUMNS, "INCLUDE") if c not in df.columns]
    for prefix in ("4 -", "8 -"):
        if not any(c.startswith(prefix) for c in df.columns):
            missing.append(f"{prefix}… columns")
    if missing:
        raise DataError(f"{path} lacks required columns: {', '.join(missing)}")
    for column in [c for c in df.columns if c not in TEXT_COLUMNS]:
        values = set(df[column].dropna().unique())
        if not values <= {0.0, 1.0}:
            raise DataError(f"{path}: label column {column!r} holds values other than 0/1: {sorted(values)[:5]}")
    if df["INCLUDE"].isna().any():
        raise DataError(f"{path}: INCLUDE has missing values; every document must be screened")
    return df


def label_columns(df: pd.DataFrame, prefix: str | Sequence[str]) -> list[str]:
    """The label columns of one or more groups: ``"INCLUDE"``, ``"4 -"`` (instrument types), ``"8 -"`` (sectors)."""
    prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
    columns = []
    for p in prefixes:
        found = [c for c in df.columns if c == p or (p != "INCLUDE" and c.startswith(p))]
        if not found:
            raise ValueError(f"no label columns start with {p!r}; known groups: {', '.join(LABEL_GROUPS)}")
        columns += found
    if "INCLUDE" in columns and len(columns) > 1:
        raise ValueError("INCLUDE is the screening target; combine only multilabel groups ('4 -', '8 -')")
    return columns


def make_text(df: pd.DataFrame) -> pd.Series:
    """Title and abstract joined into one text; a missing title or abstract counts as empty."""
    title = df["title"].fillna("").astype(str).str.strip()
    abstract = df["abstract"].fillna("").astype(str).str.strip()
    sep = np.where((title != "") & (abstract != ""), ". ", "")
    return (title + sep + abstract).str.strip()


def prepare_targets(df: pd.DataFrame, prefix: str | Sequence[str] = "INCLUDE") -> pd.DataFrame:
    """A frame with ``id``, ``text`` and ``labels`` for a label group, ready for tokenizing.

    ``"INCLUDE"`` gives one int label (0/1) per document. A multilabel group (``"4 -"``, ``"8 -"``,
    or a list of both) gives a float vector per document and keeps only included documents whose codes are all present,
    because only included documents were coded.
    """
    columns = label_columns(df, prefix)
    out = pd.DataFrame({"id": df["id"], "text": make_text(df)}, index=df.index)
    if columns == ["INCLUDE"]:
        out["labels"] = df["INCLUDE"].astype("int64")
        return out.reset_index(drop=True)
    coded = (df["INCLUDE"] == 1) & df[columns].notna().all(axis=1)
    out = out[coded].copy()
    out["labels"] = list(df.loc[coded, columns].to_numpy(dtype=np.float32))
    out.attrs["label_names"] = columns
    return out.reset_index(drop=True)
