"""`python -m mlmap screen` as a reviewer runs it: a round from a cold cache, then rounds with new labels.

    .venv/bin/python benchmarks/bench_screen.py [--docs 1500] [--screened 300] [--ranker minilm_tfidf_svm]

A search of ``--docs`` of the labelled documents (seeded) with ``--screened`` of them labelled, in
random order, is written to a CSV; the command runs in a fresh process each time, as a user runs
it, with its own cache folder: first cold (every text embedded), then warm with 25 more labels
(the default batch: the embeddings come from the cache, the SVM is refitted), then again with the
same labels (the ranking comes from the cache). Each line: the wall time of the whole command,
imports included, and the ratio cold / warm.

The embeddings are computed in fp32 on every CPU, so a CPU without bf16 units is slower only by its
fp32 speed. To estimate one on a faster machine (as on 2026-12-02), hold PyTorch to the AVX2
kernels (``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2``) and
throttle the process with a CPU quota (cgroup ``cpu.cfs_quota_us``) until a 2048x2048 fp32 matmul
runs as fast as on that CPU (143 GFLOP/s on the 2-core AMD EPYC of ``book/speed.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--screened", type=int, default=300)
    parser.add_argument("--ranker", default="minilm_tfidf_svm")
    args = parser.parse_args()
    import mlmap

    labels = mlmap.load_labels()
    rng = np.random.default_rng(mlmap.SEED)
    search = labels.iloc[rng.choice(len(labels), args.docs, replace=False)][["id", "title", "abstract", "INCLUDE"]]
    search = search.reset_index(drop=True)
    order = rng.permutation(len(search))
    work = Path(tempfile.mkdtemp(prefix="bench-screen-"))
    cache = work / "cache"

    def round_with(screened: int) -> float:
        frame = search.drop(columns="INCLUDE").assign(label="", order="")
        read = order[:screened]
        frame.loc[read, "label"] = search.loc[read, "INCLUDE"].astype(int).astype(str)
        frame.loc[read, "order"] = [str(k) for k in range(1, screened + 1)]
        frame.to_csv(work / "search.csv", index=False)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mlmap", "screen", str(work / "search.csv"), "-o", str(work / "next.csv"),
                        "--order", "order", "--ranker", args.ranker, "--cache-dir", str(cache)],
                       check=True, cwd=ROOT, capture_output=True, env={**os.environ, "TQDM_DISABLE": "1"})
        return time.perf_counter() - started

    try:
        cold = round_with(args.screened)
        warm = round_with(args.screened + 25)
        cached = round_with(args.screened + 25)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"screen --ranker {args.ranker}: {args.docs} documents, {args.screened} screened; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, bf16 {mlmap.use_bf16()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"cold cache (every text embedded):       {cold:6.1f} s")
    print(f"25 new labels (embeddings from cache):  {warm:6.1f} s   cold/warm {cold / warm:.1f}x")
    print(f"same labels (ranking from cache):       {cached:6.1f} s")


if __name__ == "__main__":
    main()
