"""``python -m mlmap simulate``: the committed screening simulations (:mod:`mlmap.screening.simulation_runs`)."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import COMMANDS
from .options import pretrained_model_option

NAME = "simulate"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..paths import RESULTS_DIR
    from ..recipe import SEED

    simulate = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="From a small seed set, a model trained on the labels revealed so far ranks the rest; the next "
                    "batch is revealed and the model retrained, until every relevant document is found. Each run is "
                    "saved after every round: rerun the same command to resume.")
    simulate.add_argument("--variant", default="all", choices=["full", "low_prevalence", "low2", "all"],
                          help="all: full and low_prevalence; low2 (2%% relevant) only by name")
    simulate.add_argument("--models", default="minilm,tfidf", help="comma-separated subset of minilm,tfidf and the fixed-feature rankers "
                          "(mlmap.screening.loop.RANKER_MODELS)")
    simulate.add_argument("--seed-sets", type=int, default=None,
                          help="seed sets per variant and model (default: 5, and 10 for low2)")
    simulate.add_argument("--seed", type=int, default=SEED, help=f"seed of the subset, seed sets and training (default {SEED})")
    pretrained_model_option(simulate)
    simulate.add_argument("--out", default=str(RESULTS_DIR / "screening"), help="results folder (default results/screening)")
    simulate.add_argument("--summary-only", action="store_true",
                          help="only recompute summary.csv from the saved runs (e.g. after scripts/asreview/simulate.py)")
    simulate.add_argument("--reuse-summary", action="store_true",
                          help="with --summary-only: keep the rows of runs whose files are unchanged since summary.csv")
    simulate.add_argument("--half", choices=["a", "b"], default=None,
                          help="only one stratified half of the labelled documents: a, where a design is tuned "
                               "(scripts/screening/explore_ranker.py --half a), or b, where it is reported")
    simulate.add_argument("--no-summary", action="store_true",
                          help="run and record, but leave summary.csv to a later --summary-only")
    return simulate


def run(args: argparse.Namespace) -> int:
    from ..screening import simulation_runs as runs

    if args.summary_only:
        df = runs.load_labels()
        df = df if args.half is None else runs.corpus_half(df, args.half, args.seed)
        summary = runs.write_summary(args.out, df, args.seed, reuse=args.reuse_summary)
    else:
        variants = list(runs.DEFAULT_VARIANTS) if args.variant == "all" else [args.variant]
        summary = runs.run_simulations(variants, args.models.split(","), n_seed_sets=args.seed_sets, out=args.out,
                                       seed=args.seed, model_name=args.model, summarise=not args.no_summary,
                                       half=args.half)
        if summary is None:
            print(f"runs in {args.out}; summarise with --summary-only")
            return 0
    table = summary.groupby(["variant", "model"], sort=False)[["wss95", "docs_for_95_recall", "recall_at_stop"]].mean()
    print(table.round(3).to_string())
    print(f"results in {args.out}")
    return 0
