"""The committed screening simulations (``python -m mlmap simulate``): variants, seed sets, runs and their summary.

Three variants of the screening data: ``full`` (all 1,500 documents, 36% relevant),
``low_prevalence`` (every irrelevant document and 50 relevant ones drawn once, about 5% relevant,
closer to a real search) and ``low2`` (every irrelevant document and 20 relevant ones, about 2%;
10 seed sets, as one seed set's luck weighs more with so few relevant documents). Each model screens each variant from the same seed sets. Every run is a
JSON file under ``runs/`` holding the screening order by document ``id`` (no texts), saved after
every round; ``summary.csv`` is recomputed from them. ASReview's runs (``scripts/asreview/simulate.py``,
in its own environment) are written in the same form and summarised with the others.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from .. import fingerprints
from ..caching import atomic_write_text
from ..data import load_labels
from ..hardware import check_same_precision, use_bf16
from ..paths import RESULTS_DIR
from ..progress import show_progress
from ..recipe import SEED
from ..runs import Store, current_commit, invocation, recorded_if_interrupted
from .metrics import documents_for_recall, wss
from .loop import RANKER_MODELS, RankerSettings, features_for, simulate_order
from .simulation import LOOP_SETTINGS, FineTunedRanker, LoopSettings, simulate_screening, tfidf_ranker
from .stopping import recall_at, stopping_point
# the variants are also read as simulation_runs.<name> (the chapters, scripts/screening)
from .variants import DEFAULT_VARIANTS, SEED_SET_COUNTS, VARIANTS, corpus_half, seed_sets, variant_frame

DEFAULT_SIMULATION_DIR = RESULTS_DIR / "screening"
#: The loop that fine-tunes MiniLM from the pretrained weights every round. The name says the settings
#: (:data:`~mlmap.simulation.LOOP_SETTINGS`: learning rate 1e-4, 2 epochs) that made the committed runs,
#: called ``minilm`` before 2026-12-02: other fine-tuning settings need another name.
FINE_TUNED_MODEL = "minilm_finetuned_lr1e4_2ep"
#: Models run by ``python -m mlmap simulate``; ASReview's default model is run by its own script. The
#: fixed-feature rankers (``mlmap.screening.loop.RANKER_MODELS``: the frozen design and its ablations)
#: retrain after every document and are fast, so they are not resumed mid-run.
MODELS = (FINE_TUNED_MODEL, "tfidf", *RANKER_MODELS)
ASREVIEW_MODEL = "asreview_elas_u4"
SUMMARY_COLUMNS = ["variant", "model", "seed_set", "wss95", "docs_for_95_recall", "stop_at", "recall_at_stop"]
#: Beside ``summary.csv``: a hash of every run file its rows were computed from.
SUMMARY_SOURCES = "summary_sources.json"


def run_name(variant: str, model: str, k: int) -> str:
    return f"{variant}-{model}-seed{k}.json"


def write_design(store: Store, frames: dict[str, pd.DataFrame], sets: dict[str, list[np.ndarray]]) -> None:
    """``variants.csv`` (variant, id) and ``seed_sets.csv`` (variant, seed_set, id): what every model, ASReview's too, starts from."""
    atomic_write_text(store.path("variants.csv"), pd.concat(
        [pd.DataFrame({"variant": v, "id": f["id"]}) for v, f in frames.items()]).to_csv(index=False))
    rows = [pd.DataFrame({"variant": v, "seed_set": k, "id": frames[v]["id"].to_numpy()[positions]})
            for v, positions_list in sets.items() for k, positions in enumerate(positions_list)]
    atomic_write_text(store.path("seed_sets.csv"), pd.concat(rows).to_csv(index=False))


def summarise_order(labels_in_order: np.ndarray) -> dict[str, Any]:
    """WSS@95, documents needed for 95% recall, where the stopping rule fired and the recall there."""
    labels = np.asarray(labels_in_order).astype(int)
    scores = -np.arange(len(labels))  # already in screening order
    stop = stopping_point(labels, len(labels), recall_target=0.95, confidence=0.95)
    return {"wss95": round(wss(labels, scores, 0.95), 6), "docs_for_95_recall": documents_for_recall(labels, scores, 0.95),
            "stop_at": stop, "recall_at_stop": round(recall_at(labels, stop), 6)}


