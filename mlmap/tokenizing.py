"""Turning a DataFrame of texts (and labels) into a tokenized ``datasets.Dataset``."""

from __future__ import annotations

import pandas as pd
from datasets import Dataset, Features, List, Value
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from .labels import label_feature

#: The longest input BERT-like encoders take (512 position embeddings); longer texts are truncated.
BERT_MAX_LENGTH = 512


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


def hf_tokenize_data(
    df: pd.DataFrame,
    model_name: str | PreTrainedTokenizerBase,
    max_length: int | None = None,
) -> Dataset:
    """Tokenize ``df["text"]`` (and carry ``df["labels"]``) into a Dataset ready for a ``Trainer``.

    Texts are truncated to ``max_length`` (default :data:`BERT_MAX_LENGTH`, or the tokenizer's limit if lower) but not padded: pad each batch
    with ``DataCollatorWithPadding`` so that short batches stay short. Labels become int64 class ids
    (one target) or float32 vectors (multilabel), the record of the problem type that
    :func:`mlmap.labels.is_multilabel` reads. A ``length`` column holds each text's token count,
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
    # some tokenizers leave model_max_length unset (a huge number): never rely on it alone
    limit = min(tokenizer.model_max_length, max_length or BERT_MAX_LENGTH)
    encoded = tokenizer(df["text"].astype(str).tolist(), truncation=True, max_length=limit)

    columns = dict(encoded)
    features = {name: List(Value("int8" if name == "attention_mask" else "int32")) for name in columns}
    columns["length"] = [len(ids) for ids in encoded["input_ids"]]
    features["length"] = Value("int32")
    if "labels" in df.columns:
        features["labels"], columns["labels"] = label_feature(df["labels"])
    return Dataset.from_dict(columns, features=Features(features))
