"""Fine-tuning with the right loss for binary and multilabel targets, and probabilities that match it."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from datasets import Dataset, List
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from torch.nn import functional as F
from tqdm import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EvalPrediction,
    Trainer,
    TrainingArguments,
)

from .data import PROJECT_ROOT
from .models import load_classifier, resolve_model
from .tokenizing import hf_tokenize_data

MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MULTILABEL = "multi_label_classification"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "models"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / ".cache" / "trainer"


def bf16_supported() -> bool:
    """Whether this machine runs bf16 matmuls natively (a CUDA GPU, or a CPU with AVX512-BF16 or AMX)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def make_training_args(output_dir: str | os.PathLike = DEFAULT_OUTPUT_DIR, **overrides: Any) -> TrainingArguments:
    """``TrainingArguments`` with defaults that suit small fine-tuning runs on a laptop.

    bf16 autocast where the hardware supports it (fp32 otherwise), batches of similar length (less
    padding), no checkpoints, no reporting integrations, no progress bars, a fixed seed. Any
    ``TrainingArguments`` field can be overridden by keyword.
    """
    defaults: dict[str, Any] = dict(
        per_device_train_batch_size=16,
        per_device_eval_batch_size=16,  # CPU inference was fastest at 8-16 documents a batch here
        learning_rate=5e-5,
        num_train_epochs=3,
        weight_decay=0.01,
        bf16=bf16_supported(),
        use_cpu=not torch.cuda.is_available(),
        train_sampling_strategy="group_by_length",
        save_strategy="no",
        logging_strategy="epoch",
        report_to="none",
        disable_tqdm=True,
        seed=42,
    )
    return TrainingArguments(output_dir=str(output_dir), **{**defaults, **overrides})


def compute_pos_weight(labels: Sequence[Sequence[float]] | np.ndarray) -> torch.Tensor:
    """``pos_weight`` for BCE-with-logits: negatives / positives per label, from training labels only.

    A label with no positive example gets weight 1 (there is nothing to up-weight).
    """
    matrix = np.asarray(labels, dtype=np.float64)
    if matrix.ndim != 2 or len(matrix) == 0:
        raise ValueError("pos_weight needs a non-empty (documents x labels) matrix of 0/1 labels")
    positives = matrix.sum(axis=0)
    negatives = len(matrix) - positives
    weight = np.divide(negatives, positives, out=np.ones_like(positives), where=positives > 0)
    return torch.tensor(weight, dtype=torch.float32)


def _is_multilabel_labels(labels: Any) -> bool:
    first = labels[0] if len(labels) else None
    return isinstance(first, (list, tuple, np.ndarray)) or (isinstance(first, torch.Tensor) and first.ndim == 1)