def load_orders(out: str | os.PathLike, df: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """Every finished run under ``out``: variant, model, seed_set and the labels in screening order."""
    store, rows = Store(out), []
    frames = {v: variant_frame(df, v, seed).set_index("id") for v in VARIANTS}
    for path in sorted(store.path("runs").glob("*.json")):
        run = store.get("runs", path.name)
        if not run.get("complete"):
            continue
        frame = frames[run["variant"]]
        if sorted(run["ids"]) != sorted(frame.index):
            raise RuntimeError(f"{path} does not screen exactly the documents of variant {run['variant']}")
        rows.append({"variant": run["variant"], "model": run["model"], "seed_set": run["seed_set"],
                     "labels": frame.loc[run["ids"], "label"].to_numpy()})
    return pd.DataFrame(rows, columns=["variant", "model", "seed_set", "labels"])


def write_summary(out: str | os.PathLike, df: pd.DataFrame, seed: int = SEED, reuse: bool = False) -> pd.DataFrame:
    """``summary.csv``: one row per finished (variant, model, seed set), recomputed from the saved orders.

    ``reuse`` keeps the rows of runs whose file has the content it had when its row was computed
    (``summary_sources.json`` records a hash of each) and computes only the others: the stopping
    rule costs seconds per run (a p-value for every prefix of the order).
    """
    orders, store = load_orders(out, df, seed), Store(out)
    summary_path = store.path("summary.csv")
    kept: dict[tuple[str, str, int], dict[str, Any]] = {}
    sources = {path.name: fingerprints.file_digest(path) for path in sorted(store.path("runs").glob("*.json"))}
    recorded = store.get(SUMMARY_SOURCES) or {}
    if reuse and summary_path.is_file():
        for row in pd.read_csv(summary_path).to_dict("records"):
            key = (row["variant"], row["model"], int(row["seed_set"]))
            name = run_name(*key)
            if name in sources and recorded.get(name) == sources[name]:
                kept[key] = row
    rows = []
    for _, row in orders.iterrows():
        key = (row["variant"], row["model"], int(row["seed_set"]))
        rows.append(kept.get(key) or {**dict(zip(("variant", "model", "seed_set"), key)), **summarise_order(row["labels"])})
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    table["stop_at"] = table["stop_at"].astype("Int64")
    table = table.sort_values(["variant", "model", "seed_set"]).reset_index(drop=True)
    atomic_write_text(Store(out).path("summary.csv"), table.to_csv(index=False))
    store.put({run_name(*key): sources[run_name(*key)]
               for key in zip(table["variant"], table["model"], table["seed_set"].astype(int))}, SUMMARY_SOURCES)
    return table


def simulation_fingerprint(model: str, model_name: str | None, settings: LoopSettings, df: pd.DataFrame,
                           seed: int) -> dict[str, Any]:
    """What a simulated run depends on: the ranker's design (a fixed-feature ranker's :class:`RankerSettings`, or
    the fine-tuning loop's :class:`LoopSettings`), the encoder's files, the labelled data, seed, precision, versions."""
    from ..models import resolve_model

    design = asdict(RANKER_MODELS[model]) if model in RANKER_MODELS else {}
    encoder = None if model == "tfidf" else resolve_model(model_name)
    return fingerprints.run_fingerprint(encoder, ranker_name=model, ranker=design, loop=asdict(settings),
                                        data=fingerprints.frame_digest(df), seed=seed)


def run_simulations(
    variants: Iterable[str] = DEFAULT_VARIANTS,
    models: Iterable[str] = MODELS,
    n_seed_sets: int | None = None,
    out: str | os.PathLike = DEFAULT_SIMULATION_DIR,
    seed: int = SEED,
    model_name: str | None = None,
    settings: LoopSettings = LOOP_SETTINGS,
    df: pd.DataFrame | None = None,
    progress: bool | None = None,
    summarise: bool = True,
    half: str | None = None,
) -> pd.DataFrame | None:
    """Run (or resume) every (variant, model, seed set) not finished under ``out``; returns ``summary.csv``.

    ``progress=None`` shows a bar on a terminal and a line per round elsewhere; ``False`` is silent.
    ``n_seed_sets=None`` runs each variant's :data:`SEED_SET_COUNTS` seed sets. The invocation is
    recorded in ``run.json`` before the summary, which ``summarise=False`` leaves to a later
    ``write_summary`` (one summary after several invocations instead of one each). ``half`` (``a`` or
    ``b``) simulates on one stratified half of the documents only (:func:`corpus_half`).
    """
    variants, models = list(variants), list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)} "
                         f"({ASREVIEW_MODEL} runs with scripts/asreview/simulate.py)")
    df = load_labels() if df is None else df
    if half is not None:
        df = corpus_half(df, half, seed)
    store = Store(out)
    frames = {v: variant_frame(df, v, seed) for v in VARIANTS}
    sets = {v: seed_sets(frames[v], max(SEED_SET_COUNTS[v], n_seed_sets or 0), seed, settings) for v in VARIANTS}
    write_design(store, frames, sets)
    rankers = {"tfidf": tfidf_ranker}
    features: dict[tuple[str, RankerSettings], Any] = {}
    if FINE_TUNED_MODEL in models:
        rankers[FINE_TUNED_MODEL] = FineTunedRanker(model_name, settings)
    show = show_progress(progress)
    started, commit = datetime.now(timezone.utc), current_commit()
    made_by_models = {m: simulation_fingerprint(m, model_name, settings, df, seed) for m in models}
    jobs = [(v, m, k) for v in variants for m in models for k in range(n_seed_sets or SEED_SET_COUNTS[v])]
    def record(interrupted: bool = False) -> None:
        runs = store.get("run.json") or {"runs": []}
        runs["runs"].append({**invocation("simulate", "run_simulations", started, commit, interrupted),
                             "variants": variants, "models": models, "half": half, "documents": len(df), "seed_sets": {v: n_seed_sets or SEED_SET_COUNTS[v] for v in variants}, "seed": seed,
                             "settings": asdict(settings),
                             **({"rankers": {m: asdict(RANKER_MODELS[m]) for m in models if m in RANKER_MODELS}}
                                if any(m in RANKER_MODELS for m in models) else {})})
        atomic_write_text(store.path("run.json"), json.dumps(runs, indent=1))

    with tqdm(total=len(jobs), disable=not show, unit="run", desc="simulate", smoothing=0) as bar, \
            recorded_if_interrupted(record):
        for variant, model, k in jobs:
            name, frame = run_name(variant, model, k), frames[variant]
            saved = store.get("runs", name)
            made_by = made_by_models[model]
            if saved is not None:
                fingerprints.check_fingerprint(saved.get("fingerprint"), made_by, str(store.path("runs", name)),
                                               "remove it or use another --out folder")
            if saved is not None and saved.get("complete"):
                bar.update(1)
                continue
            ids = frame["id"].tolist()
            if model in RANKER_MODELS:
                ranker = RANKER_MODELS[model]
                key = (variant, ranker.feature_key())
                if key not in features:  # once per corpus and feature design, shared by the ablations
                    features[key] = features_for(frame["text"].tolist(), ranker, model_name)
                stats: dict[str, Any] = {}
                order = simulate_order(features[key], frame["label"].to_numpy(), sets[variant][k], ranker,
                                       seed=seed + 1000 * k, stats=stats)
                store.put({"variant": variant, "model": model, "seed_set": k, "complete": True, "fingerprint": made_by,
                           "ids": [ids[i] for i in order], "rounds": [], "fits": stats["fits"],
                           "seconds": stats["seconds"]}, "runs", name)
                bar.update(1)
                continue
            position = {doc: i for i, doc in enumerate(ids)}
            state = None if saved is None else {"order": [position[i] for i in saved["ids"]], "rounds": saved["rounds"],
                                                "ranking": [position[i] for i in saved["ranking"]]}
            if saved is not None and model == FINE_TUNED_MODEL:
                check_same_precision(saved, str(store.path("runs", name)))
            if state is not None and state["order"][: len(sets[variant][k])] != sets[variant][k].tolist():
                raise RuntimeError(f"{store.path('runs', name)} started from another seed set; remove it or use another --out")
            spent = 0.0 if saved is None else saved["seconds"]
            start = time.perf_counter()

            rounds = [] if state is None else state["rounds"]

            def save(s: dict[str, Any], complete: bool = False) -> None:
                rounds[:] = s["rounds"]
                unit = {"variant": variant, "model": model, "seed_set": k, "complete": complete, "fingerprint": made_by,
                        **({"bf16": use_bf16()} if model == FINE_TUNED_MODEL else {}),
                        "ids": [ids[i] for i in s["order"]], "rounds": s["rounds"],
                        "seconds": round(spent + time.perf_counter() - start, 1)}
                if not complete:
                    unit["ranking"] = [ids[i] for i in s["ranking"]]
                store.put(unit, "runs", name)

            def report(screened: int, total: int) -> None:
                message = f"{variant} {model} seed set {k}: {screened}/{total} screened"
                if show:
                    bar.set_postfix_str(message)
                elif progress is None:
                    print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)

            order = simulate_screening(frame["text"].tolist(), frame["label"].to_numpy(), sets[variant][k], rankers[model],
                                       settings, seed=seed + 1000 * k, state=state, save=save, on_round=report)
            save({"order": order.tolist(), "rounds": list(rounds)}, complete=True)
            bar.update(1)
    record()
    return write_summary(out, df, seed, reuse=True) if summarise else None  # df is the half already
