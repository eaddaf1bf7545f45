"""Collections of documents on disk: CSV, Parquet, Feather, RIS and OpenAlex JSON Lines in; CSV, Parquet, RIS out.

Files are read in chunks (memory stays flat on large corpora) and every field of the input is kept:
CSV cells as the exact text they hold, Parquet and Feather columns with their types, RIS tags under
``rispy``'s names (``title``, ``abstract``, ``authors``...), OpenAlex works with their top-level
fields (nested ones as JSON text) and the abstract rebuilt from ``abstract_inverted_index``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

#: Input formats by file extension.
INPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".feather": "feather", ".ris": "ris",
                 ".jsonl": "openalex", ".ndjson": "openalex"}
#: Output formats by file extension.
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".ris": "ris"}
#: Column names taken for the title and the abstract, in order of preference (case does not matter):
#: plain names, RIS's (``TI``/``T1``, ``AB``/``N2`` as rispy names them) and OpenAlex's ``display_name``.
TITLE_COLUMNS = ("title", "primary_title", "display_name", "article title", "ti")
ABSTRACT_COLUMNS = ("abstract", "notes_abstract", "ab")
#: Where a list value (RIS authors, keywords) is joined into one CSV cell.
LIST_SEPARATOR = "; "


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


def abstract_from_inverted_index(index: dict[str, Sequence[int]] | None) -> str:
    """OpenAlex's ``abstract_inverted_index`` (word -> positions) back to the abstract's text."""
    if not index:
        return ""
    words = {position: word for word, positions in index.items() for position in positions}
    return " ".join(words[p] for p in sorted(words))


def _openalex_record(line: str, number: int, path: Path) -> dict[str, Any]:
    try:
        work = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DocumentsError(f"{path}, line {number}: not valid JSON ({exc.msg}); "
                             "expected one OpenAlex work (a JSON object) per line") from exc
    if not isinstance(work, dict):
        raise DocumentsError(f"{path}, line {number}: expected a JSON object (one work per line), got {type(work).__name__}")
    record: dict[str, Any] = {}
    for key, value in work.items():
        if key == "abstract_inverted_index":
            record["abstract"] = abstract_from_inverted_index(value)
        elif isinstance(value, (dict, list)):
            record[key] = json.dumps(value, ensure_ascii=False)
        else:
            record[key] = value
    return record


def _ris_records(lines: list[str], path: Path, first_line: int) -> list[dict[str, Any]]:
    import rispy

    records = rispy.loads("\n".join(lines), skip_unknown_tags=False)
    if len(records) != 1:
        raise DocumentsError(f"{path}, line {first_line}: could not read this RIS record")
    record = records[0]
    if "unknown_tag" in record:  # kept as JSON text, so that every chunk has the same kind of column
        record["unknown_tag"] = json.dumps(dict(record["unknown_tag"]), ensure_ascii=False)
    return record


def _iter_ris(path: Path) -> Iterator[dict[str, Any]]:
    """RIS records one by one; a record that is never closed, or a second ``TY`` inside one, is an error."""
    current: list[str] | None = None
    start = 0
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            tag = line[:2] if line[2:5] == "  -" else None
            if tag == "TY":
                if current is not None:
                    raise DocumentsError(f"{path}, line {number}: a new record (TY) starts before the record of "
                                         f"line {start} ends; every RIS record ends with 'ER  -'")
                current, start = [line], number
            elif current is not None:
                current.append(line)
                if tag == "ER":
                    yield _ris_records(current, path, start)
                    current = None
            elif tag is not None:
                raise DocumentsError(f"{path}, line {number}: the tag {tag} is outside a record; "
                                     "every RIS record starts with 'TY  -' and ends with 'ER  -'")
    if current is not None:
        raise DocumentsError(f"{path}: the record of line {start} never ends; every RIS record ends with 'ER  -'")


def _batched(records: Iterator[dict[str, Any]], size: int) -> Iterator[pd.DataFrame]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield pd.DataFrame.from_records(batch)
            batch = []
    if batch:
        yield pd.DataFrame.from_records(batch)


def _iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield _openalex_record(line, number, path)


def _chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[pd.DataFrame]:
    if fmt == "csv":
        # every cell as the text it holds: nothing re-typed, an empty cell stays empty
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunk_size, encoding="utf-8-sig")
    elif fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield batch.to_pandas(types_mapper=pd.ArrowDtype)
    elif fmt == "feather":
        table = feather.read_table(path, memory_map=True)
        for start in range(0, table.num_rows, chunk_size):
            yield table.slice(start, chunk_size).to_pandas(types_mapper=pd.ArrowDtype)
    elif fmt == "ris":
        yield from _batched(_iter_ris(path), chunk_size)
    else:
        yield from _batched(_iter_jsonl(path), chunk_size)


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
            return pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise DocumentsError(f"{path} could not be read as parquet: {exc}") from exc
    return sum(len(chunk) for chunk in iter_documents(path, chunk_size=10_000))


def find_text_columns(columns: Sequence[str], title: str | None = None,
                      abstract: str | None = None) -> tuple[str | None, str | None]:
    """The title and abstract columns among ``columns``: the ones named, else the usual names.

    Raises :class:`DocumentsError` when a named column is missing or neither is found, listing the
    columns there are.
    """
    columns = list(columns)
    lower = {str(c).lower(): c for c in reversed(columns)}

    def pick(named: str | None, candidates: tuple[str, ...], what: str) -> str | None:
        if named is not None:
            if named not in columns:
                raise DocumentsError(f"no {what} column {named!r}; the columns are: {', '.join(map(str, columns))}")
            return named
        return next((lower[c] for c in candidates if c in lower), None)

    found = pick(title, TITLE_COLUMNS, "title"), pick(abstract, ABSTRACT_COLUMNS, "abstract")
    if found == (None, None):
        raise DocumentsError(f"no title or abstract column among: {', '.join(map(str, columns))}. Name them "
                             f"'title' and 'abstract', or say which they are (--title-column, --abstract-column)")
    return found


def is_missing(value: Any) -> bool:
    """Whether a cell holds nothing: None, pandas' NA or a float NaN (an empty string is text, if empty)."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


