"""One candidate of the search trained: fine-tuning with a search space's recipe, and its probabilities after every epoch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from transformers import TrainerCallback

from .paths import PROJECT_ROOT
from .predicting import predict_proba
from .recipe import RECIPE
from .search_space import SearchSpace
from .tokenizing import hf_tokenize_data


class EpochProbabilities(TrainerCallback):
    """Probabilities on a validation set (and a test set) after every epoch; optionally stops training
    after ``stop_after`` epochs, and saves the weights after every epoch into ``snapshots`` (a folder)."""

    def __init__(self, dataset=None, stop_after: int | None = None, test=None,
                 snapshots: str | os.PathLike | None = None) -> None:
        self.dataset, self.stop_after, self.test = dataset, stop_after, test
        self.snapshots = None if snapshots is None else Path(snapshots)
        self.by_epoch: dict[int, np.ndarray] = {}
        self.test_by_epoch: dict[int, np.ndarray] = {}

    def on_train_begin(self, args, state, control, **kwargs):
        self.by_epoch, self.test_by_epoch = {}, {}  # a retry from the next seed starts afresh
        if self.snapshots is not None:
            shutil.rmtree(self.snapshots, ignore_errors=True)
            self.snapshots.mkdir(parents=True)

    def snapshot(self, epoch: int) -> Path:
        """Where the weights after ``epoch`` are saved."""
        return self.snapshots / f"epoch{epoch}.pt"

    def on_epoch_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        epoch = int(round(state.epoch))
        if self.snapshots is not None:
            import torch

            torch.save(model.state_dict(), self.snapshot(epoch))
        for dataset, into in ((self.dataset, self.by_epoch), (self.test, self.test_by_epoch)):
            if dataset is not None:
                into[epoch] = predict_proba(model, dataset, processing_class,
                                            batch_size=args.per_device_eval_batch_size, progress=False)
        if self.stop_after is not None and epoch >= self.stop_after:
            control.should_training_stop = True
        return control


def fine_tune_space(train: pd.DataFrame, space: SearchSpace, learning_rate: float, model_name: str,
                    seed: int, callback: EpochProbabilities, show_progress: bool = False,
                    max_attempts: int = RECIPE.max_attempts, on_failure: str = "keep", epochs: int | None = None):
    """Fine-tune with ``space``'s recipe and one of its learning rates for ``epochs`` (default: the
    space's schedule for ``train``; ``callback`` may stop it earlier).

    The trained model is checked and retrained from the next seed if a label did not learn
    (:func:`mlmap.fine_tune`); ``trainer.learning`` records every attempt, and whether it learned.
    """
    from .training import fine_tune  # the training stack loads only when a transformer is trained

    recipe = space.recipe
    args = {**recipe.training_args(), "learning_rate": learning_rate, "per_device_train_batch_size": space.batch_size}
    # run_cv shows its own progress bar; the Trainer's is for a single run on a terminal (python -m mlmap train)
    return fine_tune(train, model_name=model_name, max_length=space.max_length, pos_weight=recipe.pos_weight,
                     pooling=recipe.pooling,
                     num_train_epochs=epochs or space.epochs(len(train)), seed=seed, callbacks=[callback],
                     output_dir=str(PROJECT_ROOT / ".cache" / "cv-trainer"), disable_tqdm=not show_progress,
                     logging_strategy="no", max_attempts=max_attempts, on_failure=on_failure, **args)


def minilm_trial(inner_train: pd.DataFrame, inner_val: pd.DataFrame, space: SearchSpace, learning_rate: float,
                 model_name: str, seed: int, show_progress: bool = False, test: pd.DataFrame | None = None,
                 ) -> tuple[dict[int, np.ndarray], dict[str, Any], dict[int, np.ndarray]]:
    """Train one learning rate on the inner training part: the validation probabilities after each
    epoch, the learning check, and (given ``test``) the test probabilities after each epoch.

    A label that did not learn is retrained from the next seed (``space.recipe.max_attempts`` in
    all); a trial that still did not learn every label is a failed candidate.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_name)
    val = hf_tokenize_data(inner_val.drop(columns="labels"), tokenizer, space.max_length)
    test_set = None if test is None else hf_tokenize_data(test.drop(columns="labels"), tokenizer, space.max_length)
    callback = EpochProbabilities(val, test=test_set)
    trainer = fine_tune_space(inner_train, space, learning_rate, model_name, seed, callback, show_progress,
                              max_attempts=space.recipe.max_attempts, on_failure="keep")
    # the callback keeps the last attempt's epochs. A trial that did not learn is no candidate; only when
    # no learning rate learned does select_minilm fall back to these probabilities, marked as not learned
    return callback.by_epoch, trainer.learning, callback.test_by_epoch


