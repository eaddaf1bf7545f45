"""RIS: records read one by one under ``rispy``'s names (``title``, ``abstract``, ``authors``...), and written back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .columns import LIST_SEPARATOR, as_text, is_missing
from .formats import DocumentsError


def _ris_records(lines: list[str], path: Path, first_line: int) -> list[dict[str, Any]]:
    import rispy

    records = rispy.loads("\n".join(lines), skip_unknown_tags=False)
    if len(records) != 1:
        raise DocumentsError(f"{path}, line {first_line}: could not read this RIS record")
    record = records[0]
    if "unknown_tag" in record:  # kept as JSON text, so that every chunk has the same kind of column
        record["unknown_tag"] = json.dumps(dict(record["unknown_tag"]), ensure_ascii=False)
    return record


def iter_ris(path: Path) -> Iterator[dict[str, Any]]:
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


def ris_reference(row: dict[str, Any], notes: list[str]) -> dict[str, Any]:
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
            text = as_text(value)
            if text:
                reference[name] = text
        elif as_text(value):
            extra.append(f"{key}: {as_text(value)}")
    reference.setdefault("type_of_reference", "JOUR")
    if extra or notes:
        reference["notes"] = [*reference.get("notes", []), *extra, *notes]
    return reference


def ris_writer() -> type:
    """rispy's writer class, made when first needed (rispy loads only for RIS)."""
    import rispy

    class RisWriter(rispy.RisWriter):
        """rispy's writer without the reference numbers it puts before each record."""

        def set_header(self, count: int) -> str:
            return ""

    return RisWriter
