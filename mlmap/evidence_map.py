"""The map itself: instrument type x sector counts of included documents, and the book's demonstration corpus.

A systematic map counts the included studies per instrument type and sector. Counted from
predictions, a document is in the map when its P(relevant) reaches the screening threshold, and in
a cell when both of its codes reach theirs; the *expected* count of a cell sums
P(relevant) x P(instrument) x P(sector) instead, with no threshold at all.

No unlabelled corpus can be downloaded here, so ``python -m mlmap demo-corpus`` predicts the
labelled documents honestly: P(relevant) is the cross-validation's out-of-fold probability
(``results/cv``), the codes of a coded document are out-of-fold too, and the codes of every other
document come from code models trained on all coded documents, which never saw it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .caching import atomic_write_text
from .cv_results import full_runs
from .data import load_labels, make_text
from .fingerprints import check_fingerprint
from .paths import PROJECT_ROOT, RESULTS_DIR
from .recipe import SEED
from .runs import Store, current_commit, invocation
from .search_space import SEARCH_SPACES
from .targets import target_frame

DEFAULT_MAP_DIR = RESULTS_DIR / "map"
#: Where ``demo-corpus`` keeps the final code models it trains (not committed: 90 MB each).
FINAL_MODELS_DIR = PROJECT_ROOT / ".cache" / "final-models"
INSTRUMENTS, SECTORS = "4 -", "8 -"


def short_label(column: str) -> str:
    """``"4 - 1. Economic instruments"`` -> ``"Economic instruments"``."""
    return column.split(". ", 1)[-1]


def out_of_fold(cv_dir: str | os.PathLike, target: str, model: str = "minilm") -> pd.DataFrame:
    """``id``, then per label ``p_<label>`` and ``pred_<label>`` (at the threshold chosen inside that fold's training set)."""
    store = Store(cv_dir)
    units = [store.get("folds", f"{target}-fold{k}-{model}.json") for k in range(100)]
    units = [u for u in units if u is not None]
    if not units:
        raise FileNotFoundError(f"no {model} folds of {target} in {cv_dir}; run `python -m mlmap cv --target {target}`")
    names = ["INCLUDE"] if target == "include" else target_frame(load_labels(), target).attrs["label_names"]
    rows = []
    for unit in units:
        ids, thresholds = unit["ids"], np.asarray(unit["selected"]["thresholds"])
        proba = np.asarray(unit["proba"], dtype=np.float64).reshape(len(ids), -1)
        frame = pd.DataFrame({"id": ids})
        for j, name in enumerate(names):
            frame[f"p_{name}"] = proba[:, j]
            frame[f"pred_{name}"] = (proba[:, j] >= thresholds[j]).astype(int)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _final_code_model(target: str, folder: Path, model_name: str | None, seed: int, progress: bool | None,
                      df: pd.DataFrame | None = None):
    """The final model of ``target`` saved in ``folder`` if it was made from what would make it now, else trained there.

    A saved model made from other data, settings, encoder, precision or library versions is refused
    (:class:`~mlmap.fingerprints.FingerprintMismatch` names the field), not used.
    """
    from .final_models import target_fingerprint, train_target
    from .saved_models import ModelFolderError, load_saved_classifier

    try:
        model = load_saved_classifier(folder)
    except ModelFolderError:
        train_target(target, folder, model_name, seed, df=df, progress=progress)
        return load_saved_classifier(folder)
    check_fingerprint(model.info.get("training", {}).get("fingerprint"),
                      target_fingerprint(target, model_name, seed, df=df),
                      str(folder), f"remove {folder} to train it again")
    return model


def build_demo_corpus(out: str | os.PathLike = DEFAULT_MAP_DIR, cv_dir: str | os.PathLike = RESULTS_DIR / "cv",
                      models_dir: str | os.PathLike = FINAL_MODELS_DIR, model_name: str | None = None,
                      seed: int = SEED, progress: bool | None = None) -> pd.DataFrame:
    """Write ``predictions.csv`` (ids, probabilities and decisions; no texts) and ``run.json`` under ``out``.

    Trains the final instrument and sector models into ``models_dir`` unless they are there already.
    """
    started, commit = datetime.now(timezone.utc), current_commit()
    df = load_labels()
    predictions = out_of_fold(cv_dir, "include").set_index("id").reindex(df["id"])
    if predictions["p_INCLUDE"].isna().any():
        raise RuntimeError(f"{cv_dir} lacks out-of-fold INCLUDE probabilities for some documents: finish the cv run first")
    sources, models_info = {}, {}
    for target in ("instruments", "sectors"):
        codes = out_of_fold(cv_dir, target).set_index("id")
        rest = df[~df["id"].isin(codes.index)]
        model = _final_code_model(target, Path(models_dir) / target, model_name, seed, progress, df)
        print(f"{target}: {len(codes)} coded documents out-of-fold, {len(rest)} from the final model", file=sys.stderr)
        proba = model.predict_proba(make_text(rest).tolist(), progress=progress)
        thresholds = model.thresholds("f1")
        predicted = pd.DataFrame(index=rest["id"])
        for j, name in enumerate(model.label_names):
            predicted[f"p_{name}"] = proba[:, j]
            predicted[f"pred_{name}"] = (proba[:, j] >= thresholds[j]).astype(int)
        both = pd.concat([codes, predicted]).reindex(df["id"])
        predictions = predictions.join(both)
        sources[target] = np.where(df["id"].isin(codes.index), "out-of-fold", "final model")
        models_info[target] = {k: model.info["training"][k] for k in ("selection", "data", "seconds", "bf16", "commit")}
        models_info[target]["thresholds"] = model.info["thresholds"]
    predictions.insert(0, "codes_from", np.where(sources["instruments"] == sources["sectors"], sources["instruments"],
                                                 "instruments out-of-fold, sectors final model"))
    predictions = predictions.reset_index()
    for column in predictions.columns:
        if column.startswith("p_"):
            predictions[column] = predictions[column].round(4)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "predictions.csv", predictions.to_csv(index=False))
    cv_record = json.loads((Path(cv_dir) / "run.json").read_text()) if (Path(cv_dir) / "run.json").is_file() else {}
    # the folder's files are those of its last full run; earlier runs in its record were replaced
    cv_runs = full_runs(cv_record) if cv_record else []
    cv_commits = [part["commit"] for part in cv_runs[-1]] if cv_runs else []
    record = {**invocation("demo-corpus", "build_demo_corpus", started, commit),
              "cv_results": {"folder": str(Path(cv_dir).relative_to(PROJECT_ROOT)) if Path(cv_dir).is_relative_to(PROJECT_ROOT)
                             else str(cv_dir), "commits": cv_commits},
              "final_code_models": models_info,
              "search_spaces": {t: SEARCH_SPACES[t].as_record() for t in ("instruments", "sectors")}}
    atomic_write_text(out / "run.json", json.dumps(record, indent=1, default=str))
    return predictions


