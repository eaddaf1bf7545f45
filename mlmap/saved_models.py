"""A fine-tuned classifier as a self-describing folder: weights, tokenizer, label names, thresholds and provenance.

The folder is a Hugging Face model folder (``from_pretrained`` loads it) plus ``mlmap.json``, which
says what the outputs mean and how to turn them into decisions: the label names, the problem type,
``max_length``, the decision thresholds by name (``"f1"``; ``"recall95"`` for a screening model) and
how the model was trained.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase, Trainer

from .hardware import precision_name
from .labels import MULTILABEL_PROBLEM, SINGLE_LABEL_PROBLEM
from .models import load_fine_tuned, quiet_transformers
from .openvino_engine import OpenVINOClassifier, openvino_classifier, resolve_engine
from .predicting import MODEL_INPUTS, predict_proba, texts_frame
from .tokenizing import hf_tokenize_data

MODEL_INFO_FILE = "mlmap.json"
FORMAT_VERSION = 1


class ModelFolderError(ValueError):
    """A folder is missing or is not a model saved by :func:`save_classifier`."""


@dataclass
class SavedClassifier:
    """A loaded model folder: the model, its tokenizer and what ``mlmap.json`` says about it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    folder: Path
    info: dict[str, Any]
    _openvino: OpenVINOClassifier | None = field(default=None, repr=False)

    @property
    def label_names(self) -> list[str]:
        return list(self.info["label_names"])

    @property
    def multilabel(self) -> bool:
        return self.info["problem_type"] == MULTILABEL_PROBLEM

    @property
    def max_length(self) -> int:
        return int(self.info["max_length"])

    @property
    def thresholds_precision(self) -> str | None:
        """The precision (``"bf16"``, ``"fp32"``) of the predictions the saved thresholds were fitted on, if known."""
        training = self.info.get("training") or {}
        recorded = ((training.get("selection") or {}).get("thresholds") or {}).get("precision")
        if recorded is None and "bf16" in training:  # saved before the thresholds recorded their own
            recorded = "bf16" if training["bf16"] else "fp32"
        return recorded

    def thresholds(self, choice: str | float = "f1") -> np.ndarray:
        """One threshold per label: a saved one by name (``"f1"``, ``"recall95"``), or one number for all."""
        saved = self.info["thresholds"]
        if isinstance(choice, str):
            try:
                choice = float(choice)
            except ValueError:
                if choice not in saved:
                    raise ModelFolderError(f"{self.folder} has no {choice!r} threshold; it has: "
                                           f"{', '.join(saved)} (or give a number between 0 and 1)") from None
                fitted, here = self.thresholds_precision, precision_name()
                if fitted is not None and fitted != here:
                    warnings.warn(f"{self.folder.name}'s thresholds were fitted on {fitted} predictions, but this machine "
                                  f"predicts in {here}: documents near a threshold may be decided differently "
                                  f"(MLMAP_PRECISION={fitted} predicts as they were fitted, where the CPU allows)",
                                  stacklevel=2)
                return np.asarray(saved[choice], dtype=np.float64)
        if not 0 <= choice <= 1:
            raise ValueError(f"a threshold is a probability between 0 and 1, got {choice}")
        return np.full(len(self.label_names), float(choice))

    def predict_proba(self, texts: Sequence[str] | pd.DataFrame, batch_size: int = 16, progress: bool | None = False,
                      engine: str = "auto") -> np.ndarray:
        """P(label) for every text: a (texts x labels) array, in the texts' order.

        ``texts`` is a list of texts or a DataFrame (its ``text`` column, or its title and abstract
        columns, as ``python -m mlmap predict`` reads a file), tokenized to the folder's ``max_length``.

        ``engine``: ``"auto"`` (OpenVINO on a CPU where it is installed, else PyTorch), ``"openvino"``
        or ``"pytorch"``. OpenVINO's copy of the model is converted once and kept in the folder.
        """
        frame = texts_frame(texts)
        dataset = hf_tokenize_data(frame, self.tokenizer, self.max_length)
        model: Any = self.model
        if resolve_engine(engine, self.model) == "openvino":
            if self._openvino is None:
                names = tuple(n for n in MODEL_INPUTS if n in dataset.column_names)
                self._openvino = openvino_classifier(self.model, names, self.folder)
            model = self._openvino
        proba = predict_proba(model, dataset, self.tokenizer, batch_size=batch_size, progress=progress)
        return proba.reshape(len(frame), -1)


