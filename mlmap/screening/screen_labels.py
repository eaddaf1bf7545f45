"""The labels of a screening round: read from a column or ASReview LAB's exports, put in screening order, checked.

Every state a round cannot start from raises :class:`~mlmap.io.DocumentsError`, saying how to fix it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..io import DocumentsError, is_missing, label_values

#: Fewest relevant and irrelevant screened documents to train on: with fewer, a ranking means little.
MIN_PER_CLASS = 5


#: (its CSV export writes ``asreview_label`` from version 2 on, ``included`` before), where -1 means
#: "not seen", as version 1 writes it.
DEFAULT_LABEL = "label"
ASREVIEW_LABEL_COLUMNS = ("asreview_label", "included", "label_included", "final_included")
#: ASReview LAB's labels in a RIS export: N1 notes, which rispy reads into the ``notes`` column.
NOTES_COLUMN = "notes"
ASREVIEW_NOTES = {"ASReview_relevant": 1, "ASReview_irrelevant": 0, "ASReview_not_seen": None}
_ASREVIEW_NOTE = re.compile(r"\b(" + "|".join(ASREVIEW_NOTES) + r")\b")


def _note_text(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):  # N1 given several times: rispy's list of notes
        return " ".join(_note_text(v) for v in value)
    return "" if is_missing(value) else str(value)


def _asreview_notes(notes: pd.Series) -> pd.Series:
    """The ASReview labels each cell of a notes column names (a set, empty where none)."""
    return notes.map(lambda v: set(_ASREVIEW_NOTE.findall(_note_text(v))))


def read_labels(frame: pd.DataFrame, label: str | None = None) -> tuple[pd.Series, str]:
    """The labels (0/1 ``Int64``, NA where not screened) and where they were read from, in words.

    ``label`` names the column. Without it: ``label``, else ASReview LAB's ``asreview_label`` or
    ``included`` column (its CSV exports; also ``label_included``, ``final_included``; any case),
    else its labels in RIS N1 notes (``ASReview_relevant``, ``ASReview_irrelevant``;
    ``ASReview_not_seen`` or none: not seen).
    """
    columns = list(frame.columns)
    if label is None:
        lower = {str(c).lower(): c for c in reversed(columns)}
        label = next((lower[c] for c in (DEFAULT_LABEL, *ASREVIEW_LABEL_COLUMNS) if c in lower), None)
        if label is None and NOTES_COLUMN in frame and _asreview_notes(frame[NOTES_COLUMN]).astype(bool).any():
            label = NOTES_COLUMN
        if label is None:
            raise DocumentsError(
                f"no label column {DEFAULT_LABEL!r}, nor ASReview LAB's 'asreview_label' or 'included' column or "
                f"N1 notes (ASReview_relevant...); the columns are: {', '.join(map(str, columns))}. "
                "Say which column holds the 0/1 labels with --label")
    elif label not in columns:
        raise DocumentsError(f"no label column {label!r}; the columns are: {', '.join(map(str, columns))}. "
                             "Say which column holds the 0/1 labels with --label")
    if label == NOTES_COLUMN:
        return _labels_from_notes(frame[label])
    asreview = str(label).lower() in ASREVIEW_LABEL_COLUMNS
    column = frame[label]
    if asreview:  # ASReview writes -1 for a record not seen yet
        column = column.map(lambda v: None if not is_missing(v) and str(v).strip() in ("-1", "-1.0") else v)
    labels, bad = label_values(column)
    if bad:
        raise DocumentsError(f"label column {label!r} holds values other than 0, 1 or blank: {bad}")
    if asreview:
        return labels, f"ASReview LAB's column {label!r} (1 relevant, 0 irrelevant, -1 or blank not seen)"
    return labels, f"column {label!r}"


def _labels_from_notes(notes: pd.Series) -> tuple[pd.Series, str]:
    found = _asreview_notes(notes)
    both = found.map(lambda tags: "ASReview_relevant" in tags and "ASReview_irrelevant" in tags)
    if both.any():
        raise DocumentsError(f"{int(both.sum())} record(s) hold both ASReview_relevant and ASReview_irrelevant in "
                             f"their N1 notes (the first is record {int(np.flatnonzero(both)[0]) + 1}): keep one")
    labels = found.map(lambda tags: next((ASREVIEW_NOTES[t] for t in ("ASReview_relevant", "ASReview_irrelevant")
                                          if t in tags), None))
    return (pd.Series(labels.tolist(), index=notes.index, dtype="Int64"),
            "ASReview LAB's N1 notes (ASReview_relevant, ASReview_irrelevant; else not seen)")


def screening_labels(frame: pd.DataFrame, label: str | None = None,
                     order: str | None = None) -> tuple[pd.Series, np.ndarray, str]:
    """The labels (0/1, NA where not screened), the positions of the screened documents in screening order,
    and where the labels were read from (see :func:`read_labels`): all the stopping rule needs.

    Without ``order`` the screened documents are taken in file order. Raises
    :class:`~mlmap.io.DocumentsError` when the labels or the order cannot be read, saying how to fix it.
    """
    labels, source = read_labels(frame, label)
    screened = labels.notna().to_numpy()
    if not screened.any():
        raise DocumentsError(f"no document has a label yet ({source}): screen a first random sample by hand "
                             f"(at least {MIN_PER_CLASS} relevant and {MIN_PER_CLASS} irrelevant documents)")
    positions = np.flatnonzero(screened)
    if order is None:
        return labels, positions, source
    if order not in frame.columns:
        raise DocumentsError(f"no order column {order!r}; the columns are: {', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[order].map(lambda v: np.nan if is_missing(v) or str(v).strip() == "" else v),
                           errors="coerce")
    given = values.notna().to_numpy()
    if (given & ~screened).any():
        raise DocumentsError(f"order column {order!r} gives a position to {int((given & ~screened).sum())} unlabelled "
                             "document(s); only screened documents have a place in the screening order")
    if (screened & ~given).any():
        raise DocumentsError(f"order column {order!r} is blank or not a number for {int((screened & ~given).sum())} "
                             "labelled document(s); every screened document needs its place (1, 2, 3, ...)")
    places = values[screened].to_numpy()
    if (places != np.round(places)).any():
        raise DocumentsError(f"order column {order!r} holds numbers that are not whole: it should number the screened "
                             "documents 1, 2, 3, ...")
    counts = pd.Series(places.astype(int)).value_counts()
    duplicates = sorted(counts[counts > 1].index.tolist())
    if duplicates:
        raise DocumentsError(f"order column {order!r} repeats the place(s) {duplicates[:5]}: every screened document "
                             "needs its own place")
    expected = set(range(1, len(places) + 1))
    if set(places.astype(int)) != expected:
        missing = sorted(expected - set(places.astype(int)))[:5]
        raise DocumentsError(f"order column {order!r} has gaps: the {len(places)} screened documents should be numbered "
                             f"1 to {len(places)}, but {missing} are missing")
    return labels, positions[np.argsort(places, kind="stable")], source


def ranking_problem(labels: pd.Series, source: str = "the label column") -> str | None:
    """Why no model can rank the unscreened documents from these labels (None: it can)."""
    relevant, irrelevant = int((labels == 1).sum()), int((labels == 0).sum())
    if labels.notna().all():
        return f"every document has a label ({source}): there is nothing left to rank"
    if relevant == 0 or irrelevant == 0:
        only = "relevant (1)" if irrelevant == 0 else "irrelevant (0)"
        return (f"all {relevant + irrelevant} labelled documents are {only}: a model needs both classes, "
                f"at least {MIN_PER_CLASS} of each")
    if min(relevant, irrelevant) < MIN_PER_CLASS:
        return (f"{relevant} relevant and {irrelevant} irrelevant documents are labelled: screen more by hand "
                f"first, until there are at least {MIN_PER_CLASS} of each")
    return None


def screening_state(frame: pd.DataFrame, label: str | None = None,
                    order: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """The labels and the screening order of :func:`screening_labels`, for a round that trains a model.

    Raises :class:`~mlmap.io.DocumentsError` for every state a round cannot start from, saying how to fix it.
    """
    labels, positions, source = screening_labels(frame, label, order)
    problem = ranking_problem(labels, source)
    if problem is not None:
        raise DocumentsError(problem)
    return labels, positions
