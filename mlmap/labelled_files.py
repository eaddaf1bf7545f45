"""A reader's own labelled file as training data (``python -m mlmap train --data FILE --label COLUMN``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .io import DocumentsError, document_texts, find_text_columns, label_values, read_documents

#: Fewest labelled documents of each class (each label, multilabel) a training file needs: the held-out
#: quarter must hold a couple of each for the thresholds to mean anything.
MIN_PER_CLASS = 8


def training_frame_from_file(path: str | os.PathLike, labels: list[str], title_column: str | None = None,
                             abstract_column: str | None = None) -> tuple[pd.DataFrame, list[str], str]:
    """``text, labels`` from a reader's own labelled file (any input format); the label names and a note on skipped rows.

    One label column gives a screening (binary) model, several a multilabel one. A row whose labels
    are blank is not labelled yet and is skipped (and counted in the note); any other value than
    0/1 is an error, as are too few documents of a class (:data:`MIN_PER_CLASS`).
    """
    frame = read_documents(path)
    missing = [c for c in labels if c not in frame.columns]
    if missing:
        raise DocumentsError(f"{path} has no label column(s) {', '.join(missing)}; "
                             f"its columns are: {', '.join(map(str, frame.columns))}")
    title, abstract = find_text_columns(frame.columns, title_column, abstract_column)
    parsed = {column: label_values(frame[column], booleans=True) for column in labels}
    for column, (_, bad) in parsed.items():
        if bad:
            raise DocumentsError(f"{path}: label column {column!r} holds values other than 0/1 (and blank for "
                                 f"unlabelled): {bad}")
    values = pd.DataFrame({column: values for column, (values, _) in parsed.items()})
    blank = values.isna().any(axis=1)
    numeric = values[~blank]
    texts = document_texts(frame, title, abstract)[~blank]
    no_text = texts == ""
    numeric, texts = numeric[~no_text], texts[~no_text]
    for column in labels:
        counts = numeric[column].value_counts()
        if min(counts.get(0, 0), counts.get(1, 0)) < MIN_PER_CLASS:
            raise DocumentsError(f"{path}: label {column!r} has {counts.get(1, 0)} document(s) labelled 1 and "
                                 f"{counts.get(0, 0)} labelled 0; training needs at least {MIN_PER_CLASS} of each")
    if len(labels) == 1:
        out = pd.DataFrame({"text": texts.to_numpy(), "labels": numeric[labels[0]].astype("int64").to_numpy()})
    else:
        out = pd.DataFrame({"text": texts.to_numpy(), "labels": list(numeric.to_numpy(dtype=np.float32))})
    note = f"{len(out)} labelled documents from {Path(path).name}"
    if blank.sum() or no_text.sum():
        note += f"; skipped {int(blank.sum())} with blank labels and {int(no_text.sum())} without title or abstract"
    return out, list(labels), note
