"""The map's counts, expected counts, hover examples and the out-of-fold predictions it is drawn from."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlmap import evidence_map
from mlmap.cv_results import full_runs
from mlmap.runs import Store


def test_map_counts_count_documents_in_both_codes_of_a_cell():
    included = pd.Series([1, 1, 0, 1])
    instruments = pd.DataFrame({"4 - 1. Tax": [1, 1, 1, 0], "4 - 2. Ban": [0, 1, 1, 1]})
    sectors = pd.DataFrame({"8 - 01. Energy": [1, 0, 1, 1], "8 - 02. Transport": [0, 1, 1, 0]})
    counts = evidence_map.map_counts(included, instruments, sectors)
    assert list(counts.index) == ["Tax", "Ban"] and list(counts.columns) == ["Energy", "Transport"]
    # document 2 is excluded; document 1 (two instruments, one sector) is in two cells
    assert counts.to_numpy().tolist() == [[1, 1], [1, 1]]


def test_expected_counts_sum_the_probability_products():
    rng = np.random.default_rng(0)
    p_inc = rng.uniform(size=50)
    a = pd.DataFrame(rng.uniform(size=(50, 2)), columns=["p_4 - 1. A", "p_4 - 2. B"])
    b = pd.DataFrame(rng.uniform(size=(50, 3)), columns=["p_8 - 01. X", "p_8 - 02. Y", "p_8 - 03. Z"])
    expected = evidence_map.map_counts(p_inc, a, b)
    assert expected.loc["B", "Z"] == pytest.approx(float(np.sum(p_inc * a.iloc[:, 1] * b.iloc[:, 2])))
    # with 0/1 inputs the same function counts, and a probability of a missing code (NaN) adds nothing
    a.iloc[0, 0] = np.nan
    assert np.isfinite(evidence_map.map_counts(p_inc, a, b).to_numpy()).all()


def test_cell_examples_and_heatmap_hover():
    included = pd.Series([1, 1, 0])
    instruments = pd.DataFrame({"pred_4 - 1. Tax": [1, 1, 1]})
    sectors = pd.DataFrame({"pred_8 - 01. Energy": [1, 1, 1]})
    titles = pd.Series(["A carbon tax", "x" * 100, "Excluded"])
    examples = evidence_map.cell_examples(included, instruments, sectors, titles, n=3, width=20)
    assert examples.loc["Tax", "Energy"] == "A carbon tax<br>" + "x" * 19 + "…"
    figure = evidence_map.heatmap(evidence_map.map_counts(included, instruments, sectors), examples)
    trace = figure.data[0]
    assert trace.z.tolist() == [[2.0]] and "customdata" in trace.hovertemplate
    assert trace.customdata.tolist() == [[examples.loc["Tax", "Energy"]]]


def test_out_of_fold_decides_with_each_folds_own_thresholds(tmp_path):
    store = Store(tmp_path)
    store.put({"ids": ["a", "b"], "proba": [0.3, 0.6], "selected": {"thresholds": [0.5]}}, "folds", "include-fold0-minilm.json")
    store.put({"ids": ["c", "d"], "proba": [0.3, 0.6], "selected": {"thresholds": [0.2]}}, "folds", "include-fold1-minilm.json")
    frame = evidence_map.out_of_fold(tmp_path, "include")
    assert frame["id"].tolist() == ["a", "b", "c", "d"]
    assert frame["pred_INCLUDE"].tolist() == [0, 1, 1, 1]
    with pytest.raises(FileNotFoundError, match="python -m mlmap cv --target sectors"):
        evidence_map.out_of_fold(tmp_path, "sectors")


@pytest.mark.integration
def test_committed_map_predictions_match_the_cv_results():
    """results/map's out-of-fold columns are those of results/cv, and no document lacks a prediction."""
    from mlmap.paths import RESULTS_DIR

    pred = pd.read_csv(RESULTS_DIR / "map" / "predictions.csv")
    assert pred["id"].is_unique and len(pred) == 1500 and not pred.isna().any().any()
    include = evidence_map.out_of_fold(RESULTS_DIR / "cv", "include").set_index("id")
    merged = pred.set_index("id").join(include, suffixes=("", "_cv"))
    np.testing.assert_allclose(merged["p_INCLUDE"], merged["p_INCLUDE_cv"], atol=1e-4)
    assert (merged["pred_INCLUDE"] == merged["pred_INCLUDE_cv"]).all()
    run = json.loads((RESULTS_DIR / "map" / "run.json").read_text())
    assert {"command", "commit", "machine", "wall_seconds", "final_code_models"} <= set(run)
    cv_record = json.loads((RESULTS_DIR / "cv" / "run.json").read_text())
    last_run = [part["commit"] for part in full_runs(cv_record)[-1]]
    assert run["cv_results"]["commits"] == last_run, "results/map was made from another cv run: rerun demo-corpus"
