"""Nested cross-validation: honest scores from outer folds, settings and thresholds chosen inside each training set.

For each target and outer fold, the outer training set alone is split again (stratified, 1 in 4 for
validation). Every configuration of the frozen :data:`SEARCH_SPACES` (learning rate x epochs; C for
the logistic baselines) is trained on the inner part and scored on the inner validation part at its
F1-best thresholds (per label for multilabel). The fine-tuned model's probabilities are then
calibrated on the inner validation part (:mod:`mlmap.calibration`). The chosen model itself predicts
the outer test fold, with the thresholds (and calibration) from the inner validation part: no refit,
so the calibration is fitted on documents that model never saw, and the fine-tuned model's run
costs half as much. Its test-fold probabilities are computed after every epoch (before the choice,
which reads only the validation part); the outer test labels are read only to score.

Every finished unit (a trial or a fold's predictions) is written atomically as JSON under ``out``,
so an interrupted run resumes where it stopped and gives the same results.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm
from transformers import TrainerCallback

from . import baselines, fingerprints
from .caching import atomic_write_text
from .calibration import calibrate_and_threshold
from .cv_results import MODELS, Store, current_commit, record_run, recorded_if_interrupted, rounded, write_summaries
from .data import load_labels, make_text
from .folds import assign_folds, inner_split
from .hardware import check_same_precision, use_bf16
from .metrics import best_thresholds, f1_at_thresholds
from .models import resolve_model
from .paths import PROJECT_ROOT, RESULTS_DIR
from .predicting import predict_proba
from .progress import show_progress
from .recipe import CV_MAX_LENGTH, RECIPE, SEED, TrainingRecipe
from .targets import TARGETS, label_matrix, target_frame
from .tokenizing import BERT_MAX_LENGTH, hf_tokenize_data

DEFAULT_CV_DIR = RESULTS_DIR / "cv"
#: What made a cv folder's units (:func:`cv_fingerprint`); a run continues them only if it matches.
FINGERPRINT_FILE = "fingerprint.json"


@dataclass(frozen=True)
class SearchSpace:
    """The configurations tried inside each outer training set.

    Each learning rate is one training run with ``recipe`` (warm-up, linear decay, ``pos_weight``,
    calibration) of ``max_epochs`` epochs, or, when that is None, of as many epochs as the recipe's
    ``min_steps`` needs on the training documents; the model after every epoch is a candidate.
    ``train`` trains the same schedule and saves the chosen epoch's weights.
    """

    learning_rates: tuple[float, ...]
    max_epochs: int | None = None
    max_length: int = BERT_MAX_LENGTH
    batch_size: int = 16
    logistic_c: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    recipe: TrainingRecipe = RECIPE

    def epochs(self, n_train: int) -> int:
        """Epochs of a training run on ``n_train`` documents: ``max_epochs``, or what ``min_steps`` needs."""
        return self.max_epochs or self.recipe.epochs_for(n_train, self.batch_size)


#: Frozen before the third run (and kept for the fourth, whose only change is the recipe's mean-pooled
#: head), from the exploration in ``results/cv/exploration.md`` (inner split of
#: outer fold 0 only): :data:`~mlmap.RECIPE` (learning rate 5e-5, 10% warm-up, at least 300 steps,
#: ``pos_weight`` then calibration) for every target, the model after every epoch as a candidate,
#: 256 tokens (512 would double the run beyond its 3-hour budget on 2 cores).
SEARCH_SPACES = {target: SearchSpace(learning_rates=(RECIPE.learning_rate,), max_length=CV_MAX_LENGTH)
                 for target in ("include", "instruments", "sectors")}


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


def choose(candidates: Iterable[tuple[dict[str, Any], np.ndarray]], val_labels: np.ndarray) -> dict[str, Any]:
    """The configuration whose validation probabilities score the best F1 at their own best thresholds.

    Ties keep the first candidate (the cheaper one, as candidates are listed). Returns the
    configuration with its ``thresholds`` and ``val_f1``.
    """
    best: dict[str, Any] | None = None
    for config, proba in candidates:
        thresholds = best_thresholds(val_labels, proba)
        score = f1_at_thresholds(val_labels, proba, thresholds)
        if best is None or score > best["val_f1"]:
            best = {**config, "thresholds": [float(t) for t in thresholds], "val_f1": score}
    if best is None:
        raise ValueError("no configuration to choose from")
    return best


class FoldRunner:
    """Runs (or reloads) every unit of one target's outer fold; the selection steps see only the outer training set."""

    def __init__(self, store: Store, target: str, frame: pd.DataFrame, folds: np.ndarray, space: SearchSpace,
                 model_name: str, seed: int, embeddings: Callable[[], dict[str, np.ndarray]],
                 progress: Callable[[str, float], None]) -> None:
        self.store, self.target, self.frame, self.folds = store, target, frame, folds
        self.space, self.model_name, self.seed = space, model_name, seed
        self.embeddings, self.progress = embeddings, progress

    def run(self, fold: int, models: Iterable[str]) -> None:
        train = self.frame[self.folds != fold].reset_index(drop=True)
        test = self.frame[self.folds == fold].reset_index(drop=True)
        for model in models:
            name = f"{self.target}-fold{fold}-{model}.json"
            saved = self.store.get("folds", name)
            if saved is not None:
                if model == "minilm":
                    check_same_precision(saved, str(self.store.path("folds", name)))
                self.progress(f"{self.target} fold {fold} {model}: done before", self.work(model, len(train)))
                continue
            start = time.perf_counter()
            selected, proba = self.select_and_predict(model, train, test, fold)
            if "trial_seconds" in selected:
                # the trials' own times (saved with them, also when an earlier, interrupted run made them)
                # replace the time this took, which includes only the trials made now
                start = time.perf_counter() - selected.pop("trial_seconds")
            extra = {}
            if model == "minilm":
                extra = {"bf16": use_bf16(), "proba_uncalibrated": rounded(selected.pop("test_uncalibrated"))}
            self.store.put({
                "target": self.target, "fold": fold, "model": model, "selected": selected,
                "ids": test["id"].tolist(), "proba": rounded(proba), **extra,
                "seconds": round(time.perf_counter() - start, 1),
            }, "folds", name)

    def work(self, model: str, n_train: int) -> float:
        """Training examples a model's selection processes: the progress bar's unit."""
        if model != "minilm":
            return 0.02 * n_train
        inner = round(0.75 * n_train)
        return inner * self.space.epochs(inner) * len(self.space.learning_rates)

    def select_and_predict(self, model: str, train: pd.DataFrame, test: pd.DataFrame,
                           fold: int) -> tuple[dict[str, Any], np.ndarray]:
        """Choose a configuration and thresholds from the outer training set alone; the chosen model's
        probabilities for the outer test fold."""
        labels = label_matrix(train)
        is_val = inner_split(labels, self.seed + fold)
        inner_train, inner_val = train[~is_val], train[is_val]
        if model == "minilm":
            return select_minilm(self, inner_train, inner_val, test, fold)
        return select_logistic(self, model, inner_train, inner_val, test)

    def features(self, model: str, train: pd.DataFrame, *others: pd.DataFrame) -> list[np.ndarray]:
        if model == "tfidf":
            x_train, x_others = baselines.tfidf_features(train["text"].tolist(),
                                                         [t for o in others for t in o["text"].tolist()])
            ends = np.cumsum([len(o) for o in others])
            return [x_train, *(x_others[end - len(o):end] for o, end in zip(others, ends))]
        table = self.embeddings()
        return [np.stack([table[i] for i in frame["id"]]) for frame in (train, *others)]


