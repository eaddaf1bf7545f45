"""Label columns checked once and recorded in the Dataset: class ids (one target) or 0/1 vectors (multilabel).

The ``labels`` feature of a tokenized Dataset is the one record of the problem type: ``int64`` class
ids mean one target (softmax, cross-entropy), ``List(float32)`` vectors mean multilabel (a sigmoid
per label, binary cross-entropy). Everything else reads it through :func:`is_multilabel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from datasets import Dataset, List, Value

#: The ``problem_type`` of a Hugging Face model config for each case.
MULTILABEL_PROBLEM = "multi_label_classification"
SINGLE_LABEL_PROBLEM = "single_label_classification"


def label_feature(labels: pd.Series) -> tuple[Value | List, list]:
    """Check a label column; return its datasets feature and plain values (int64 ids or float32 vectors).

    Raises ``ValueError`` saying what is wrong: NaN, vectors of different lengths, or class ids that
    are not whole numbers.
    """
    first = labels.iloc[0]
    if isinstance(first, (Sequence, np.ndarray)) and not isinstance(first, str):
        lengths = {len(v) for v in labels}
        if len(lengths) != 1:
            raise ValueError(
                f"multilabel vectors have inconsistent lengths {sorted(lengths)}; "
                "every row needs one value per label"
            )
        matrix = np.asarray(labels.tolist(), dtype=np.float32)
        if np.isnan(matrix).any():
            raise ValueError("labels contain NaN; drop uncoded documents (see mlmap.prepare_targets)")
        return List(Value("float32")), matrix.tolist()
    values = pd.to_numeric(labels, errors="coerce")
    if values.isna().any() or (values != values.round()).any():
        raise ValueError("single-target labels must be whole class ids (0, 1, ...) without NaN")
    return Value("int64"), values.astype("int64").tolist()


def is_multilabel(dataset: Dataset) -> bool:
    """Whether a Dataset's ``labels`` are 0/1 vectors (multilabel) rather than class ids.

    Raises ``ValueError`` if the Dataset has no ``labels`` column.
    """
    if "labels" not in dataset.column_names:
        raise ValueError(f"the Dataset has no 'labels' column (columns: {dataset.column_names})")
    return isinstance(dataset.features["labels"], List)


def problem_type(dataset: Dataset) -> str:
    """The model config's ``problem_type`` for a Dataset's labels."""
    return MULTILABEL_PROBLEM if is_multilabel(dataset) else SINGLE_LABEL_PROBLEM


def num_labels(dataset: Dataset) -> int:
    """Outputs the classification head needs: the vector length (multilabel), else the number of classes (at least 2)."""
    if is_multilabel(dataset):
        return len(dataset[0]["labels"])
    return max(2, int(max(dataset["labels"])) + 1)
