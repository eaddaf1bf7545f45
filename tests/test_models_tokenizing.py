"""Model resolution and tokenizing a DataFrame into a Dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from transformers import DataCollatorWithPadding

import mlmap


def test_resolve_model_order(monkeypatch, tmp_path):
    monkeypatch.delenv("MLMAP_MODEL", raising=False)
    assert mlmap.resolve_model() == mlmap.bundled_model_path()
    monkeypatch.setenv("MLMAP_MODEL", str(tmp_path))
    assert mlmap.resolve_model() == str(tmp_path)
    assert mlmap.resolve_model(mlmap.bundled_model_path()) == mlmap.bundled_model_path()


def test_resolve_model_unloadable_hub_id_mentions_variable(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(mlmap.ModelNotFoundError, match="MLMAP_MODEL"):
        mlmap.resolve_model("no-such-org/no-such-model-xyz")


def test_tokenize_binary(tokenizer, binary_df):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    assert len(ds) == len(binary_df)
    assert ds.features["labels"].dtype == "int64"
    assert ds["labels"] == binary_df["labels"].tolist()
    lengths = [len(ids) for ids in ds["input_ids"]]
    assert ds["length"] == lengths
    assert len(set(lengths)) > 1  # not padded to one length
    assert ds["input_ids"][0][0] == tokenizer.cls_token_id and ds["input_ids"][0][-1] == tokenizer.sep_token_id


def test_tokenize_truncates(tokenizer):
    df = pd.DataFrame({"text": ["climate " * 1000, "short text"]})
    ds = mlmap.hf_tokenize_data(df, tokenizer)
    assert ds["length"] == [512, 4]
    assert mlmap.hf_tokenize_data(df, tokenizer, max_length=16)["length"] == [16, 4]
    assert "labels" not in ds.column_names


def test_tokenize_multilabel_is_float32_vectors(tokenizer, multilabel_df):
    ds = mlmap.hf_tokenize_data(multilabel_df, tokenizer)
    assert ds.features["labels"].feature.dtype == "float32"
    batch = DataCollatorWithPadding(tokenizer)([{k: ds[i][k] for k in ("input_ids", "attention_mask", "labels")} for i in range(4)])
    assert batch["labels"].dtype.is_floating_point and tuple(batch["labels"].shape) == (4, 3)
    assert batch["input_ids"].shape[1] == max(ds["length"][:4])  # padded to the longest in the batch


def test_tokenize_accepts_model_folder(tiny_model_dir, binary_df):
    assert len(mlmap.hf_tokenize_data(binary_df, tiny_model_dir)) == len(binary_df)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame(), "non-empty"),
        (pd.DataFrame({"title": ["x"]}), "no 'text' column"),
        (pd.DataFrame({"text": ["fine", None]}), "missing or empty"),
        (pd.DataFrame({"text": ["fine", np.nan]}), "missing or empty"),
        (pd.DataFrame({"text": ["fine", "   "]}), "missing or empty"),
        (pd.DataFrame({"text": ["a", "b"], "labels": [[1.0, 0.0], [1.0]]}), "inconsistent lengths"),
        (pd.DataFrame({"text": ["a", "b"], "labels": [[1.0, np.nan], [1.0, 0.0]]}), "NaN"),
        (pd.DataFrame({"text": ["a", "b"], "labels": [1, np.nan]}), "whole class ids"),
        (pd.DataFrame({"text": ["a", "b"], "labels": [0.5, 1]}), "whole class ids"),
    ],
)
def test_tokenize_bad_input(tokenizer, frame, message):
    with pytest.raises(ValueError, match=message):
        mlmap.hf_tokenize_data(frame, tokenizer)


def test_load_classifier_head_and_attention_dropout(tiny_model_dir):
    # the tiny folder already has a 2-label head; a pretrained encoder (the real case) has none
    model = mlmap.load_classifier(tiny_model_dir, num_labels=3, multilabel=True, ignore_mismatched_sizes=True)
    assert model.config.num_labels == 3 and model.config.problem_type == "multi_label_classification"
    assert model.config.attention_probs_dropout_prob == 0.0
    assert model.bert.encoder.layer[0].attention.self.dropout.p == 0.0
    kept = mlmap.load_classifier(tiny_model_dir, attention_dropout=None)
    assert kept.config.attention_probs_dropout_prob == 0.1
    assert kept.config.problem_type == "single_label_classification"
