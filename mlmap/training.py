"""Fine-tuning in one call: default ``TrainingArguments`` and ``fine_tune``, which puts the parts together."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from datasets import Dataset
from transformers import AutoTokenizer, DataCollatorWithPadding, TrainerCallback, TrainingArguments, set_seed
from transformers.trainer_callback import PrinterCallback

from . import caching, fingerprints
from .hardware import use_bf16
from .heads import Pooling
from .labels import is_multilabel, num_labels
from .learning import DidNotLearnError, LearningCheck, check_learning, check_sample
from .metrics import compute_metrics
from .models import load_classifier, quiet_transformers, resolve_model
from .paths import DEFAULT_OUTPUT_DIR
from .recipe import RECIPE, SEED
from .tokenizing import BERT_MAX_LENGTH, hf_tokenize_data
from .trainer import CustomTrainer


def make_training_args(output_dir: str | os.PathLike = DEFAULT_OUTPUT_DIR, **overrides: Any) -> TrainingArguments:
    """``TrainingArguments`` with defaults that suit small fine-tuning runs on a laptop.

    bf16 autocast where the hardware supports it and ``MLMAP_PRECISION`` allows (fp32 otherwise),
    batches of similar length (less padding), no checkpoints, no reporting integrations, a fixed
    seed, and the loss logged once per epoch: in Jupyter the ``Trainer`` shows it as a table that
    fills in epoch by epoch, in a terminal as a progress bar. Any ``TrainingArguments`` field can be
    overridden by keyword.
    """
    defaults: dict[str, Any] = dict(
        per_device_train_batch_size=16,
        per_device_eval_batch_size=16,  # CPU inference was fastest at 8-16 documents a batch here
        learning_rate=5e-5,
        num_train_epochs=3,
        weight_decay=0.01,
        bf16=use_bf16(),
        use_cpu=not torch.cuda.is_available(),
        train_sampling_strategy="group_by_length",
        save_strategy="no",
        logging_strategy="epoch",
        report_to="none",
        seed=SEED,
    )
    return TrainingArguments(output_dir=str(output_dir), **{**defaults, **overrides})


#: ``TrainingArguments`` fields that change what is shown or saved, not the trained weights.
NOT_WEIGHT_ARGS = frozenset({"output_dir", "disable_tqdm", "logging_strategy", "logging_steps", "logging_first_step",
                             "log_level", "log_level_replica", "log_on_each_node", "report_to", "hub_token",
                             "eval_strategy", "per_device_eval_batch_size", "save_strategy"})


def model_cache_fingerprint(
    train_df: pd.DataFrame,
    model_name: str,
    num_labels: int,
    max_length: int | None,
    pos_weight: Literal["auto"] | None,
    attention_dropout: float | None,
    training_args: dict[str, Any],
    pooling: str = "cls",
) -> dict[str, Any]:
    """What ``fine_tune`` keys a saved model on: every input that changes the trained weights.

    The model by the content of its files, the exact training texts and labels, the head, and the
    *resolved* ``TrainingArguments`` (defaults included, so a changed default or precision is a new
    model), the precision and the library versions.
    """
    resolved = make_training_args(**training_args).to_dict()
    return fingerprints.run_fingerprint(
        model_name, data=caching.frame_hash(train_df), max_length=max_length, pos_weight=pos_weight,
        attention_dropout=attention_dropout, num_labels=num_labels, pooling=pooling,
        training_args={k: v for k, v in resolved.items() if k not in NOT_WEIGHT_ARGS})


def fine_tune(
    train_df: pd.DataFrame,
    eval_df: pd.DataFrame | None = None,
    model_name: str | None = None,
    max_length: int | None = None,
    pos_weight: Literal["auto"] | None = "auto",
    attention_dropout: float | None = 0.0,
    pooling: Pooling = "cls",
    cache_dir: str | os.PathLike | None = None,
    callbacks: list[TrainerCallback] | None = None,
    check: bool = True,
    max_attempts: int = RECIPE.max_attempts,
    on_failure: Literal["raise", "keep"] = "raise",
    **training_args: Any,
) -> CustomTrainer:
    """Fine-tune a classifier on ``train_df`` (``text``, ``labels``) and return its trainer.

    Binary or multilabel follows the labels; ``attention_dropout`` and ``pooling`` (the head on
    [CLS], or on the mean of the token vectors: :mod:`mlmap.heads`) are passed to
    :func:`~mlmap.load_classifier`. The trainer keeps ``max_length`` (default
    :data:`~mlmap.BERT_MAX_LENGTH`), and its ``predict_proba`` tokenizes texts to it.

    With ``check`` (the default), the trained model is checked on (a sample of) its training
    documents: every label's loss must be clearly below that of the best constant prediction
    (:mod:`mlmap.learning`). A model that fails is trained again from the next seed, up to
    ``max_attempts`` in all; every attempt is in ``trainer.learning``. If none learned every label,
    ``on_failure="raise"`` raises :class:`~mlmap.learning.DidNotLearnError` naming the labels, and
    ``"keep"`` returns the attempt with the fewest failed labels (``trainer.learning["learned"]``
    is then False). A model that did not learn is never cached.

    With ``cache_dir``, the fine-tuned model is saved under a key of every input that changes it
    (:func:`model_cache_fingerprint`: the model's files, the exact training texts and labels, the
    head, the resolved training arguments, precision and library versions; written beside it as
    ``fingerprint.json``); a later call with the same inputs loads it instead of training, and any
    other input trains anew under its own key. ``callbacks`` are passed to the
    trainer (they do not change the cache key: use them to watch training, not to change it, or
    leave ``cache_dir`` unset).

    Launched on several processes (``torchrun --nproc_per_node N``, ``accelerate launch``), the
    ``Trainer`` trains with distributed data parallelism; only the first process writes the cache.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    model_name = resolve_model(model_name)
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    max_length = max_length or BERT_MAX_LENGTH
    train = hf_tokenize_data(train_df, tokenizer, max_length)
    evaluation = hf_tokenize_data(eval_df, tokenizer, max_length) if eval_df is not None else None
    multilabel, outputs = is_multilabel(train), num_labels(train)
    label_names = train_df.attrs.get("label_names")  # names for the learning check's report, if the frame has them
    if label_names is not None and len(label_names) != (outputs if multilabel else 1):
        label_names = None

    saved = cache_fingerprint = None
    if cache_dir is not None:
        cache_fingerprint = model_cache_fingerprint(train_df, model_name, outputs, max_length, pos_weight,
                                                    attention_dropout, training_args, pooling)
        saved = Path(cache_dir) / fingerprints.digest(cache_fingerprint)
    seed = training_args.get("seed", SEED)

    def make_trainer(model: Any, attempt_seed: int) -> CustomTrainer:
        args = make_training_args(**{"eval_strategy": "epoch" if evaluation is not None else "no", **training_args,
                                     "seed": attempt_seed})
        trainer = CustomTrainer(
            model=model,
            args=args,
            train_dataset=train,
            eval_dataset=evaluation,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=compute_metrics,
            pos_weight=pos_weight if multilabel else None,
            callbacks=callbacks,
            max_length=max_length,
        )
        if args.disable_tqdm:  # quiet means quiet: without its progress bar the Trainer would print every log as a dict
            trainer.remove_callback(PrinterCallback)
        return trainer

    if caching.is_cached(saved):
        fingerprints.check_fingerprint(caching.load_fingerprint(saved), cache_fingerprint, str(saved),
                                       "remove that folder to train the model again")
        model, log_history = caching.load_cached(saved)
        trainer = make_trainer(model, seed)
        trainer.state.log_history = log_history
        trainer.learning = caching.load_learning(saved)
        return trainer

    attempts: list[dict[str, Any]] = []
    best: tuple[int, CustomTrainer] | None = None
    report: LearningCheck | None = None
    for attempt in range(max_attempts):
        attempt_seed = seed + attempt
        # the new head's random weights come from the global RNG: seed it here, so that the same call
        # gives the same model whatever ran before it in this process (the Trainer seeds only later)
        set_seed(attempt_seed)
        with quiet_transformers():  # the report that the new head is untrained says nothing new here
            model = load_classifier(model_name, num_labels=outputs, multilabel=multilabel,
                                    attention_dropout=attention_dropout, pooling=pooling)
        trainer = make_trainer(model, attempt_seed)
        trainer.train()
        if not check:
            break
        report = learning_check(trainer, train, label_names, attempt_seed)
        attempts.append({"seed": attempt_seed, **report.as_dict()})
        if best is None or len(report.failed_labels) < best[0]:
            best = (len(report.failed_labels), trainer)
        if report.ok:
            break
    learned = report is None or report.ok
    if not learned:
        if on_failure == "raise":
            raise DidNotLearnError(report.failed_labels, attempts)
        trainer = best[1]
    trainer.learning = {"learned": learned, "attempts": attempts}
    if saved is not None and learned:
        # under torchrun or accelerate launch every process ends with the same (DDP-synchronised)
        # model: one process writes it, and none returns before it is there
        if trainer.is_world_process_zero():
            caching.save_atomically(trainer, saved, learning=trainer.learning, fingerprint=cache_fingerprint)
        trainer.accelerator.wait_for_everyone()
    return trainer


def learning_check(trainer: CustomTrainer, train: Dataset, label_names: list[str] | None, seed: int) -> LearningCheck:
    """The learning check of a trained model on (a seeded sample of) its tokenized training documents."""
    sample = train.select(check_sample(len(train), seed))
    labels = np.asarray(sample["labels"])
    proba = trainer.predict_proba(sample.remove_columns("labels"), progress=False)
    all_labels = np.asarray(train["labels"])
    rate = all_labels.reshape(len(all_labels), -1).mean(axis=0)
    weight = None if trainer.pos_weight is None else trainer.pos_weight.numpy()
    return check_learning(labels, proba, base_rate=rate, pos_weight=weight, label_names=label_names)