def save_classifier(
    model: PreTrainedModel | Trainer,
    folder: str | os.PathLike,
    *,
    label_names: Sequence[str],
    max_length: int,
    thresholds: dict[str, Sequence[float]],
    tokenizer: PreTrainedTokenizerBase | None = None,
    training: dict[str, Any] | None = None,
) -> Path:
    """Save a fine-tuned classifier (or a trainer's) as a model folder that :func:`load_saved_classifier` reads.

    ``label_names``: one name per label (multilabel), or the one name of the relevant class (a
    two-class model). ``thresholds``: decision thresholds by name, one per label each (``{"f1":
    [0.4]}``). ``training`` is kept as it is: data checksum, settings, scores. The folder is written
    under a temporary name and renamed into place; an existing folder is replaced only if it is a
    model folder of ours.
    """
    if isinstance(model, Trainer):
        tokenizer = tokenizer or model.processing_class
        model = model.model
    if tokenizer is None:
        raise ValueError("save_classifier needs the tokenizer (or a Trainer with processing_class)")
    multilabel = model.config.problem_type == MULTILABEL_PROBLEM
    label_names = [str(n) for n in label_names]
    outputs = model.config.num_labels
    if (multilabel and len(label_names) != outputs) or (not multilabel and (outputs != 2 or len(label_names) != 1)):
        wanted = "one name per output" if multilabel else "the one name of the relevant class (class 1) of a two-class model"
        raise ValueError(f"the model has {outputs} outputs ({'multilabel' if multilabel else 'one target'}): give {wanted}, "
                         f"not {label_names}")
    for name, values in thresholds.items():
        if len(values) != len(label_names):
            raise ValueError(f"threshold {name!r} has {len(values)} values for {len(label_names)} label(s)")
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MODEL_INFO_FILE).is_file():
        raise ModelFolderError(f"{folder} exists and is not a model folder of ours: choose another folder")

    names = label_names if multilabel else [f"not {label_names[0]}", label_names[0]]
    model.config.id2label = dict(enumerate(names))
    model.config.label2id = {n: i for i, n in enumerate(names)}
    info = {
        "format_version": FORMAT_VERSION,
        "label_names": label_names,
        "problem_type": MULTILABEL_PROBLEM if multilabel else SINGLE_LABEL_PROBLEM,
        "max_length": int(max_length),
        "thresholds": {name: [float(v) for v in values] for name, values in thresholds.items()},
        "training": training or {},
    }
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with quiet_transformers():
        model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / MODEL_INFO_FILE).write_text(json.dumps(info, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def read_model_info(folder: str | os.PathLike) -> dict[str, Any]:
    """``mlmap.json`` of a model folder; :class:`ModelFolderError` says what is wrong with one that is not ours."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist; train one with `python -m mlmap train`")
    info_file = folder / MODEL_INFO_FILE
    if not info_file.is_file():
        raise ModelFolderError(f"{folder} is not a model folder of mlmap (no {MODEL_INFO_FILE}); save one with "
                               "`python -m mlmap train` or mlmap.save_classifier")
    try:
        info = json.loads(info_file.read_text())
    except json.JSONDecodeError as exc:
        raise ModelFolderError(f"{info_file} is not valid JSON: {exc.msg}") from exc
    if info.get("format_version") != FORMAT_VERSION:
        raise ModelFolderError(f"{folder} was saved in format {info.get('format_version')!r}; this mlmap reads "
                               f"format {FORMAT_VERSION}")
    return info


def load_saved_classifier(folder: str | os.PathLike) -> SavedClassifier:
    """A model folder written by :func:`save_classifier` (or ``python -m mlmap train``), ready to predict."""
    folder = Path(folder)
    info = read_model_info(folder)
    try:
        model = load_fine_tuned(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except OSError as exc:
        raise ModelFolderError(f"{folder} has {MODEL_INFO_FILE} but its weights or tokenizer cannot be loaded: {exc}") from exc
    return SavedClassifier(model=model, tokenizer=tokenizer, folder=folder, info=info)
