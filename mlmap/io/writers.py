"""Writing documents to CSV, Parquet or RIS (by extension), atomically; outputs that would overwrite the input refused."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .formats import DocumentsError, output_format
from .ris import ris_reference, ris_writer
from .tabular import csv_cell


class DocumentWriter:
    """Writes chunks of documents to a temporary file beside ``path``; :meth:`commit` renames it into place.

    ``columns`` fixes the columns (in order) of every chunk; missing ones are written empty. For RIS,
    ``notes`` is a function from a row to extra ``N1`` lines (the predictions).
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str], schema: pa.Schema | None = None,
                 notes=None) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        self.columns, self.schema, self.notes = list(columns), schema, notes
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._parquet: pq.ParquetWriter | None = None
        self._handle = open(self.tmp, "w", encoding="utf-8", newline="") if self.format != "parquet" else None
        self._first = True
        self._count = 0

    def write(self, chunk: pd.DataFrame | pa.Table) -> None:
        """Append one chunk."""
        if self.format == "parquet":
            table = chunk if isinstance(chunk, pa.Table) else pa.Table.from_pandas(chunk, preserve_index=False)
            table = _conform(table, self.schema)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.tmp, table.schema)
            self._parquet.write_table(table)
            return
        frame = chunk.to_pandas(types_mapper=pd.ArrowDtype) if isinstance(chunk, pa.Table) else chunk
        if self.format == "csv":
            frame.reindex(columns=self.columns).map(csv_cell).to_csv(self._handle, header=self._first, index=False)
        else:
            import rispy

            references = [ris_reference({c: row.get(c) for c in self.columns}, self.notes(row) if self.notes else [])
                          for row in frame.to_dict(orient="records")]
            if not self._first:
                self._handle.write("\n")  # the blank line rispy puts between references
            rispy.dump(references, self._handle, implementation=ris_writer())
        self._first = False

    def commit(self) -> Path:
        """Close the file and move it to ``path`` (replacing any older file there)."""
        if self._parquet is not None:
            self._parquet.close()
        elif self.format == "parquet":  # no chunk: an empty table with the schema
            pq.write_table(self.schema.empty_table(), self.tmp)
        if self._handle is not None:
            self._handle.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and remove the temporary file: nothing half-written stays behind."""
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None:
            self._handle.close()
        self.tmp.unlink(missing_ok=True)


def _conform(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """``table`` with ``schema``'s columns, in order and types (missing columns as nulls)."""
    if schema is None:
        return table
    arrays = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
              for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_documents(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a DataFrame of documents to CSV, Parquet or RIS (by extension), atomically.

    The file is written beside ``path`` under a temporary name and renamed into place: a write that
    fails leaves any older file at ``path`` as it was, and nothing half-written.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False) if output_format(path) == "parquet" else None
    writer = DocumentWriter(path, frame.columns, table.schema if table is not None else None)
    try:
        writer.write(table if table is not None else frame)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same path once resolved (``..``, symbolic links), or, when both
    exist, the same file on disk (a hard link, a case-insensitive file system)."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(input_path: str | os.PathLike, outputs: dict[str, str | os.PathLike]) -> None:
    """Refuse outputs that would overwrite the input or each other (``outputs``: the option naming each -> path).

    Raises :class:`DocumentsError` saying which option names which file, before anything is written.
    """
    named = list(outputs.items())
    for option, path in named:
        if same_file(path, input_path):
            raise DocumentsError(f"{option} {path} is the input file {input_path}: writing it would replace your "
                                 f"documents and labels. Give {option} another file name")
    for i, (option, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            if same_file(path, other_path):
                raise DocumentsError(f"{option} and {other} both name {path}: one would overwrite the other. "
                                     "Give them different file names")