def code_columns(frame: pd.DataFrame, group: str, prefix: str = "") -> list[str]:
    """The columns of a label group (``"4 -"``, ``"8 -"``), optionally with a prefix (``"pred_"``, ``"p_"``)."""
    return [c for c in frame.columns if c.startswith(prefix + group)]


def map_counts(included: pd.Series | np.ndarray, instruments: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Instrument type x sector counts (or sums of probabilities) of the included documents.

    ``included`` is 0/1 (or P(relevant)) per document; ``instruments`` and ``sectors`` are 0/1 (or
    probabilities) per document and label. A cell adds ``included x instrument x sector`` over the
    documents: a count with 0/1 inputs, an expected count with probabilities. A document with two
    instrument types and one sector is in two cells.
    """
    inc = np.nan_to_num(np.asarray(included, dtype=np.float64))
    a, b = np.nan_to_num(instruments.to_numpy(dtype=np.float64)), np.nan_to_num(sectors.to_numpy(dtype=np.float64))
    counts = (a * inc[:, None]).T @ b
    return pd.DataFrame(counts, index=[short_label(c.removeprefix("p_").removeprefix("pred_")) for c in instruments.columns],
                        columns=[short_label(c.removeprefix("p_").removeprefix("pred_")) for c in sectors.columns])


def cell_examples(included: pd.Series, instruments: pd.DataFrame, sectors: pd.DataFrame, titles: pd.Series,
                  n: int = 3, width: int = 70) -> pd.DataFrame:
    """Up to ``n`` titles of documents in each cell (for hover text), shortened to ``width`` characters."""
    inc = np.asarray(included).astype(bool)
    out = pd.DataFrame("", index=[short_label(c.removeprefix("pred_")) for c in instruments.columns],
                       columns=[short_label(c.removeprefix("pred_")) for c in sectors.columns])
    for i, a in zip(out.index, instruments.columns):
        for s, b in zip(out.columns, sectors.columns):
            hit = inc & (instruments[a].to_numpy() == 1) & (sectors[b].to_numpy() == 1)
            picked = [t if len(t) <= width else t[: width - 1] + "…" for t in titles[hit].astype(str).head(n)]
            out.loc[i, s] = "<br>".join(picked)
    return out


def heatmap(counts: pd.DataFrame, examples: pd.DataFrame | None = None, title: str = "", fmt: str = "d") -> Any:
    """An interactive plotly heatmap of map counts; hovering a cell shows its count and example titles."""
    import plotly.graph_objects as go

    text = counts.map(lambda v: f"{v:{fmt}}" if fmt != "d" else f"{int(round(v))}")
    custom = examples.to_numpy() if examples is not None else np.full(counts.shape, "")
    figure = go.Figure(go.Heatmap(
        z=counts.to_numpy(), x=list(counts.columns), y=list(counts.index), text=text.to_numpy(), texttemplate="%{text}",
        customdata=custom, colorscale="Blues", colorbar={"title": "documents"},
        hovertemplate="<b>%{y}</b> x <b>%{x}</b><br>%{text} documents<br>%{customdata}<extra></extra>"))
    figure.update_layout(title=title, height=430, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                         yaxis={"autorange": "reversed"}, xaxis={"side": "bottom"})
    return figure

