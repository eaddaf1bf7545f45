"""Explore ranker designs on development seed sets (seeds 100.., never the reported ones); append one JSON line per design.

    PYTHONPATH=$PWD python scripts/screening/explore_ranker.py --features both --c 0.11 --ratio 9.8 --step 1

``--half a`` explores on one stratified half of the documents only
(``mlmap.simulation_runs.corpus_half``), so that the design it picks can be reported on the other
half, ``python -m mlmap simulate --half b``, documents it never saw.

Each line: the settings, the variants' WSS@95 per dev seed set with mean and sd, seconds per run,
the machine. results/screening/exploration.md is written from these lines by hand, with the reasons.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

from mlmap.data import load_labels  # noqa: E402
from mlmap.screening import wss  # noqa: E402
from mlmap.screening.loop import RankerSettings, features_for, simulate_order  # noqa: E402
from mlmap.screening.simulation_runs import corpus_half, seed_sets, variant_frame  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", default="both")
    parser.add_argument("--weight", type=float, default=1.0)
    parser.add_argument("--centre", action="store_true")
    parser.add_argument("--min-df", type=int, default=1)
    parser.add_argument("--classifier", default="svm")
    parser.add_argument("--c", type=float, default=0.11)
    parser.add_argument("--loss", default="squared_hinge", help="the SVM's loss: squared_hinge or hinge")
    parser.add_argument("--ratio", type=float, default=9.8, help="0 means no balancing")
    parser.add_argument("--schedule", default="fixed")
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=["full", "low_prevalence"])
    parser.add_argument("--n-sets", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--half", choices=["a", "b"], default=None, help="explore on one stratified half only")
    parser.add_argument("--out", default=str(ROOT / "results" / "screening" / "exploration.jsonl"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = RankerSettings(features=args.features, embedding_weight=args.weight, centre=args.centre, min_df=args.min_df,
                              classifier=args.classifier, c=args.c, loss=args.loss, balance_ratio=args.ratio or None,
                              schedule=args.schedule, step=args.step)
    df = load_labels() if args.half is None else corpus_half(load_labels(), args.half)
    started = time.perf_counter()
    result: dict = {"settings": settings.__dict__, "dev_seeds": [args.first_seed, args.first_seed + args.n_sets - 1],
                    "half": args.half, "documents": len(df)}
    for variant in args.variants:
        frame = variant_frame(df, variant)
        labels = frame["label"].to_numpy()
        x = features_for(frame["text"].tolist(), settings)
        values, seconds = [], []
        for k, seeds in enumerate(seed_sets(frame, args.n_sets, seed=args.first_seed)):
            stats: dict = {}
            order = simulate_order(x, labels, seeds, settings, seed=args.first_seed + 1000 * k, stats=stats)
            values.append(wss(labels[order], -np.arange(len(order))))
            seconds.append(stats["seconds"])
        result[variant] = {"wss95": [round(v, 4) for v in values], "mean": round(float(np.mean(values)), 4),
                           "sd": round(float(np.std(values, ddof=1)), 4), "seconds_per_run": round(float(np.mean(seconds)), 1)}
        print(variant, result[variant]["mean"], result[variant]["sd"], result[variant]["seconds_per_run"], "s/run", flush=True)
    result.update(wall_seconds=round(time.perf_counter() - started, 1), machine=f"{platform.processor() or platform.machine()}, "
                  f"{os.cpu_count()} cores, 1 thread", finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with open(args.out, "a") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
