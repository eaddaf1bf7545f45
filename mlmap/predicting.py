"""Probabilities from a fine-tuned classifier: the rule that matches the loss, and batched inference."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from datasets import Dataset
from tqdm import tqdm
from transformers import DataCollatorWithPadding, PreTrainedModel, PreTrainedTokenizerBase

from .hardware import use_bf16
from .labels import MULTILABEL_PROBLEM
from .openvino_engine import OpenVINOClassifier, openvino_classifier, resolve_engine
from .progress import show_progress
from .tokenizing import hf_tokenize_data

#: Inputs a BERT-like classifier takes; any other column (``length``, ``labels``) stays out of the batch.
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
#: Batch widths are rounded up to a multiple of this: a few dozen distinct shapes instead of hundreds,
#: so the CPU kernels cached per shape stop piling up and memory stays flat on large collections.
PAD_MULTIPLE = 16


def probabilities_from_logits(logits: np.ndarray | torch.Tensor, multilabel: bool) -> np.ndarray:
    """The probabilities the loss was trained for: a sigmoid per label (multilabel, BCE), else the
    softmax (cross-entropy), reduced to P(class 1) for two classes."""
    logits = torch.as_tensor(logits, dtype=torch.float32)
    if multilabel:
        return torch.sigmoid(logits).numpy()
    proba = torch.softmax(logits, dim=-1).numpy()
    return proba[:, 1] if proba.shape[1] == 2 else proba


def texts_frame(data: pd.DataFrame | Sequence[str]) -> pd.DataFrame:
    """A frame with ``text`` from a list of texts, or from a DataFrame's ``text`` column, or else its title
    and abstract columns (joined as :func:`mlmap.make_text` and ``python -m mlmap predict`` join them)."""
    if isinstance(data, str):
        raise ValueError("expected a list of texts, not a single string: wrap it in a list")
    if not isinstance(data, pd.DataFrame):
        return pd.DataFrame({"text": list(data)})
    if "text" in data.columns:
        return data[["text"]]
    from .io import document_texts, find_text_columns

    title, abstract = find_text_columns(data.columns)
    return pd.DataFrame({"text": document_texts(data, title, abstract)})


def as_dataset(data: Dataset | pd.DataFrame | Sequence[str], tokenizer: PreTrainedTokenizerBase | None,
               max_length: int | None = None) -> Dataset:
    """A tokenized Dataset from a tokenized Dataset (as it is), a DataFrame or a list of texts.

    A DataFrame is read by its ``text`` column, or else by its title and abstract columns
    (:func:`texts_frame`); texts are truncated to ``max_length`` tokens.
    """
    if isinstance(data, Dataset):
        if "input_ids" not in data.column_names:
            raise ValueError("the Dataset has no 'input_ids'; tokenize it first with mlmap.hf_tokenize_data")
        return data
    if tokenizer is None:
        raise ValueError("to predict raw texts, create the trainer with processing_class=tokenizer")
    return hf_tokenize_data(texts_frame(data), tokenizer, max_length)


def predict_proba(
    model: PreTrainedModel | OpenVINOClassifier,
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase | None = None,
    batch_size: int = 16,
    bf16: bool | None = None,
    progress: bool | None = None,
    collate: Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]] | None = None,
    engine: str = "pytorch",
) -> np.ndarray:
    """Probabilities for every document of a tokenized Dataset, in its order.

    Documents run in batches of similar length (longest first, so the peak memory is reached, and
    any problem shows, at the start), padded to a multiple of :data:`PAD_MULTIPLE`; only the
    probabilities are kept, so memory stays flat. ``bf16`` runs a bf16 copy of the weights (the
    model itself is left untouched); ``None`` (the default) follows ``MLMAP_PRECISION`` as training does
    (:func:`mlmap.use_bf16`), so every path predicts one model in one precision. ``progress=None`` shows a progress bar only on a terminal.

    ``engine="openvino"`` (or ``"auto"`` on a CPU with ``openvino`` installed) converts the model to
    OpenVINO first (seconds; see :mod:`mlmap.openvino_engine`), which pays off from a few hundred
    documents; an :class:`~mlmap.openvino_engine.OpenVINOClassifier` runs as it is.
    """
    if bf16 is None:
        bf16 = use_bf16()
    n = len(dataset)
    if n == 0:
        raise ValueError("predict_proba got no documents")
    if "length" in dataset.column_names:
        lengths = np.asarray(dataset["length"])
    else:
        lengths = np.fromiter((len(ids) for ids in dataset["input_ids"]), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")
    input_names = tuple(c for c in MODEL_INPUTS if c in dataset.column_names)
    inputs = dataset.select_columns(list(input_names))
    if collate is None:
        if tokenizer is None:
            raise ValueError("predict_proba needs the tokenizer (to pad batches) or a collate function")
        collate = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=PAD_MULTIPLE)
    multilabel = model.config.problem_type == MULTILABEL_PROBLEM
    if not isinstance(model, OpenVINOClassifier) and resolve_engine(engine, model) == "openvino":
        model = openvino_classifier(model, input_names, precision="bf16" if bf16 else "f32")
    if isinstance(model, OpenVINOClassifier):
        forward, device = model.logits, torch.device("cpu")
    else:
        model = model.eval()
        if bf16:
            # no per-batch casts as under autocast: about 10% faster here
            model = copy.deepcopy(model).to(torch.bfloat16)
        device = next(model.parameters()).device

        def forward(batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return model(**batch).logits
    result: np.ndarray | None = None
    show = show_progress(progress)
    with torch.inference_mode():
        for start in tqdm(range(0, n, batch_size), disable=not show, desc="predict_proba", unit="batch"):
            idx = order[start : start + batch_size]
            batch = collate(inputs.select(idx).to_list())
            logits = forward({k: v.to(device) for k, v in batch.items()})
            proba = probabilities_from_logits(logits.float().cpu(), multilabel)
            if result is None:
                result = np.empty((n, *proba.shape[1:]), dtype=np.float32)
            result[idx] = proba
    return result