def select_minilm(runner: FoldRunner, inner_train: pd.DataFrame, inner_val: pd.DataFrame, test: pd.DataFrame,
                  fold: int) -> tuple[dict[str, Any], np.ndarray]:
    """Learning rate, epochs, calibration and thresholds for the fine-tuned model, from one inner split;
    the chosen model's calibrated probabilities for the outer test fold."""
    space, candidates, seconds, failed_trials, trials = runner.space, [], 0.0, [], {}
    for lr in space.learning_rates:
        name = f"{runner.target}-fold{fold}-minilm-lr{lr:g}.json"
        trial = runner.store.get("trials", name)
        if trial is not None:
            check_same_precision(trial, str(runner.store.path("trials", name)))
            if "test_epochs" not in trial:
                raise RuntimeError(f"{runner.store.path('trials', name)} was made by an earlier protocol (a refit "
                                   "after the trial); use another --out folder")
        else:
            start = time.perf_counter()
            by_epoch, learning, test_by_epoch = minilm_trial(inner_train, inner_val, space, lr, runner.model_name,
                                                             runner.seed, test=test)
            trial = runner.store.put({"learning_rate": lr, "ids": inner_val["id"].tolist(), "bf16": use_bf16(),
                                      "epochs": {str(e): rounded(p) for e, p in by_epoch.items()},
                                      "test_ids": test["id"].tolist(),
                                      "test_epochs": {str(e): rounded(p) for e, p in test_by_epoch.items()},
                                      "learning": learning,
                                      "seconds": round(time.perf_counter() - start, 1)}, "trials", name)
        if trial["ids"] != inner_val["id"].tolist() or trial["test_ids"] != test["id"].tolist():
            raise RuntimeError(f"{name} was made on another split; remove it or use another --out folder")
        seconds += trial["seconds"]
        trials[lr] = trial
        runner.progress(f"{runner.target} fold {fold} minilm lr={lr:g}", len(inner_train) * space.epochs(len(inner_train)))
        if trial.get("learning", {}).get("learned") is False:
            failed_trials.append(lr)  # a model that did not learn is no candidate while another one learned
            continue
        candidates += [({"learning_rate": lr, "epochs": int(e)}, np.asarray(p)) for e, p in trial["epochs"].items()]
    learned = bool(candidates)
    if not learned:
        # no learning rate learned every label, even with retries: the fold is reported with the last
        # attempt and recorded as not learned (per label in the trials' "learning"), not left out
        print(f"{runner.target} fold {fold}: no learning rate learned every label after "
              f"{space.recipe.max_attempts} seeds; its scores are reported and recorded as not learned",
              file=sys.stderr, flush=True)
        candidates = [({"learning_rate": lr, "epochs": int(e)}, np.asarray(p))
                      for lr, trial in trials.items() for e, p in trial["epochs"].items()]
    candidates.sort(key=lambda c: (c[0]["epochs"], c[0]["learning_rate"]))  # ties go to fewer epochs
    val_labels = label_matrix(inner_val)
    chosen = choose(candidates, val_labels)
    trial = trials[chosen["learning_rate"]]
    val_proba = np.asarray(trial["epochs"][str(chosen["epochs"])])
    test_proba = np.asarray(trial["test_epochs"][str(chosen["epochs"])])
    selected = {**chosen, "failed_trials": failed_trials, "learned": learned, "trial_seconds": seconds,
                "test_uncalibrated": test_proba}
    if space.recipe.calibrate:
        scaling, val_proba, thresholds = calibrate_and_threshold(val_labels, val_proba)
        test_proba = scaling.apply(test_proba)
        selected["uncalibrated_thresholds"] = selected["thresholds"]
        # rounded as the saved probabilities are, so the decisions recompute from the saved files
        selected["thresholds"] = [round(t, 6) for t in thresholds]
        selected["calibration"] = scaling.as_dict()
    return selected, test_proba


