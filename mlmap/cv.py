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
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import baselines, fingerprints
from . import development as development_mod
from .caching import atomic_write_text
from .cv_results import MODELS, record_run, write_summaries
from .data import load_labels, make_text
from .folds import assign_folds
from .hardware import check_same_precision
from .models import resolve_model
from .paths import RESULTS_DIR
from .progress import show_progress
from .recipe import SEED
from .runs import Store, current_commit, recorded_if_interrupted
# SearchSpace, SEARCH_SPACES, FoldRunner and the targets are also read as mlmap.cv.<name> (the chapters, tests)
from .search_space import SEARCH_SPACES, SearchSpace
from .selection import FoldRunner
from .targets import TARGETS, label_matrix, target_frame

DEFAULT_CV_DIR = RESULTS_DIR / "cv"
#: What made a cv folder's units (:func:`cv_fingerprint`); a run continues them only if it matches.
FINGERPRINT_FILE = "fingerprint.json"
#: ``id, target`` of the documents a ``without_development`` run left out.
DEVELOPMENT_FILE = "development.csv"


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
                                        search_spaces={t: s.as_record() for t, s in sorted(spaces.items())})


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
    without_development: bool = False,
) -> pd.DataFrame:
    """Run (or resume) the nested cross-validation and write its results under ``out``; returns ``summary.csv``.

    ``only_fold`` runs one outer fold (to check that a rerun reproduces it); ``spaces`` replaces the
    frozen :data:`SEARCH_SPACES` (tests use tiny ones); ``df`` replaces the labelled data.
    ``progress=None`` shows a bar with ETA on a terminal and a line per finished step elsewhere;
    ``False`` is silent. ``without_development`` leaves out the documents the recipe was chosen on
    (:mod:`mlmap.development`, listed in ``development.csv``) before the folds are drawn.
    """
    targets, models = list(targets), list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    spaces = {**SEARCH_SPACES, **(spaces or {})}
    model_name = resolve_model(model_name)
    df = load_labels() if df is None else df
    store = Store(out)
    if without_development:
        df, development = development_mod.without_development(df)
    frames = {t: target_frame(df, t) for t in targets}
    _check_run_fingerprint(store, cv_fingerprint(df, model_name, n_folds, seed, spaces))
    if without_development:
        atomic_write_text(store.path(DEVELOPMENT_FILE), development.to_csv(index=False))
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
    record = partial(record_run, store, targets, n_folds, seed, only_fold, models, model_name, spaces, started, commit,
                     documents=len(df), without_development=without_development)
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


