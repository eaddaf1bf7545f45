"""`python -m mlmap predict` on a large corpus file: documents/s and the memory of the whole process over time.

    .venv/bin/python benchmarks/bench_predict_corpus.py [--docs 50000] [--model DIR] [--engine E] [--ray]

The corpus is made by resampling the 1,500 real titles and abstracts (seeded, with replacement) into
a Parquet file of ``--docs`` documents, so lengths are those of real abstracts. The command runs in
a fresh process, as a user runs it; a sampler reads its memory (RSS) every half second. Without
``--model``, the bundled all-MiniLM-L6-v2 with an untrained head is saved as a model folder (512
tokens): this measures speed and memory, not accuracy. ``--ray`` runs ``predict --ray`` (a local
Ray cluster of ``--workers`` workers): memory is then that of the whole process tree (the driver,
Ray's own processes and its workers), summed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(n: int, path: Path, seed: int = 0) -> Path:
    import mlmap

    if path.is_file() and len(pd.read_parquet(path, columns=["id"])) == n:
        return path
    labels = mlmap.load_labels()
    rows = np.random.default_rng(seed).integers(0, len(labels), size=n)
    corpus = labels.iloc[rows][["id", "title", "abstract"]].reset_index(drop=True)
    corpus["id"] = [f"{i}-{k}" for k, i in enumerate(corpus["id"])]
    path.parent.mkdir(parents=True, exist_ok=True)
    corpus.to_parquet(path, index=False)
    return path


def untrained_model_folder(path: Path) -> Path:
    import mlmap

    if (path / "mlmap.json").is_file():
        return path
    name = mlmap.resolve_model()
    model = mlmap.load_classifier(name)
    return mlmap.save_classifier(model, path, tokenizer=mlmap.load_tokenizer(name), label_names=["INCLUDE"],
                                 max_length=mlmap.BERT_MAX_LENGTH, thresholds={"f1": [0.5]},
                                 training={"note": "untrained head: for speed benchmarks only"})


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:  # a short-lived helper that ended between listing and reading
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--model", help="a model folder (default: the bundled model with an untrained head)")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--engine", default="auto", help="predict --engine: auto (default), openvino or pytorch")
    parser.add_argument("--ray", action="store_true", help="predict with Ray Data on a local cluster")
    parser.add_argument("--workers", type=int, default=2, help="with --ray: workers (default 2)")
    args = parser.parse_args()

    work = ROOT / ".cache" / "bench-corpus"
    corpus = make_corpus(args.docs, work / f"corpus-{args.docs}.parquet")
    model = Path(args.model) if args.model else untrained_model_folder(work / "model")
    output = work / "predicted.parquet"
    output.unlink(missing_ok=True)
    # chunks of an interrupted earlier run would be resumed, not predicted: measure a whole run
    shutil.rmtree(output.with_name(f".{output.name}.mlmap-chunks"), ignore_errors=True)

    command = [sys.executable, "-m", "mlmap", "predict", "--model", str(model), str(corpus), "-o", str(output),
               "--chunk-size", str(args.chunk_size), "--engine", args.engine]
    if args.ray:
        command += ["--workers", str(args.workers), "--ray"]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    process, samples = psutil.Process(child.pid), []
    while child.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            samples.append((time.perf_counter() - start, sum(_rss(p) for p in tree) / 2**20))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"predict failed with exit code {child.returncode}")
    times, rss = np.array([t for t, _ in samples]), np.array([m for _, m in samples])
    rows = len(pd.read_parquet(output, columns=["id"]))
    import mlmap

    print(f"{rows} documents in {elapsed:.0f} s (fresh process, loading included): {rows / elapsed:.1f} docs/s, "
          f"bf16={mlmap.bf16_supported()}, chunks of {args.chunk_size}, engine {args.engine}"
          + (f", Ray with {args.workers} workers" if args.ray else ", one process"))
    print(f"RSS: peak {rss.max():.0f} MiB; peak in the first 10% of the time {rss[times <= 0.1 * elapsed].max():.0f} MiB, "
          f"in the last 10% {rss[times >= 0.9 * elapsed].max():.0f} MiB")


if __name__ == "__main__":
    main()