def select_logistic(runner: FoldRunner, model: str, inner_train: pd.DataFrame, inner_val: pd.DataFrame,
                    test: pd.DataFrame) -> tuple[dict[str, Any], np.ndarray]:
    """C and thresholds for a logistic-regression baseline, from the same inner split; the chosen
    classifier's probabilities for the outer test fold."""
    x_train, x_val, x_test = runner.features(model, inner_train, inner_val, test)
    labels = label_matrix(inner_train)
    fitted = {c: baselines.fit_logistic(x_train, labels, c, runner.seed) for c in runner.space.logistic_c}
    chosen = choose([({"C": c}, baselines.logistic_proba(f, x_val)) for c, f in fitted.items()], label_matrix(inner_val))
    runner.progress(f"{runner.target} {model}", 0.02 * (len(inner_train) + len(inner_val)))
    return chosen, baselines.logistic_proba(fitted[chosen["C"]], x_test)


def fold_assignments(frames: dict[str, pd.DataFrame], n_folds: int, seed: int) -> pd.DataFrame:
    """``id, target, fold``: the seeded, stratified outer folds of every target, shared by every model."""
    rows = [pd.DataFrame({"id": frame["id"].to_numpy(), "target": target,
                          "fold": assign_folds(label_matrix(frame), n_folds, seed)})
            for target, frame in frames.items()]
    return pd.concat(rows, ignore_index=True)


def _checked_folds(store: Store, assigned: pd.DataFrame) -> pd.DataFrame:
    """Reuse the folds already in ``store`` (every model must see the same folds); refuse a mismatch."""
    path = store.path("folds.csv")
    if path.is_file():
        saved = pd.read_csv(path)
        for target, rows in assigned.groupby("target", sort=False):
            old = saved[saved["target"] == target]
            if len(old) and (old["id"].tolist() != rows["id"].tolist() or old["fold"].tolist() != rows["fold"].tolist()):
                raise RuntimeError(f"{path} holds other folds for {target} (another --folds or --seed, or other data); "
                                   "use another --out folder")
        merged = pd.concat([saved, assigned[~assigned["target"].isin(saved["target"])]], ignore_index=True)
    else:
        merged = assigned
    atomic_write_text(path, merged.to_csv(index=False))
    return merged


