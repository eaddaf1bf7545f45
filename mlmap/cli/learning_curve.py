"""``python -m mlmap learning-curve``: would more labels help? (:mod:`mlmap.learning_curve_runs`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .commands import COMMANDS
from .options import text_column_options

NAME = "learning-curve"
MODELS = ("tfidf", "minilm_frozen")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="Trains TF-IDF and frozen-embedding baselines on growing subsets of the labelled documents, "
                    "scores them on a held-out quarter, fits an inverse power law with an interval for the F1 at "
                    "twice the labels, flags labels whose fitted gain from doubling is at least 0.01 F1, and "
                    "backtests the fit. The book's labels by default; your own with --input and --labels.")
    parser.add_argument("--target", default="all", choices=["include", "instruments", "sectors", "all"],
                        help="the book's target(s) (default all); written to results/learning-curves")
    parser.add_argument("--input", type=Path, metavar="FILE",
                        help="your own labelled file (CSV, Parquet, Feather, RIS, OpenAlex JSON Lines)")
    parser.add_argument("--labels", nargs="+", metavar="COLUMN", help="with --input: the 0/1 label column(s)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated: tfidf, minilm_frozen (default both)")
    parser.add_argument("--resamples", type=int, default=5, help="training subsets per size (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="output folder (default results/learning-curves for the book's "
                        "labels, learning-curves/ for --input)")
    text_column_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..learning_curve_runs import curves_for_frame, run_learning_curves

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(MODELS)}")
    if args.input is None:
        if args.labels:
            raise ValueError("--labels needs --input (the book's targets have their own labels)")
        targets = ["include", "instruments", "sectors"] if args.target == "all" else [args.target]
        kwargs = {"out": args.out} if args.out else {}
        fits = run_learning_curves(targets, models=models, resamples=args.resamples, seed=args.seed,
                                   command="python -m mlmap " + " ".join(sys.argv[1:]), **kwargs)
    else:
        from ..labelled_files import training_frame_from_file

        if not args.labels:
            raise ValueError("--input needs --labels: the 0/1 column(s) to learn")
        frame, names, note = training_frame_from_file(args.input, args.labels, args.title_column, args.abstract_column)
        print(note, file=sys.stderr)
        points, fits, tests = curves_for_frame(frame, names, models, args.resamples, args.seed)
        out = args.out or Path("learning-curves")
        out.mkdir(parents=True, exist_ok=True)
        for name, table in (("points", points), ("fits", fits), ("backtest", tests)):
            table.round(4).to_csv(out / f"{name}.csv", index=False)
        print(f"written to {out}: points.csv, fits.csv, backtest.csv", file=sys.stderr)
    columns = ["model", "label", "positives", "predicted", "low", "high", "short_of_labels"]
    print(fits[[c for c in columns if c in fits.columns]].round(3).to_string(index=False))
    return 0
