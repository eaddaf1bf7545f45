"""OpenAlex works in JSON Lines: top-level fields kept (nested ones as JSON text), the abstract rebuilt."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .formats import DocumentsError


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


def iter_openalex(path: Path) -> Iterator[dict[str, Any]]:
    """The works of a JSON Lines file one by one (blank lines skipped), as records of :func:`_openalex_record`."""
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield _openalex_record(line, number, path)