#: The texts of a 0/1 label cell, as CSV, Parquet and RIS give them; a blank cell means "not labelled".
LABEL_TEXTS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}


def label_values(column: pd.Series, booleans: bool = False) -> tuple[pd.Series, list[str]]:
    """A label column as 0/1 (``Int64``, NA where blank), and up to 5 values that are neither 0/1 nor blank.

    ``booleans=True`` also takes ``True``/``False`` (a Parquet bool column).
    """
    texts = column.map(lambda v: "" if is_missing(v) else str(v).strip())
    accepted = {**LABEL_TEXTS, **({"False": 0, "True": 1} if booleans else {}), "": pd.NA}
    labels = texts.map(accepted)
    bad = sorted(set(texts[labels.isna() & (texts != "")]))[:5]
    return labels.astype("Int64"), bad


def _as_text(value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):  # a RIS tag given twice
        return " ".join(_as_text(v) for v in value)
    return str(value).strip()


def document_texts(frame: pd.DataFrame, title: str | None, abstract: str | None) -> pd.Series:
    """Title and abstract joined as :func:`mlmap.make_text` joins them; ``""`` for a document with neither."""
    empty = pd.Series("", index=frame.index)
    titles = frame[title].map(_as_text) if title in frame else empty
    abstracts = frame[abstract].map(_as_text) if abstract in frame else empty
    sep = np.where((titles != "") & (abstracts != ""), ". ", "")
    return (titles + sep + abstracts).str.strip()


# ---- writing --------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _ris_reference(row: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """A row as a rispy reference: RIS fields under their names, any other field as a note."""
    from rispy import LIST_TYPE_TAGS, TAG_KEY_MAPPING

    names = set(TAG_KEY_MAPPING.values())
    list_names = {TAG_KEY_MAPPING[t] for t in LIST_TYPE_TAGS}
    reference: dict[str, Any] = {}
    extra: list[str] = []
    for key, value in row.items():
        if is_missing(value):
            continue
        if isinstance(value, np.ndarray):
            value = value.tolist()
        name = str(key).lower()
        if name == "unknown_tag":
            reference[name] = json.loads(value) if isinstance(value, str) else value
        elif name in list_names:
            reference[name] = list(value) if isinstance(value, list) else [v for v in str(value).split(LIST_SEPARATOR) if v]
        elif name in names:
            text = _as_text(value)
            if text:
                reference[name] = text
        elif _as_text(value):
            extra.append(f"{key}: {_as_text(value)}")
    reference.setdefault("type_of_reference", "JOUR")
    if extra or notes:
        reference["notes"] = [*reference.get("notes", []), *extra, *notes]
    return reference


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
            frame.reindex(columns=self.columns).map(_csv_cell).to_csv(self._handle, header=self._first, index=False)
        else:
            import rispy

            references = [_ris_reference({c: row.get(c) for c in self.columns}, self.notes(row) if self.notes else [])
                          for row in frame.to_dict(orient="records")]
            if not self._first:
                self._handle.write("\n")  # the blank line rispy puts between references
            rispy.dump(references, self._handle, implementation=_ris_writer())
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


def _ris_writer() -> type:
    import rispy

    class RisWriter(rispy.RisWriter):
        """rispy's writer without the reference numbers it puts before each record."""

        def set_header(self, count: int) -> str:
            return ""

    return RisWriter


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