def cv_fingerprint(df: pd.DataFrame, model_name: str, n_folds: int, seed: int,
                   spaces: dict[str, SearchSpace]) -> dict[str, Any]:
    """What every unit of a cv run depends on: the encoder's files, the labelled data, folds, seed, search
    spaces (recipe included), precision and library versions."""
    return fingerprints.run_fingerprint(model_name, data=fingerprints.frame_digest(df), n_folds=n_folds, seed=seed,
                                        search_spaces={t: asdict(s) for t, s in sorted(spaces.items())})


def _check_run_fingerprint(store: Store, made_by: dict[str, Any]) -> None:
    """Continue the units in ``store`` only if the run that made them had this fingerprint; record it for a new run."""
    saved = store.get(FINGERPRINT_FILE)
    has_units = any(any(store.path(kind).glob("*.json")) for kind in ("folds", "trials"))
    if saved is not None and "precision" in saved:  # the one field with a fix of its own: say it
        check_same_precision({"bf16": saved["precision"] == "bf16"}, str(store.root))
    if saved is not None or has_units:
        fingerprints.check_fingerprint(saved, made_by, str(store.path(FINGERPRINT_FILE) if saved else store.root),
                                       "use another --out folder, or the settings that run had")
    store.put(made_by, FINGERPRINT_FILE)


def run_cv(
    targets: Iterable[str] = tuple(TARGETS),
    out: str | os.PathLike = DEFAULT_CV_DIR,
    n_folds: int = 3,
    seed: int = SEED,
    only_fold: int | None = None,
    models: Iterable[str] = MODELS,
    model_name: str | None = None,
    spaces: dict[str, SearchSpace] | None = None,
    df: pd.DataFrame | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run (or resume) the nested cross-validation and write its results under ``out``; returns ``summary.csv``.

    ``only_fold`` runs one outer fold (to check that a rerun reproduces it); ``spaces`` replaces the
    frozen :data:`SEARCH_SPACES` (tests use tiny ones); ``df`` replaces the labelled data.
    ``progress=None`` shows a bar with ETA on a terminal and a line per finished step elsewhere;
    ``False`` is silent.
    """
    targets, models = list(targets), list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    spaces = {**SEARCH_SPACES, **(spaces or {})}
    model_name = resolve_model(model_name)
    df = load_labels() if df is None else df
    frames = {t: target_frame(df, t) for t in targets}
    store = Store(out)
    _check_run_fingerprint(store, cv_fingerprint(df, model_name, n_folds, seed, spaces))
    assigned = _checked_folds(store, fold_assignments(frames, n_folds, seed))
    folds_to_run = range(n_folds) if only_fold is None else [only_fold]
    if only_fold is not None and not 0 <= only_fold < n_folds:
        raise ValueError(f"--fold {only_fold} is not one of 0..{n_folds - 1}")

    memo: dict[str, np.ndarray] = {}

    def embeddings() -> dict[str, np.ndarray]:
        if not memo:  # no labels involved: the frozen encoder embeds every document once
            vectors = baselines.sentence_embeddings(make_text(df).tolist(), model_name)
            memo.update(zip(df["id"], vectors))
        return memo

    runners = {t: FoldRunner(store, t, frames[t], assigned[assigned["target"] == t]["fold"].to_numpy(), spaces[t],
                             model_name, seed, embeddings, lambda *_: None) for t in targets}
    total = sum(r.work(m, int((r.folds != k).sum())) for r in runners.values() for k in folds_to_run for m in models)
    show = show_progress(progress)
    started, commit = datetime.now(timezone.utc), current_commit()  # the code that runs, not what is checked out at the end
    record = partial(record_run, store, targets, n_folds, seed, only_fold, models, model_name, spaces, started, commit)
    with tqdm(total=round(total), disable=not show, unit="ex", desc="cv", smoothing=0) as bar, recorded_if_interrupted(record):
        def step(message: str, work: float) -> None:
            bar.update(round(work))
            if show:
                bar.set_postfix_str(message)
            elif progress is None:  # not a terminal (a log file): one line per finished step
                print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)

        for target, runner in runners.items():
            runner.progress = step
            for k in folds_to_run:
                runner.run(k, models)
    summary = write_summaries(store, df)
    record()
    return summary


