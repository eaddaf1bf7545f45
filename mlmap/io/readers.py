"""Reading a file of documents in any input format, in chunks (memory stays flat on large corpora)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .formats import DocumentsError, input_format
from .openalex import iter_openalex
from .ris import iter_ris
from .tabular import csv_chunks, feather_chunks, parquet_chunks, parquet_rows


def _batched(records: Iterator[dict[str, Any]], size: int) -> Iterator[pd.DataFrame]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield pd.DataFrame.from_records(batch)
            batch = []
    if batch:
        yield pd.DataFrame.from_records(batch)


def _chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[pd.DataFrame]:
    if fmt == "csv":
        yield from csv_chunks(path, chunk_size)
    elif fmt == "parquet":
        yield from parquet_chunks(path, chunk_size)
    elif fmt == "feather":
        yield from feather_chunks(path, chunk_size)
    elif fmt == "ris":
        yield from _batched(iter_ris(path), chunk_size)
    else:
        yield from _batched(iter_openalex(path), chunk_size)


def iter_documents(path: str | os.PathLike, chunk_size: int = 1000) -> Iterator[pd.DataFrame]:
    """The documents of a file, ``chunk_size`` at a time, each chunk a DataFrame with every field of the input.

    Raises :class:`DocumentsError` for a missing or empty file, an unknown extension, bytes that are
    not UTF-8, malformed RIS or JSON, a file that is not Parquet or Feather, or no documents at all.
    """
    path = Path(path)
    fmt = input_format(path)
    if not path.is_file():
        raise DocumentsError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise DocumentsError(f"{path} is empty")
    if chunk_size < 1:
        raise DocumentsError(f"chunk_size must be at least 1, got {chunk_size}")
    rows = 0
    try:
        for chunk in _chunks(path, fmt, chunk_size):
            if len(chunk):
                rows += len(chunk)
                yield chunk.reset_index(drop=True)
    except UnicodeDecodeError as exc:
        raise DocumentsError(f"{path} is not UTF-8 text (undecodable byte at position {exc.start}); "
                             "save it as UTF-8 and try again") from exc
    except (pa.ArrowInvalid, OSError) as exc:
        raise DocumentsError(f"{path} could not be read as {fmt}: {exc}") from exc
    except pd.errors.ParserError as exc:
        raise DocumentsError(f"{path} could not be read as CSV: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise DocumentsError(f"{path} has no columns: expected a header row") from exc
    if rows == 0:
        raise DocumentsError(f"{path} holds no documents")


def read_documents(path: str | os.PathLike) -> pd.DataFrame:
    """A whole file of documents as one DataFrame (see :func:`iter_documents`)."""
    return pd.concat(list(iter_documents(path, chunk_size=10_000)), ignore_index=True)


def count_documents(path: str | os.PathLike) -> int:
    """How many documents a file holds (a cheap pass for Parquet and Feather, a full read otherwise)."""
    path = Path(path)
    fmt = input_format(path)
    if fmt == "parquet" and path.is_file():
        try:
            return parquet_rows(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DocumentsError(f"{path} could not be read as parquet: {exc}") from exc
    return sum(len(chunk) for chunk in iter_documents(path, chunk_size=10_000))