class CustomTrainer(Trainer):
    """A ``Trainer`` whose loss matches the target, with ``predict_proba`` consistent with that loss.

    - One target (int class ids): cross-entropy over the logits, with optional ``class_weights``;
      probabilities are the softmax, and for two classes ``predict_proba`` returns P(class 1).
    - Multilabel (float 0/1 vectors): BCE-with-logits, with optional ``pos_weight`` (a tensor, or
      ``"auto"`` for negatives / positives of the training labels); probabilities are the sigmoid.

    Unlike the plain ``Trainer`` with length-grouped training batches, ``evaluate`` and ``predict``
    keep the dataset's order.
    """

    # the loss below is a per-batch mean, so the Trainer still divides it for gradient accumulation
    loss_is_scaled_for_ga = False

    def __init__(
        self,
        *args: Any,
        class_weights: Sequence[float] | torch.Tensor | None = None,
        pos_weight: Sequence[float] | torch.Tensor | Literal["auto"] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        train = self.train_dataset
        has_labels = train is not None and "labels" in getattr(train, "column_names", [])
        if has_labels and _is_multilabel_labels(train["labels"][:1]):
            self.model.config.problem_type = MULTILABEL
        if isinstance(pos_weight, str):
            if pos_weight != "auto" or not has_labels:
                raise ValueError('pos_weight="auto" needs a train_dataset with multilabel "labels"')
            pos_weight = compute_pos_weight(train["labels"])
        self.class_weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
        self.pos_weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float32)

    def _get_eval_sampler(self, eval_dataset: Dataset) -> torch.utils.data.Sampler | None:
        # transformers 5 evaluates in length-grouped, shuffled order when training groups by length,
        # so Trainer.predict would return rows out of input order; evaluation needs no grouping
        if eval_dataset is None or not hasattr(eval_dataset, "__len__") or self.args.world_size > 1:
            return super()._get_eval_sampler(eval_dataset)
        return torch.utils.data.SequentialSampler(eval_dataset)

    @property
    def is_multilabel(self) -> bool:
        """Whether the model is trained as multilabel (sigmoid per label) rather than softmax."""
        return self.model.config.problem_type == MULTILABEL

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Cross-entropy for class ids, BCE-with-logits for multilabel vectors (see the class doc)."""
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        if labels.is_floating_point():
            if labels.shape != logits.shape:
                raise ValueError(f"multilabel targets of shape {tuple(labels.shape)} do not fit logits {tuple(logits.shape)}")
            weight = None if self.pos_weight is None else self.pos_weight.to(logits.device)
            loss = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=weight)
        else:
            weight = None if self.class_weights is None else self.class_weights.to(logits.device)
            loss = F.cross_entropy(logits, labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def probabilities(self, logits: np.ndarray | torch.Tensor) -> np.ndarray:
        """Logits to the probabilities the loss was trained for (sigmoid or softmax; P(class 1) for two classes)."""
        logits = torch.as_tensor(logits, dtype=torch.float32)
        if self.is_multilabel:
            return torch.sigmoid(logits).numpy()
        proba = torch.softmax(logits, dim=-1).numpy()
        return proba[:, 1] if proba.shape[1] == 2 else proba

    def predict_proba(
        self,
        data: Dataset | pd.DataFrame | Sequence[str],
        batch_size: int | None = None,
        progress: bool | None = None,
    ) -> np.ndarray:
        """Probabilities for every document, in the input order; labels are not needed.

        ``data`` is a tokenized Dataset, or a DataFrame with ``text`` / a list of texts (tokenized
        with the trainer's ``processing_class``). Documents are run in batches of similar length, so
        little compute goes to padding, and only the probabilities are kept, so memory stays flat on
        large collections. ``progress=None`` shows a progress bar only on a terminal.
        """
        dataset = self._as_dataset(data)
        n = len(dataset)
        if "length" in dataset.column_names:
            lengths = np.asarray(dataset["length"])
        else:
            lengths = np.fromiter((len(ids) for ids in dataset["input_ids"]), dtype=np.int64, count=n)
        # longest first, so the peak memory is reached (and any problem shows) at the start
        order = np.argsort(-lengths, kind="stable")
        inputs = dataset.select_columns([c for c in MODEL_INPUTS if c in dataset.column_names])
        # widths rounded up to a multiple of 16: a few dozen distinct shapes rather than hundreds, so the
        # CPU kernels cached per shape stop piling up and memory stays flat on large collections
        collate = (DataCollatorWithPadding(self.processing_class, pad_to_multiple_of=16)
                   if self.processing_class is not None else self.data_collator)
        batch_size = batch_size or self.args.per_device_eval_batch_size
        model = self.model.eval()
        if self.args.bf16:
            # a bf16 copy of the weights: no per-batch casts as under autocast (about 10% faster here);
            # the trained fp32 weights stay untouched
            model = copy.deepcopy(model).to(torch.bfloat16)
        device = next(model.parameters()).device
        result: np.ndarray | None = None
        show = sys.stderr.isatty() if progress is None else progress
        with torch.inference_mode():
            for start in tqdm(range(0, n, batch_size), disable=not show, desc="predict_proba", unit="batch"):
                idx = order[start : start + batch_size]
                batch = collate(inputs.select(idx).to_list())
                logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
                proba = self.probabilities(logits.float().cpu())
                if result is None:
                    result = np.empty((n, *proba.shape[1:]), dtype=np.float32)
                result[idx] = proba
        if result is None:
            raise ValueError("predict_proba got no documents")
        return result

    def _as_dataset(self, data: Dataset | pd.DataFrame | Sequence[str]) -> Dataset:
        if isinstance(data, Dataset):
            if "input_ids" not in data.column_names:
                raise ValueError("the Dataset has no 'input_ids'; tokenize it first with mlmap.hf_tokenize_data")
            return data
        if self.processing_class is None:
            raise ValueError("to predict raw texts, create the trainer with processing_class=tokenizer")
        if isinstance(data, str):
            raise ValueError("expected a list of texts, not a single string: wrap it in a list")
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame({"text": list(data)})
        return hf_tokenize_data(frame.drop(columns="labels", errors="ignore"), self.processing_class)


def compute_metrics(eval_pred: EvalPrediction) -> dict[str, float]:
    """Positive-class F1 (plus precision, recall, accuracy) for binary targets; macro and per-label F1 for multilabel."""
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    logits = logits[0] if isinstance(logits, tuple) else logits
    logits, labels = np.asarray(logits), np.asarray(labels)
    if labels.ndim == 2:
        predicted = (logits > 0).astype(int)  # sigmoid(logit) > 0.5
        truth = labels.astype(int)
        per_label = f1_score(truth, predicted, average=None, zero_division=0)
        metrics = {"f1_macro": float(per_label.mean())}
        metrics.update({f"f1_label_{i}": float(f) for i, f in enumerate(per_label)})
        return metrics
    predicted = logits.argmax(axis=-1)
    average = "binary" if logits.shape[-1] == 2 else "macro"
    return {
        "f1": float(f1_score(labels, predicted, average=average, zero_division=0)),
        "precision": float(precision_score(labels, predicted, average=average, zero_division=0)),
        "recall": float(recall_score(labels, predicted, average=average, zero_division=0)),
        "accuracy": float(accuracy_score(labels, predicted)),
    }


def _fingerprint(**settings: Any) -> str:
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def fine_tune(
    train_df: pd.DataFrame,
    eval_df: pd.DataFrame | None = None,
    model_name: str | None = None,
    max_length: int | None = None,
    pos_weight: Literal["auto"] | None = "auto",
    attention_dropout: float | None = 0.0,
    cache_dir: str | os.PathLike | None = None,
    **training_args: Any,
) -> CustomTrainer:
    """Fine-tune a classifier on ``train_df`` (``text``, ``labels``) and return its trainer.

    Binary or multilabel follows the labels; ``attention_dropout`` is passed to
    :func:`~mlmap.load_classifier`. With ``cache_dir``, the fine-tuned model is saved under a key of
    every setting (model, the exact training texts and labels, max_length, pos_weight, attention
    dropout, training arguments); a later call with the same settings loads it instead of training.
    """
    model_name = resolve_model(model_name)
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    train = hf_tokenize_data(train_df, tokenizer, max_length)
    evaluation = hf_tokenize_data(eval_df, tokenizer, max_length) if eval_df is not None else None
    multilabel = isinstance(train.features["labels"], List)
    num_labels = len(train["labels"][0]) if multilabel else max(2, int(max(train["labels"])) + 1)

    saved: Path | None = None
    if cache_dir is not None:
        data_hash = hashlib.sha256(pd.util.hash_pandas_object(
            pd.DataFrame({"text": train_df["text"], "labels": train_df["labels"].astype(str)}), index=False
        ).to_numpy().tobytes()).hexdigest()
        key = _fingerprint(model=model_name, data=data_hash, max_length=max_length, pos_weight=pos_weight,
                           attention_dropout=attention_dropout, num_labels=num_labels, args=training_args)
        saved = Path(cache_dir) / key
    cached = saved is not None and (saved / "config.json").is_file()
    if cached:
        model = AutoModelForSequenceClassification.from_pretrained(saved)
    else:
        model = load_classifier(model_name, num_labels=num_labels, multilabel=multilabel, attention_dropout=attention_dropout)

    args = make_training_args(**{"eval_strategy": "epoch" if evaluation is not None else "no", **training_args})
    trainer = CustomTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        pos_weight=pos_weight if multilabel else None,
    )
    if cached:
        trainer.state.log_history = json.loads((saved / "log_history.json").read_text())
        return trainer
    trainer.train()
    if saved is not None:
        # write to a temporary folder and rename, so an interrupted save is never taken for a cached model
        tmp = saved.with_name(saved.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        trainer.save_model(str(tmp))
        (tmp / "log_history.json").write_text(json.dumps(trainer.state.log_history))
        os.replace(tmp, saved)
    return trainer
