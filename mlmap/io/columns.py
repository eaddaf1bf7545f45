"""Which columns hold a document's title and abstract, and its text from them; what counts as an empty cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .formats import DocumentsError

#: Column names taken for the title and the abstract, in order of preference (case does not matter):
#: plain names, RIS's (``TI``/``T1``, ``AB``/``N2`` as rispy names them) and OpenAlex's ``display_name``.
TITLE_COLUMNS = ("title", "primary_title", "display_name", "article title", "ti")
ABSTRACT_COLUMNS = ("abstract", "notes_abstract", "ab")
#: Where a list value (RIS authors, keywords) is joined into one CSV cell.
LIST_SEPARATOR = "; "


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


def as_text(value: Any) -> str:
    """A cell as stripped text: ``""`` when missing, a list's items (a RIS tag given twice) joined by spaces."""
    if is_missing(value):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):  # a RIS tag given twice
        return " ".join(as_text(v) for v in value)
    return str(value).strip()


def document_texts(frame: pd.DataFrame, title: str | None, abstract: str | None) -> pd.Series:
    """Title and abstract joined as :func:`mlmap.make_text` joins them; ``""`` for a document with neither."""
    empty = pd.Series("", index=frame.index)
    titles = frame[title].map(as_text) if title in frame else empty
    abstracts = frame[abstract].map(as_text) if abstract in frame else empty
    sep = np.where((titles != "") & (abstracts != ""), ". ", "")
    return (titles + sep + abstracts).str.strip()
