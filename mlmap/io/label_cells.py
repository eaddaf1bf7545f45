"""A column of 0/1 labels as CSV, Parquet and RIS give it, blank where not labelled yet."""

from __future__ import annotations

import pandas as pd

from .columns import is_missing

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
