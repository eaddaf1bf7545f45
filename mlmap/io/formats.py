"""Which format a file of documents is in, from its extension; the error every reader and writer raises."""

from __future__ import annotations

import os
from pathlib import Path

#: Input formats by file extension.
INPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".feather": "feather", ".ris": "ris",
                 ".jsonl": "openalex", ".ndjson": "openalex"}
#: Output formats by file extension.
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".ris": "ris"}


class DocumentsError(ValueError):
    """A file of documents cannot be read or written as asked; the message says what to change."""


def _format(path: Path, formats: dict[str, str], what: str) -> str:
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        raise DocumentsError(f"{path}: unknown {what} format {path.suffix or '(no extension)'!r}; "
                             f"use one of {', '.join(formats)}")
    return fmt


def input_format(path: str | os.PathLike) -> str:
    """The input format of a file, from its extension (``DocumentsError`` for an unknown one)."""
    return _format(Path(path), INPUT_FORMATS, "input")


def output_format(path: str | os.PathLike) -> str:
    """The output format of a file, from its extension (``DocumentsError`` for an unknown one)."""
    return _format(Path(path), OUTPUT_FORMATS, "output")
