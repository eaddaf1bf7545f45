"""``python -m mlmap count``: how many documents of a predicted corpus have each label, with intervals (:mod:`mlmap.quantify`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .commands import COMMANDS

NAME = "count"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    count = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="Estimates, per label, the number of documents of PREDICTED (a file written by `mlmap predict`, "
                    "with p_<label> and pred_<label> columns) that have it, with 90%% and 95%% intervals, by "
                    "quantification calibrated on labelled documents the model never trained on: the held-out "
                    "quarter each model folder keeps (--model), or your own file (--calibration).")
    count.add_argument("predicted", metavar="PREDICTED", help="CSV, Parquet or Feather from `mlmap predict`")
    source = count.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", action="append", metavar="DIR",
                        help="a model folder from `mlmap train` (repeat for several): its held_out.csv calibrates its labels")
    source.add_argument("--calibration", metavar="FILE",
                        help="labelled documents the model never trained on: p_<label> and a 0/1 <label> column "
                             "(blank: not labelled) per label")
    count.add_argument("--labels", nargs="+", metavar="LABEL", help="the labels to count (default: every label calibrated)")
    count.add_argument("--method", nargs="+", default=["CC", "PCC", "PACC"], metavar="METHOD",
                       help="quantifiers: CC, PCC, ACC, PACC, EMQ, EMQ-Platt (default: CC PCC PACC; in the book's "
                            "test of the intervals PACC's held best on its worst label with the narrowest width; "
                            "CC and PCC give no usable interval)")
    count.add_argument("--boot", type=int, default=500, help="bootstrap replicates per interval (default 500)")
    count.add_argument("--seed", type=int, default=0)
    count.add_argument("-o", "--output", metavar="CSV", help="write the table to this CSV file too")
    return count


def _f1_thresholds(folder: str) -> dict[str, float]:
    """A model folder's F1 thresholds by label: CC and ACC decide the corpus and the held-out documents alike
    (the corpus's pred_ columns may be at another threshold, e.g. recall95)."""
    import json
    from pathlib import Path

    info = json.loads((Path(folder) / "mlmap.json").read_text())
    return dict(zip(info["label_names"], info["thresholds"]["f1"]))


def _calibrated_labels(calibration) -> list[str]:
    return [c.removeprefix("p_") for c in calibration.columns if c.startswith("p_") and c.removeprefix("p_") in calibration]


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..held_out import read_held_out
    from ..io import read_documents
    from ..quantify import METHODS, count_labels

    unknown = [m for m in args.method if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}: choose from {', '.join(METHODS)}")
    corpus = read_documents(args.predicted)
    sources = ([(folder, read_held_out(folder), _f1_thresholds(folder)) for folder in args.model] if args.model
               else [(args.calibration, read_documents(args.calibration), None)])
    tables, counted = [], set()
    for where, calibration, thresholds in sources:
        labels = [label for label in (args.labels or _calibrated_labels(calibration))
                  if not args.labels or f"p_{label}" in calibration.columns or len(sources) == 1]
        if not labels:
            continue
        for label in labels:
            if label in calibration.columns and not pd.api.types.is_numeric_dtype(calibration[label]):
                calibration[label] = pd.to_numeric(calibration[label], errors="coerce")
        print(f"{', '.join(labels)}: calibrated on {where}", file=sys.stderr)
        tables.append(count_labels(calibration, corpus, labels, thresholds, methods=args.method, n_boot=args.boot,
                                   seed=args.seed))
        counted.update(labels)
    missing = sorted(set(args.labels or []) - counted)
    if missing or not tables:
        raise ValueError(f"no calibration for label(s) {', '.join(missing) or '(none found)'}: give the model folder that "
                         "predicts them, or a calibration file with their p_<label> and <label> columns")
    table = pd.concat(tables, ignore_index=True)
    if args.output:
        table.round(2).to_csv(args.output, index=False)
        print(f"written to {args.output}", file=sys.stderr)
    shown = table.assign(**{"90% interval": [f"{lo:.0f}-{hi:.0f}" for lo, hi in zip(table["low_90"], table["high_90"])],
                            "95% interval": [f"{lo:.0f}-{hi:.0f}" for lo, hi in zip(table["low_95"], table["high_95"])]})
    print(shown[["label", "method", "documents", "estimate", "90% interval", "95% interval"]]
          .round({"estimate": 1}).to_string(index=False))
    return 0
