"""Shared fixtures: a tiny randomly initialised BERT with the bundled tokenizer, and small frames."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

import mlmap

ROOT = Path(__file__).resolve().parent.parent
JB = Path(sys.executable).with_name("jupyter-book")
# the browser the browser tests drive, found as `make check-test-tools` finds it (Playwright cannot download its own here)
CHROMIUM = Path(os.environ.get("MLMAP_CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium") or "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def built_book():
    """Build the book as `make book` does; the execution cache makes a rebuild cheap."""
    result = subprocess.run([str(JB), "build", str(ROOT), "-W", "--keep-going"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


@pytest.fixture(scope="session")
def tokenizer():
    return AutoTokenizer.from_pretrained(mlmap.bundled_model_path())


def _tiny_model(tokenizer, num_labels: int, multilabel: bool, pooling: str = "cls"):
    """A tiny random BERT classifier: the [CLS] head transformers builds, or mlmap's mean-pooled head."""
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=num_labels,
        problem_type="multi_label_classification" if multilabel else "single_label_classification",
    )
    if pooling == "mean":
        from mlmap.heads import mean_pooled_config, register_mean_pooled

        return register_mean_pooled("bert")[1](mean_pooled_config(config))
    return BertForSequenceClassification(config)


@pytest.fixture
def tiny_model_dir(tmp_path_factory, tokenizer):
    """A folder holding a tiny binary BERT classifier and the bundled tokenizer."""
    path = tmp_path_factory.mktemp("tiny-bert")
    _tiny_model(tokenizer, 2, False).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture
def make_tiny_model(tokenizer):
    return lambda num_labels=2, multilabel=False, pooling="cls": _tiny_model(tokenizer, num_labels, multilabel, pooling)


WORDS = "carbon tax emissions trading building standard subsidy forest transport label policy energy".split()


@pytest.fixture
def binary_df():
    """24 short texts of varied length; label 1 when 'tax' appears (learnable by a tiny model)."""
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for i in range(24):
        words = list(rng.choice(WORDS, size=3 + i % 9))
        if i % 2:
            words.insert(1, "tax")
        else:
            words = [w for w in words if w != "tax"] or ["policy"]
        texts.append(" ".join(words))
        labels.append(i % 2)
    return pd.DataFrame({"text": texts, "labels": labels})


@pytest.fixture
def multilabel_df(binary_df):
    """The same texts with three labels: 'tax' present, 'forest' present, both."""
    has = lambda w: binary_df.text.str.contains(w).astype(float)
    matrix = np.stack([has("tax"), has("forest"), has("tax") * has("forest")], axis=1)
    return pd.DataFrame({"text": binary_df.text, "labels": list(matrix.astype(np.float32))})


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory, tokenizer):
    """A folder holding a tiny BERT encoder without a head (any head size can be put on it) and the tokenizer."""
    from transformers import BertModel

    path = tmp_path_factory.mktemp("tiny-encoder")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def labelled_df():
    """60 documents shaped like labels.feather: INCLUDE, two instrument codes and two sector codes (codes on included only)."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(60):
        include = int(i % 3 != 0)
        tax, forest = bool(i % 2), bool(i % 5 < 2)
        words = list(rng.choice(WORDS, size=4 + i % 6))
        words += (["tax"] if tax else []) + (["forest"] if forest else []) + (["policy"] if include else ["physics"])
        codes = [float(tax), float(not tax), float(forest), float(not forest)] if include else [np.nan] * 4
        rows.append([f"W{i}", f"title {i}", " ".join(words), float(include), *codes])
    return pd.DataFrame(rows, columns=["id", "title", "abstract", "INCLUDE", "4 - 1. Tax", "4 - 2. Other",
                                       "8 - 01. Forest", "8 - 02. Other"])


@pytest.fixture
def fp32(monkeypatch):
    """Every path in fp32 (``MLMAP_PRECISION=fp32``), whatever the machine: for tests that compare
    mlmap's probabilities with an fp32 forward pass of their own."""
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")


@pytest.fixture(params=["fp32", "bf16"])
def precision(request, monkeypatch):
    """Each test that takes it runs twice: in fp32, and in bf16 as on a CPU with bf16 units.

    Where the machine has none, the hardware check is made to say yes and torch emulates bf16
    (slow, fine for tiny models), so the bf16 paths are tested on every machine.
    """
    from mlmap import hardware

    if request.param == "bf16":
        monkeypatch.setattr(hardware, "bf16_supported", lambda: True)
        monkeypatch.setenv("MLMAP_PRECISION", "auto")
    else:
        monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    return request.param
