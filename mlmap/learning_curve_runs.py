"""Learning curves of the book's targets or of your own labels (``python -m mlmap learning-curve``).

For the book's targets the results go to ``results/learning-curves``: ``points.csv`` (one row per
target, model, size, resample and label: positives, F1, AUC; no texts), ``fits.csv`` (per target,
model and label: the fitted plateau, F1 predicted at twice the labels with its 90% interval, the
documents and positives needed, and whether the labels in hand fall short), ``backtest.csv`` (fit
on the smaller half of the sizes, predict the largest) and ``run.json`` (command, commit, machine,
versions, wall time). The held-out quarter that scores every point is drawn once, stratified.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .paths import RESULTS_DIR

DEFAULT_CURVES_DIR = RESULTS_DIR / "learning-curves"
CURVE_MODELS = ("tfidf", "minilm_frozen")
#: The label name of a multilabel target's macro average (mean F1 over its labels).
MACRO = "macro (all labels)"


def feature_maker(model: str, texts: list[str], model_name: str | None = None):
    """``features(train_index, test_index)`` for :func:`mlmap.learning_curves.learning_curve`."""
    if model == "tfidf":
        from .baselines import tfidf_features

        return lambda train, test: tfidf_features([texts[i] for i in train], [texts[i] for i in test])
    if model == "minilm_frozen":
        from .screening.features import cached_embeddings

        vectors = cached_embeddings(texts, model_name)  # no labels involved: every text embedded once
        return lambda train, test: (vectors[train], vectors[test])
    raise ValueError(f"unknown model {model!r}: choose from {', '.join(CURVE_MODELS)}")


def curves_for_frame(frame: pd.DataFrame, label_names: list[str], models: Sequence[str] = CURVE_MODELS,
                     resamples: int = 5, seed: int = 0, model_name: str | None = None,
                     progress: bool = True, name: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Points, fits and backtests of one labelled frame (``text`` and ``labels`` columns, as a target frame has)."""
    from .folds import assign_folds
    from .learning_curves import backtest, learning_curve, predict_with_interval, subset_sizes
    from .targets import label_matrix

    labels = label_matrix(frame).reshape(len(frame), -1).astype(int)
    for j, label in enumerate(label_names):
        positives = int(labels[:, j].sum())
        if positives < 8 or positives > len(labels) - 8:
            kind = "positive" if positives < 8 else "negative"
            raise ValueError(f"label {label!r} has {min(positives, len(labels) - positives)} {kind} documents: a learning "
                             "curve needs at least 8 of each (code more documents, or leave the label out)")
    test = assign_folds(labels if labels.shape[1] > 1 else labels[:, 0], 4, seed) == 0
    sizes = subset_sizes(int((~test).sum()))
    texts = frame["text"].tolist()
    points, fits, tests = [], [], []
    for model in models:
        features = feature_maker(model, texts, model_name)

        def report(done: int, total: int, model: str = model) -> None:
            if progress and (done == total or done % 10 == 0):
                print(f"{name} {model}: {done}/{total} subsets", file=sys.stderr, flush=True)

        table = learning_curve(features, labels, test, sizes, resamples, seed, progress=report)
        table.insert(0, "model", model)
        table["label"] = [label_names[j] for j in table["label"]]
        if len(label_names) > 1:
            # the target's macro F1: a code the subset cannot learn (too few positives) scores 0 on it
            macro = (table.fillna({"f1": 0.0}).groupby(["size", "resample"], as_index=False)
                     .agg(f1=("f1", "mean"), auc=("auc", "mean"), positives=("positives", "sum"), C=("C", "first")))
            table = pd.concat([table, macro.assign(model=model, label=MACRO)], ignore_index=True)
        points.append(table)
        for label, rows in table.groupby("label", sort=False):
            prevalence = labels.sum(axis=1).mean() if label == MACRO else labels[:, label_names.index(label)].mean()
            at = 2 * len(frame)
            row = {"model": model, "label": label, "labelled": len(frame),
                   "positives": int(round(prevalence * len(frame))), "at": at}
            try:
                fit = predict_with_interval(rows, at, seed=seed)
                fits.append({**row, **fit, "positives_needed": fit["documents_needed"] * prevalence,
                             "short_of_labels": bool(fit["documents_needed"] > len(frame))})
            except ValueError as error:  # too few sizes where the label could be learned at all
                fits.append({**row, "note": str(error), "short_of_labels": True})
            try:
                tests.append({"model": model, "label": label, **backtest(rows)})
            except ValueError as error:
                tests.append({"model": model, "label": label, "note": str(error)})
    return pd.concat(points, ignore_index=True), pd.DataFrame(fits), pd.DataFrame(tests)


def run_learning_curves(targets: Sequence[str], out: str | Path = DEFAULT_CURVES_DIR,
                        models: Sequence[str] = CURVE_MODELS, resamples: int = 5, seed: int = 0,
                        command: str | None = None) -> pd.DataFrame:
    """The book's targets' learning curves, written under ``out`` with their provenance; returns the fits."""
    from .caching import atomic_write_text
    from .runs import current_commit, invocation
    from .data import load_labels
    from .targets import target_frame

    started, commit = datetime.now(timezone.utc), current_commit()
    df = load_labels()
    all_points, all_fits, all_tests = [], [], []
    for target in targets:
        frame = target_frame(df, target)
        points, fits, tests = curves_for_frame(frame, frame.attrs["label_names"], models, resamples, seed, name=target)
        for table, into in ((points, all_points), (fits, all_fits), (tests, all_tests)):
            table.insert(0, "target", target)
            into.append(table)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fits = pd.concat(all_fits, ignore_index=True)
    atomic_write_text(out / "points.csv", pd.concat(all_points, ignore_index=True).round(4).to_csv(index=False))
    atomic_write_text(out / "fits.csv", fits.round(4).to_csv(index=False))
    atomic_write_text(out / "backtest.csv", pd.concat(all_tests, ignore_index=True).round(4).to_csv(index=False))
    record = {**invocation("learning-curve", "run_learning_curves", started, commit),
              "settings": {"targets": list(targets), "models": list(models), "resamples": resamples, "seed": seed,
                           "test_share": 0.25}}
    if command:
        record["command"] = command
    atomic_write_text(out / "run.json", json.dumps(record, indent=1, default=str))
    return fits
