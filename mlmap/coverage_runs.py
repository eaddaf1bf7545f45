"""The committed test of the map's count intervals (``python -m mlmap count-coverage``), in ``results/quantification``.

Reads the demonstration corpus's honest predictions (``results/map/predictions.csv``: every
probability from a model that never trained on the document) and the reviewers' labels, and runs
:func:`mlmap.map_counts.shifted_draws` for every map label: INCLUDE, each code among the included
documents, and each margin (included and a code). Writes ``draws.csv`` (one row per label, draw
and method: no texts), ``summary.csv`` (coverage and error per label and method) and ``run.json``
(command, commit, machine, versions, wall time).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .paths import RESULTS_DIR

DEFAULT_COVERAGE_DIR = RESULTS_DIR / "quantification"
MAP_PREDICTIONS = RESULTS_DIR / "map" / "predictions.csv"


def map_frame(predictions_csv: str | Path = MAP_PREDICTIONS, cells: bool = False) -> pd.DataFrame:
    """The map labels (:func:`mlmap.map_counts.map_labels`) of the labelled documents, from the committed predictions."""
    from .data import label_columns, load_labels
    from .map_counts import map_labels

    labels = load_labels()
    predictions = pd.read_csv(predictions_csv).set_index("id")
    missing = labels.loc[~labels["id"].isin(predictions.index), "id"]
    if len(missing):
        raise ValueError(f"{predictions_csv} has no predictions for {len(missing)} labelled documents "
                         f"(e.g. {missing.iloc[0]}): rerun `python -m mlmap demo-corpus`")
    predictions = predictions.loc[labels["id"]].reset_index()
    return map_labels(predictions, labels, label_columns(labels, "4 -"), label_columns(labels, "8 -"), cells=cells)


def run_coverage(out: str | Path = DEFAULT_COVERAGE_DIR, n_draws: int = 200, n_boot: int = 300, seed: int = 0,
                 command: str | None = None, progress: bool = True, cells: bool = False, jobs: int = 1) -> pd.DataFrame:
    """Run the prior-shift test of every map label's intervals and write it under ``out``; returns the summary.

    ``cells`` adds the 35 instrument x sector cells; ``jobs`` runs labels in that many processes
    (each label draws from its own seeded stream, so the results do not depend on it).
    """
    from .caching import atomic_write_text
    from .runs import current_commit, invocation
    from .map_counts import MIN_POSITIVES, PREVALENCE_FACTORS, coverage_summary, label_names, shifted_draws
    from .quantify import METHODS

    started, commit = datetime.now(timezone.utc), current_commit()
    frame = map_frame(cells=cells)
    names, skipped = [], {}
    for name in label_names(frame):
        truth = frame[name].dropna()
        fewest = int(min(truth.sum(), len(truth) - truth.sum()))
        if fewest < MIN_POSITIVES:  # a cell with a handful of documents cannot be split and resampled
            skipped[name] = fewest
        else:
            names.append(name)
    if skipped and progress:
        print(f"skipped {len(skipped)} labels with fewer than {MIN_POSITIVES} positive documents", file=sys.stderr)

    def report(done: int, total: int) -> None:
        if progress:
            print(f"{done}/{total} labels", file=sys.stderr, flush=True)

    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        work = partial(shifted_draws, frame, n_draws=n_draws, n_boot=n_boot, seed=seed)
        with ProcessPoolExecutor(jobs) as pool:
            parts = []
            for part in pool.map(work, [[name] for name in names]):
                parts.append(part)
                report(len(parts), len(names))
        draws = pd.concat(parts, ignore_index=True)
    else:
        draws = shifted_draws(frame, names, n_draws=n_draws, n_boot=n_boot, seed=seed, progress=report)
    draws = draws.round(3)  # as committed: the summary is computed from exactly these rows
    summary = coverage_summary(draws)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "draws.csv", draws.to_csv(index=False))
    atomic_write_text(out / "summary.csv", summary.round(4).to_csv(index=False))
    record = {**invocation("count-coverage", "run_coverage", started, commit),
              "settings": {"n_draws": n_draws, "n_boot": n_boot, "seed": seed, "cells": cells, "jobs": jobs, "methods": list(METHODS),
                           "prevalence_factors": list(PREVALENCE_FACTORS), "labels": names,
                           "skipped_labels_with_positives": skipped},
              "predictions": str(MAP_PREDICTIONS.relative_to(RESULTS_DIR.parent))}
    if command:
        record["command"] = command
    atomic_write_text(out / "run.json", json.dumps(record, indent=1, default=str))
    return summary
