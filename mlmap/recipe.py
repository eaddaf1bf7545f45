"""The book's screening recipe, written once: the held-out split and the fine-tuning settings.

The binary and prediction chapters (and the benchmark) use these, so they train and look up the
same cached model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

#: The one random seed of the book: splits, samples and training.
SEED = 42


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
    train, test = train_test_split(df, test_size=test_size, stratify=df["labels"], random_state=seed)
    if train_size is not None:
        if train_size > len(train):
            raise ValueError(f"train_size={train_size} is more than the {len(train)} documents left after the test set")
        train = train.sample(n=train_size, random_state=seed)
    return train, test
