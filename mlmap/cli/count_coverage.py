"""``python -m mlmap count-coverage``: the map chapter's test of the count intervals (:mod:`mlmap.coverage_runs`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .commands import COMMANDS

NAME = "count-coverage"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..paths import RESULTS_DIR

    parser = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="On the labelled documents (the committed results/map/predictions.csv), per map label: 200 times, "
                    "split into a calibration half and a pool, draw a corpus from the pool at a shifted prevalence, "
                    "count it with each quantifier, and check the intervals against the true count. Writes "
                    "draws.csv, summary.csv and run.json.")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "quantification",
                        help="output folder (default results/quantification)")
    parser.add_argument("--draws", type=int, default=200, help="test corpora per label (default 200)")
    parser.add_argument("--boot", type=int, default=300, help="bootstrap replicates per interval (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cells", action="store_true", help="also test the instrument x sector cells")
    parser.add_argument("--jobs", type=int, default=1, help="labels run in this many processes (the same results)")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..coverage_runs import run_coverage

    summary = run_coverage(args.out, args.draws, args.boot, args.seed, cells=args.cells, jobs=args.jobs,
                           command="python -m mlmap " + " ".join(sys.argv[1:]))
    table = summary.groupby("method", sort=False)[["coverage_90", "coverage_95", "mae_vs_cc"]].median()
    print(table.round(3).to_string())
    return 0
