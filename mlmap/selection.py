"""Model selection inside one outer training set: configuration, epochs, calibration and thresholds.

:class:`FoldRunner` runs (or reloads) every unit of one target's outer fold; the selection steps
(:func:`select_minilm`, :func:`select_logistic`) see only the outer training set, split again 1 in 4.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from . import baselines
from .calibration import calibrate_and_threshold
from .cv_results import rounded
from .folds import inner_split
from .hardware import check_same_precision, use_bf16
from .metrics import best_thresholds, f1_at_thresholds
from .runs import Store
from .search_space import SearchSpace
from .targets import label_matrix
from .trials import minilm_trial


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
        return inner * self.space.epochs(inner) * len(self.space.learning_rates) * len(self.space.recipes())

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
    searched_heads = bool(space.poolings)
    for recipe in space.recipes():
        for lr in space.learning_rates:
            head = f"-{recipe.pooling}" if searched_heads else ""
            key = (recipe.pooling, lr) if searched_heads else lr
            config = {"pooling": recipe.pooling, "learning_rate": lr} if searched_heads else {"learning_rate": lr}
            trial = _trial(runner, replace(space, recipe=recipe, poolings=()), lr, inner_train, inner_val, test,
                           f"{runner.target}-fold{fold}-minilm{head}-lr{lr:g}.json")
            seconds += trial["seconds"]
            trials[key] = trial
            runner.progress(f"{runner.target} fold {fold} minilm{head} lr={lr:g}",
                            len(inner_train) * space.epochs(len(inner_train)))
            if trial.get("learning", {}).get("learned") is False:
                failed_trials.append(key)  # a model that did not learn is no candidate while another one learned
                continue
            candidates += [({**config, "epochs": int(e)}, np.asarray(p)) for e, p in trial["epochs"].items()]
    learned = bool(candidates)
    if not learned:
        # no learning rate learned every label, even with retries: the fold is reported with the last
        # attempt and recorded as not learned (per label in the trials' "learning"), not left out
        print(f"{runner.target} fold {fold}: no learning rate learned every label after "
              f"{space.recipe.max_attempts} seeds; its scores are reported and recorded as not learned",
              file=sys.stderr, flush=True)
        candidates = [({**({"pooling": key[0], "learning_rate": key[1]} if searched_heads else {"learning_rate": key}),
                         "epochs": int(e)}, np.asarray(p))
                      for key, trial in trials.items() for e, p in trial["epochs"].items()]
    candidates.sort(key=lambda c: (c[0]["epochs"], c[0]["learning_rate"]))  # ties go to fewer epochs
    val_labels = label_matrix(inner_val)
    chosen = choose(candidates, val_labels)
    trial = trials[(chosen["pooling"], chosen["learning_rate"]) if searched_heads else chosen["learning_rate"]]
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


def _trial(runner: FoldRunner, space: SearchSpace, lr: float, inner_train: pd.DataFrame, inner_val: pd.DataFrame,
           test: pd.DataFrame, name: str) -> dict[str, Any]:
    """One fine-tuning run (a recipe and a learning rate) of the inner split, from the store or trained and saved."""
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
        trial = runner.store.put({"learning_rate": lr, "pooling": space.recipe.pooling, "ids": inner_val["id"].tolist(),
                                  "bf16": use_bf16(), "epochs": {str(e): rounded(p) for e, p in by_epoch.items()},
                                  "test_ids": test["id"].tolist(),
                                  "test_epochs": {str(e): rounded(p) for e, p in test_by_epoch.items()},
                                  "learning": learning,
                                  "seconds": round(time.perf_counter() - start, 1)}, "trials", name)
    if trial["ids"] != inner_val["id"].tolist() or trial["test_ids"] != test["id"].tolist():
        raise RuntimeError(f"{name} was made on another split; remove it or use another --out folder")
    return trial


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


