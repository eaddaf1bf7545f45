"""ASReview's default model (elas_u4: TF-IDF + SVM, max querier, balanced) on the same variants and seed sets.

    .venv-asreview/bin/python scripts/asreview/simulate.py [--out results/screening] [--data data/labels.feather]

Runs in ASReview's own environment (scripts/asreview/requirements.txt; `make asreview-sim` builds it
and then summarises with the book's environment). It reads the documents of each variant and the
seed sets that `python -m mlmap simulate` wrote (variants.csv, seed_sets.csv), runs
`asreview simulate` with the seed set as its prior records, and writes the screening order by `id` to
runs/<variant>-asreview_elas_u4-seed<k>.json, the same form as the book's own runs. ASReview stops
once every relevant record is found; the rest are all irrelevant, so they are appended in data order
(no measure depends on their order). A finished run is not run again.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

MODEL = "asreview_elas_u4"
ROOT = Path(__file__).resolve().parents[2]


def screening_order(project: Path) -> list[int]:
    """Dataset rows in the order ASReview labelled them (prior records first)."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(project) as archive:
            archive.extract("results.db", tmp)
        with sqlite3.connect(Path(tmp) / "results.db") as db:
            rows = db.execute("SELECT record.dataset_row FROM results JOIN record USING (record_id) "
                              "ORDER BY results.rowid").fetchall()
    return [int(r[0]) for r in rows]


def run_one(docs: pd.DataFrame, prior: list[int], seed: int, asreview: str) -> tuple[list[int], str]:
    """The labelling order of one simulation, and its command (with the data file's name)."""
    options = ["--ai", "elas_u4", "--seed", str(seed), "--prior-idx", *map(str, prior)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.csv"
        docs[["title", "abstract", "included"]].to_csv(data, index=False)
        project = Path(tmp) / "simulation.asreview"
        subprocess.run([asreview, "simulate", str(data), *options, "-o", str(project)], check=True, capture_output=True,
                       text=True, cwd=tmp)  # ASReview leaves a cache file in its working directory
        return screening_order(project), " ".join(["asreview simulate records.csv", *options])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "results" / "screening"))
    parser.add_argument("--data", default=os.environ.get("MLMAP_DATA_PATH", str(ROOT / "data" / "labels.feather")))
    args = parser.parse_args()
    out = Path(args.out)
    if not (out / "seed_sets.csv").is_file():
        sys.exit(f"error: {out}/seed_sets.csv is missing; run `python -m mlmap simulate --models tfidf` first")
    import asreview

    labels = pd.read_feather(args.data).set_index("id")
    variants, sets = pd.read_csv(out / "variants.csv"), pd.read_csv(out / "seed_sets.csv")
    asreview_bin = str(Path(sys.executable).with_name("asreview"))
    for (variant, k), seed_rows in sets.groupby(["variant", "seed_set"]):
        path = out / "runs" / f"{variant}-{MODEL}-seed{k}.json"
        if path.is_file() and json.loads(path.read_text()).get("complete"):
            continue
        ids = variants.loc[variants["variant"] == variant, "id"].tolist()
        docs = labels.loc[ids, ["title", "abstract", "INCLUDE"]].rename(columns={"INCLUDE": "included"})
        docs = docs.fillna({"title": "", "abstract": ""}).astype({"included": int})
        position = {doc: i for i, doc in enumerate(ids)}
        prior = [position[i] for i in seed_rows["id"]]
        start = time.perf_counter()
        order, command = run_one(docs, prior, seed=42 + 1000 * int(k), asreview=asreview_bin)
        if sorted(order[: len(prior)]) != sorted(prior):
            raise RuntimeError(f"ASReview did not start from the seed set in {variant} seed set {k}")
        seen = set(order)
        order += [i for i in range(len(ids)) if i not in seen]
        unit = {"variant": variant, "model": MODEL, "seed_set": int(k), "complete": True,
                "ids": [ids[i] for i in order], "seconds": round(time.perf_counter() - start, 1),
                "asreview": asreview.__version__, "command": command}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(unit, indent=1))
        tmp.replace(path)
        print(f"{variant} seed set {k}: {len(order)} records, {unit['seconds']} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
