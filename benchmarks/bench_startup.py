"""How long a command takes before it does anything: ``mlmap --help`` against importing the whole stack.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 5]

Each line runs in a fresh process, as a user runs it, ``--repeats`` times, and reports the median
wall time and the time Python's import timer (``-X importtime``) counts for all its imports. Side by side in one run: ``mlmap --help`` (lists the commands, imports no command),
``mlmap train --help``, ``predict --help`` and ``screen --help`` (build one command's options), ``import mlmap`` and ``import mlmap`` then
one name that needs the training stack (torch, transformers, datasets, scikit-learn): what every
command paid at start-up when ``mlmap/__init__.py`` imported every module.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

CASES = {
    "mlmap --help": ["-m", "mlmap", "--help"],
    "mlmap train --help": ["-m", "mlmap", "train", "--help"],
    "mlmap predict --help": ["-m", "mlmap", "predict", "--help"],
    "mlmap screen --help": ["-m", "mlmap", "screen", "--help"],
    "import mlmap": ["-c", "import mlmap"],
    "import mlmap; mlmap.fine_tune (the whole stack)": ["-c", "import mlmap; mlmap.fine_tune"],
}


def imported_microseconds(stderr: str) -> int:
    """All the process's imports: the cumulative times of the top-level lines of ``-X importtime``, in µs."""
    rows = [line.split("|") for line in stderr.splitlines() if line.startswith("import time:") and "|" in line]
    return sum(int(cumulative) for _, cumulative, name in rows[1:] if not name.startswith("  ") and name.strip())


def measure(args: list[str], repeats: int) -> tuple[float, float]:
    walls, imports = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        imports.append(imported_microseconds(done.stderr) / 1e6)
    return statistics.median(walls), statistics.median(imports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"median of {args.repeats} fresh processes")
    results = {name: measure(case, args.repeats) for name, case in CASES.items()}
    whole = results["import mlmap; mlmap.fine_tune (the whole stack)"][0]
    for name, (wall, imported) in results.items():
        print(f"{name:48s} {wall:6.2f} s wall, imports {imported:6.2f} s, {whole / wall:6.1f}x faster than the "
              "whole stack")


if __name__ == "__main__":
    main()
