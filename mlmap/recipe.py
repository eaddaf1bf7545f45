"""How mlmap fine-tunes, written once: the training recipe, the book's held-out split and its settings.

:data:`RECIPE` is the training practice of the cross-validation and of ``python -m mlmap train``: a
linear warm-up over the first 10% of the steps, bias-corrected AdamW with weight decay, gradients
clipped at 1.0, learning rate 5e-5, and at least ``min_steps`` optimizer steps however small the
training set (Mosbach et al. 2021, "On the stability of fine-tuning BERT"; Zhang et al. 2021,
"Revisiting few-sample BERT fine-tuning"). Multilabel models train with ``pos_weight`` (rare labels
ranked better) and are then calibrated per label on held-out documents (:mod:`mlmap.calibration`),
so their probabilities count right. The classifier reads the mean of the token vectors, the way
all-MiniLM-L6-v2 was trained to be read, rather than the [CLS] token (:mod:`mlmap.heads`). The
values were chosen on inner splits only (``results/cv/exploration.md``) and frozen before the third
cross-validation run; the head was chosen the same way before the fourth. Every run checks
that the model learned and retries up to ``max_attempts`` seeds (:mod:`mlmap.learning`).
``max_length`` stays a choice of each use. The binary and prediction chapters (and the benchmark)
use :data:`BOOK_SETTINGS`, a shorter run that fits a book build, so they train and look up the
same cached model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the recipe's constants are read by `mlmap train --help`: no pandas or scikit-learn for them
    import pandas as pd

#: The one random seed of the book: splits, samples and training.
SEED = 42

#: Tokens per document in the cross-validation and ``python -m mlmap train`` (512 would double the
#: cross-validation beyond its 3-hour budget on 2 cores; on an inner split it did not help).
CV_MAX_LENGTH = 256


def epochs_for_steps(n_train: int, batch_size: int, min_steps: int, min_epochs: int) -> int:
    """Whole epochs over ``n_train`` documents: at least ``min_epochs``, and enough for ``min_steps``
    optimizer steps in batches of ``batch_size``."""
    if n_train < 1:
        raise ValueError("no training documents")
    steps_per_epoch = math.ceil(n_train / batch_size)
    return max(min_epochs, math.ceil(min_steps / steps_per_epoch))


@dataclass(frozen=True)
class TrainingRecipe:
    """The training practice of every fine-tuning run; ``max_length`` and the data are each use's own.

    ``warmup`` is the share of optimizer steps with a linear warm-up (``TrainingArguments.warmup_steps``
    takes a share below 1); ``min_steps`` the fewest optimizer steps a run takes, in whole epochs,
    because a few dozen steps are where fine-tuning BERT is known to collapse; ``max_attempts`` how
    many seeds a run tries before it reports that a label did not learn (:mod:`mlmap.learning`);
    ``pos_weight`` is passed to :func:`mlmap.fine_tune` (multilabel only) and ``calibrate`` says
    whether the probabilities are then Platt-scaled on held-out documents (:mod:`mlmap.calibration`);
    ``pooling`` the classification head (:mod:`mlmap.heads`), passed to :func:`mlmap.fine_tune`.
    """

    learning_rate: float = 5e-5
    warmup: float = 0.1
    min_steps: int = 300
    min_epochs: int = 3
    batch_size: int = 16
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_attempts: int = 3
    pos_weight: str | None = "auto"
    calibrate: bool = True
    pooling: str = "mean"

    def epochs_for(self, n_train: int, batch_size: int | None = None, min_epochs: int | None = None) -> int:
        """Whole epochs over ``n_train`` documents that give at least ``min_steps`` optimizer steps."""
        return epochs_for_steps(n_train, batch_size or self.batch_size, self.min_steps,
                                self.min_epochs if min_epochs is None else min_epochs)

    def training_args(self) -> dict[str, Any]:
        """The recipe's ``TrainingArguments`` fields (schedule length excluded: see :meth:`epochs_for`)."""
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup, "lr_scheduler_type": "linear",
                "per_device_train_batch_size": self.batch_size, "weight_decay": self.weight_decay,
                "max_grad_norm": self.max_grad_norm, "adam_epsilon": 1e-8}


#: The recipe of ``cv`` and ``train``, frozen from the exploration on inner splits (see the module docstring).
RECIPE = TrainingRecipe()


@dataclass(frozen=True)
class FineTuneSettings:
    """Settings passed to :func:`mlmap.fine_tune` (``max_length`` and ``TrainingArguments`` fields)."""

    max_length: int = 128
    num_train_epochs: float = 3
    learning_rate: float = 1e-4

    def as_kwargs(self) -> dict[str, Any]:
        """The settings as keyword arguments for :func:`mlmap.fine_tune`."""
        return asdict(self)


#: The screening chapters' settings: titles and the start of abstracts, 3 epochs; about a minute on 2 cores.
BOOK_SETTINGS = FineTuneSettings()


def screening_split(
    df: pd.DataFrame,
    test_size: int = 300,
    train_size: int | None = 600,
    seed: int = SEED,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The book's held-out split of a frame with ``labels``: (training sample, test set).

    The test set is stratified by label; the training set is a random sample of ``train_size`` of
    the rest (a laptop-sized run), or all of the rest when ``train_size`` is None.
    """
    if test_size >= len(df):
        raise ValueError(f"test_size={test_size} leaves no training documents out of {len(df)}")
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(df, test_size=test_size, stratify=df["labels"], random_state=seed)
    if train_size is not None:
        if train_size > len(train):
            raise ValueError(f"train_size={train_size} is more than the {len(train)} documents left after the test set")
        train = train.sample(n=train_size, random_state=seed)
    return train, test
