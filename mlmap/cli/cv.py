"""``python -m mlmap cv``: nested cross-validation (:mod:`mlmap.cv`)."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import COMMANDS
from .options import pretrained_model_option

NAME = "cv"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..recipe import SEED

    cv = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="Outer stratified folds for honest scores; learning rate, epochs and thresholds chosen inside "
                    "each outer training set. Finished units are saved as they come: rerun the same command to resume.")
    cv.add_argument("--target", default="all", choices=["include", "instruments", "sectors", "all"])
    cv.add_argument("--folds", type=int, default=3, help="outer folds (default 3)")
    cv.add_argument("--seed", type=int, default=SEED, help=f"seed of the folds and of training (default {SEED})")
    cv.add_argument("--fold", type=int, help="run only this outer fold (to check a rerun against committed results)")
    cv.add_argument("--models", default="minilm,tfidf,minilm_frozen", help="comma-separated subset of minilm,tfidf,minilm_frozen")
    pretrained_model_option(cv)
    cv.add_argument("--spaces", choices=["frozen", "nested"], default="frozen",
                    help="frozen (default): the search spaces fixed after the exploration on outer fold 0; nested: "
                         "the head and learning rate chosen again inside every outer training set")
    cv.add_argument("--without-development", action="store_true",
                    help="leave out the documents the recipe and head were chosen on (mlmap.development; listed in "
                         "the folder's development.csv) and draw the folds on the rest: no choice has read a test fold")
    cv.add_argument("--out", help="results folder (default results/cv; results/cv-clean with --without-development; "
                                  "results/cv-nested with --spaces nested)")
    cv.add_argument("--compare-with", metavar="DIR",
                    help="afterwards, compare the probabilities and F1 of every fold in both folders (e.g. results/cv)")
    return cv


def run(args: argparse.Namespace) -> int:
    from .. import cv, cv_results

    from ..paths import RESULTS_DIR
    from ..search_space import NESTED_SEARCH_SPACES

    targets = list(cv.TARGETS) if args.target == "all" else [args.target]
    nested = args.spaces == "nested"
    default = "cv-nested" if nested else "cv-clean" if args.without_development else "cv"
    args.out = args.out or str(RESULTS_DIR / default)
    summary = cv.run_cv(targets, out=args.out, n_folds=args.folds, seed=args.seed, only_fold=args.fold,
                        models=args.models.split(","), model_name=args.model,
                        spaces=NESTED_SEARCH_SPACES if nested else None,
                        without_development=args.without_development)
    table = summary.groupby(["target", "model"], sort=False)["f1"].agg(["mean", "std", "count"]).round(3)
    print(table.to_string())
    print(f"results in {args.out}")
    if args.compare_with:
        diff = cv_results.compare_runs(args.compare_with, args.out)
        print(f"\nagainst {args.compare_with}:\n" + (diff.round(4).to_string(index=False) if len(diff) else "nothing in common"))
    return 0
