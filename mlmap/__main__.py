"""Command line: ``python -m mlmap fetch-data``, ``cv`` and ``simulate`` (see ``--help`` of each)."""

from __future__ import annotations

import argparse
import sys

from .data import DataError, fetch_data


def _cv(args: argparse.Namespace) -> int:
    from . import cv, cv_results

    targets = list(cv.TARGETS) if args.target == "all" else [args.target]
    summary = cv.run_cv(targets, out=args.out, n_folds=args.folds, seed=args.seed, only_fold=args.fold,
                        models=args.models.split(","), model_name=args.model)
    table = summary.groupby(["target", "model"], sort=False)["f1"].agg(["mean", "std", "count"]).round(3)
    print(table.to_string())
    print(f"results in {args.out}")
    if args.compare_with:
        diff = cv_results.compare_runs(args.compare_with, args.out)
        print(f"\nagainst {args.compare_with}:\n" + (diff.round(4).to_string(index=False) if len(diff) else "nothing in common"))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from . import simulation_runs as runs

    if args.summary_only:
        summary = runs.write_summary(args.out, runs.load_labels())
    else:
        variants = list(runs.VARIANTS) if args.variant == "all" else [args.variant]
        summary = runs.run_simulations(variants, args.models.split(","), n_seed_sets=args.seed_sets, out=args.out,
                                       seed=args.seed, model_name=args.model)
    table = summary.groupby(["variant", "model"], sort=False)[["wss95", "docs_for_95_recall", "recall_at_stop"]].mean()
    print(table.round(3).to_string())
    print(f"results in {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlmap", description="Helpers of the mlmap book.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch-data", help="fetch and verify data/labels.feather")
    fetch.add_argument("--source", help="path or URL (default: $MLMAP_DATA_SOURCE, else the upstream file)")
    fetch.add_argument("--dest", help="where to put it (default: $MLMAP_DATA_PATH, else data/labels.feather)")

    from .paths import RESULTS_DIR
    from .recipe import SEED

    cv = commands.add_parser(
        "cv", help="nested cross-validation of the fine-tuned model and two baselines (resumable)",
        description="Outer stratified folds for honest scores; learning rate, epochs and thresholds chosen inside "
                    "each outer training set. Finished units are saved as they come: rerun the same command to resume.")
    cv.add_argument("--target", default="all", choices=["include", "instruments", "sectors", "all"])
    cv.add_argument("--folds", type=int, default=3, help="outer folds (default 3)")
    cv.add_argument("--seed", type=int, default=SEED, help=f"seed of the folds and of training (default {SEED})")
    cv.add_argument("--fold", type=int, help="run only this outer fold (to check a rerun against committed results)")
    cv.add_argument("--models", default="minilm,tfidf,minilm_frozen", help="comma-separated subset of minilm,tfidf,minilm_frozen")
    cv.add_argument("--model", help="pretrained model to fine-tune (default: $MLMAP_MODEL, else the bundled all-MiniLM-L6-v2)")
    cv.add_argument("--out", default=str(RESULTS_DIR / "cv"), help="results folder (default results/cv)")
    cv.add_argument("--compare-with", metavar="DIR",
                    help="afterwards, compare the probabilities and F1 of every fold in both folders (e.g. results/cv)")
    simulate = commands.add_parser(
        "simulate", help="simulate prioritised screening with a model in the loop (resumable)",
        description="From a small seed set, a model trained on the labels revealed so far ranks the rest; the next "
                    "batch is revealed and the model retrained, until every relevant document is found. Each run is "
                    "saved after every round: rerun the same command to resume.")
    simulate.add_argument("--variant", default="all", choices=["full", "low_prevalence", "all"])
    simulate.add_argument("--models", default="minilm,tfidf", help="comma-separated subset of minilm,tfidf")
    simulate.add_argument("--seed-sets", type=int, default=5, help="seed sets per variant and model (default 5)")
    simulate.add_argument("--seed", type=int, default=SEED, help=f"seed of the subset, seed sets and training (default {SEED})")
    simulate.add_argument("--model", help="pretrained model to fine-tune (default: $MLMAP_MODEL, else the bundled all-MiniLM-L6-v2)")
    simulate.add_argument("--out", default=str(RESULTS_DIR / "screening"), help="results folder (default results/screening)")
    simulate.add_argument("--summary-only", action="store_true",
                          help="only recompute summary.csv from the saved runs (e.g. after scripts/asreview/simulate.py)")
    args = parser.parse_args(argv)
    try:
        if args.command == "cv":
            return _cv(args)
        if args.command == "simulate":
            return _simulate(args)
        path = fetch_data(args.source, args.dest)
    except (DataError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"verified {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
