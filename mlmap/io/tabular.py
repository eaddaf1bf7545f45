"""CSV, Parquet and Feather: chunks read with every field kept, and a cell as CSV writes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.feather as feather
import pyarrow.parquet as pq

from .columns import LIST_SEPARATOR


def csv_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Every cell as the text it holds: nothing re-typed, an empty cell stays empty."""
    yield from pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunk_size, encoding="utf-8-sig")


def parquet_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Parquet columns with their types (Arrow-backed)."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
        yield batch.to_pandas(types_mapper=pd.ArrowDtype)


def feather_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Feather columns with their types, the file memory-mapped."""
    table = feather.read_table(path, memory_map=True)
    for start in range(0, table.num_rows, chunk_size):
        yield table.slice(start, chunk_size).to_pandas(types_mapper=pd.ArrowDtype)


def parquet_rows(path: Path) -> int:
    """The rows of a Parquet file, from its metadata."""
    return pq.ParquetFile(path).metadata.num_rows


def csv_cell(value: Any) -> Any:
    """A value as one CSV cell: lists joined by :data:`LIST_SEPARATOR`, dicts as JSON."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value
