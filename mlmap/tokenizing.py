"""Turning a DataFrame of texts (and labels) into a tokenized ``datasets.Dataset``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from datasets import Dataset, Features, List, Value
from transformers import AutoTokenizer, PreTrainedTokenizerBase


def load_tokenizer(model_name: str | PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """The tokenizer of a model folder or hub id (a tokenizer object is returned as it is)."""
    if isinstance(model_name, PreTrainedTokenizerBase):
        return model_name
    return AutoTokenizer.from_pretrained(model_name)


def _check_texts(texts: pd.Series) -> None:
    bad = texts.isna() | (texts.astype(str).str.strip() == "")
    if bad.any():
        rows = list(texts.index[bad][:5])
        raise ValueError(
            f"{int(bad.sum())} text(s) are missing or empty (first rows: {rows}); "
            "drop them or fill them (mlmap.make_text joins title and abstract) before tokenizing"
        )


def _label_feature(labels: pd.Series) -> tuple[Value | List, list]:
    """The datasets feature and plain values of a label column: int64 ids or float32 vectors."""
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


def hf_tokenize_data(
    df: pd.DataFrame,
    model_name: str | PreTrainedTokenizerBase,
    max_length: int | None = None,
) -> Dataset:
    """Tokenize ``df["text"]`` (and carry ``df["labels"]``) into a Dataset ready for a ``Trainer``.

    Texts are truncated to ``max_length`` (default: the model's limit) but not padded: pad each batch
    with ``DataCollatorWithPadding`` so that short batches stay short. Labels become int64 class ids
    (one target) or float32 vectors (multilabel). A ``length`` column holds each text's token count,
    for length-grouped batches.
    """
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise ValueError("expected a non-empty pandas DataFrame with a 'text' column")
    if "text" not in df.columns:
        raise ValueError(
            f"the DataFrame has no 'text' column (columns: {list(df.columns)}); "
            "build one with mlmap.make_text(df) or mlmap.prepare_targets(df)"
        )
    _check_texts(df["text"])
    tokenizer = load_tokenizer(model_name)
    limit = min(tokenizer.model_max_length, max_length or tokenizer.model_max_length)
    encoded = tokenizer(df["text"].astype(str).tolist(), truncation=True, max_length=limit)

    columns = dict(encoded)
    features = {name: List(Value("int8" if name == "attention_mask" else "int32")) for name in columns}
    columns["length"] = [len(ids) for ids in encoded["input_ids"]]
    features["length"] = Value("int32")
    if "labels" in df.columns:
        features["labels"], columns["labels"] = _label_feature(df["labels"])
    return Dataset.from_dict(columns, features=Features(features))
