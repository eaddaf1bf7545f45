"""The map's labels as products, cross-fitted counts and the prior-shift coverage test (mlmap.map_counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmap.map_counts import coverage_summary, cross_fitted_counts, label_names, map_labels, shifted_draws


def test_map_labels_multiply_parts_and_know_which_truths_are_missing():
    predictions = pd.DataFrame({"p_INCLUDE": [0.9, 0.2], "pred_INCLUDE": [1, 0], "p_4 - 1. A": [0.5, 0.8],
                                "pred_4 - 1. A": [1, 1], "p_8 - 01. S": [0.4, 0.1], "pred_8 - 01. S": [0, 0]})
    labels = pd.DataFrame({"INCLUDE": [1, 0], "4 - 1. A": [1, np.nan], "8 - 01. S": [np.nan, 1]})
    frame = map_labels(predictions, labels, ["4 - 1. A"], ["8 - 01. S"])
    assert label_names(frame) == ["INCLUDE", "code: A", "code: S", "included & A", "included & S", "included & A & S"]
    assert frame["p_included & A & S"].tolist() == pytest.approx([0.9 * 0.5 * 0.4, 0.2 * 0.8 * 0.1])
    assert frame["pred_included & A"].tolist() == [1, 0]
    # an excluded document is in no cell whatever its codes; an included one without a code is unknown
    assert frame["included & A"].tolist() == [1, 0]
    assert np.isnan(frame["included & A & S"].iloc[0]) and frame["included & A & S"].iloc[1] == 0
    assert np.isnan(frame["code: A"].iloc[1]) and frame["code: A"].iloc[0] == 1


def calibrated_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.beta(1.2, 2.8, n)
    y = (rng.random(n) < p).astype(float)
    return pd.DataFrame({"p_x": p, "pred_x": (p >= 0.35).astype(float), "x": y})


def test_cross_fitted_counts_cover_the_true_count():
    covered = 0
    for seed in range(20):
        table = cross_fitted_counts(calibrated_frame(600, seed), ["x"], ["PACC"], n_boot=200, seed=seed)
        row = table.iloc[0]
        covered += row["low_90"] <= row["true"] <= row["high_90"]
    assert covered >= 15


def test_shifted_draws_shift_the_prevalence_and_keep_the_truth():
    frame = calibrated_frame(800, 0)
    draws = shifted_draws(frame, ["x"], n_draws=10, n_boot=50, factors=(0.5, 2.0), methods=["CC", "PACC"])
    natural = frame["x"].mean()
    per_draw = draws.drop_duplicates("draw")
    assert per_draw["prevalence"].round(3).tolist() == pytest.approx([round(natural * f, 3) for f in (0.5, 2.0)] * 5,
                                                                      abs=1e-3)
    assert (per_draw["true"] == (per_draw["prevalence"] * per_draw["documents"]).round()).all()
    assert per_draw["documents"].eq(400).all()


def test_coverage_summary_counts_by_hand():
    draws = pd.DataFrame({"label": ["x"] * 4, "draw": [0, 0, 1, 1], "method": ["CC", "PACC"] * 2,
                          "true": [10, 10, 20, 20], "estimate": [14, 11, 15, 21],
                          "low_90": [12, 9, 16, 18], "high_90": [16, 12, 18, 22],
                          "low_95": [11, 8, 14, 17], "high_95": [17, 13, 21, 23]})
    summary = coverage_summary(draws).set_index("method")
    assert summary.loc["CC", "coverage_90"] == 0 and summary.loc["CC", "coverage_95"] == 0.5
    assert summary.loc["PACC", "coverage_90"] == 1
    assert summary.loc["CC", "mae"] == 4.5 and summary.loc["PACC", "mae"] == 1
    assert summary.loc["PACC", "mae_vs_cc"] == pytest.approx(1 / 4.5)


def test_a_label_too_rare_to_split_is_refused_by_name():
    frame = calibrated_frame(200, 1)
    frame.loc[frame.index[5:], "x"] = 0.0
    with pytest.raises(ValueError, match="label 'x' has [0-5] positive documents"):
        shifted_draws(frame, ["x"], n_draws=2, n_boot=10)


def test_a_label_a_half_cannot_calibrate_gets_no_estimate_and_a_note():
    frame = calibrated_frame(100, 2)
    frame["x"] = 0.0
    frame.loc[frame.index[0], "x"] = 1.0  # one positive: one half has none
    table = cross_fitted_counts(frame, ["x"], ["EMQ"], n_boot=20)
    assert table["estimate"].isna().all() and table["note"].str.contains("too few").all()
