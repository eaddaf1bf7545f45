"""Learning curves (mlmap.learning_curves): the fit, its interval, the backtest, and curves on data built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmap.learning_curves import (
    DOUBLING_GAIN, backtest, fit_power_law, learning_curve, power_law, predict_with_interval, subset_sizes)


def curve_points(a=0.8, b=1.5, c=0.5, noise=0.0, resamples=5, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = subset_sizes(1000, 40, 8)
    return pd.DataFrame([{"size": n, "resample": r, "f1": power_law(np.array([n]), a, b, c)[0] + rng.normal(0, noise)}
                         for n in sizes for r in range(resamples)])


def test_the_fit_recovers_a_known_curve():
    points = curve_points()
    a, b, c = fit_power_law(points["size"], points["f1"])
    assert (a, b, c) == pytest.approx((0.8, 1.5, 0.5), rel=1e-3)


def test_the_backtest_of_an_exact_power_law_has_no_error_and_sees_a_wrong_one():
    assert abs(backtest(curve_points())["error"]) < 1e-3
    # a curve that jumps after the fitted sizes: the backtest reports the miss
    points = curve_points()
    points.loc[points["size"] == points["size"].max(), "f1"] += 0.1
    assert backtest(points)["error"] == pytest.approx(-0.1, abs=1e-3)


def test_the_interval_covers_the_true_value_of_a_noisy_curve():
    covered = 0
    for seed in range(20):
        fit = predict_with_interval(curve_points(noise=0.02, seed=seed), 2000, n_boot=100, seed=seed)
        covered += fit["low"] <= power_law(np.array([2000.0]), 0.8, 1.5, 0.5)[0] <= fit["high"]
    assert covered >= 15


def test_documents_needed_is_where_doubling_adds_the_stated_gain():
    fit = predict_with_interval(curve_points(), 2000, n_boot=10)
    n = fit["documents_needed"]
    gain = power_law(np.array([2 * n]), 0.8, 1.5, 0.5)[0] - power_law(np.array([n]), 0.8, 1.5, 0.5)[0]
    assert gain == pytest.approx(DOUBLING_GAIN, rel=1e-3)


def test_a_learning_curve_rises_and_leaves_unlearnable_labels_blank():
    rng = np.random.default_rng(0)
    n = 400
    y = np.c_[rng.random(n) < 0.4, np.zeros(n, bool)].astype(int)
    y[:4, 1] = 1  # 4 positives: never 3 in a small subset of the pool
    x = rng.normal(0, 1, (n, 5)) + y[:, :1] * 0.8
    test = np.arange(n) % 4 == 0
    table = learning_curve(lambda tr, te: (x[tr], x[te]), y, test, [20, 60, 290], resamples=3)
    first = table[table["label"] == 0].groupby("size")["f1"].mean()
    assert first.loc[290] > first.loc[20]
    assert table[(table["label"] == 1) & (table["size"] == 20)]["f1"].isna().all()
    assert set(table["positives"][table["label"] == 0]) <= set(range(0, 291))


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="at least 40"):
        subset_sizes(30)
    with pytest.raises(ValueError, match="3 or more sizes"):
        fit_power_law([50, 50, 100], [0.5, 0.6, np.nan])
    y = np.zeros(100, int)
    y[:50] = 1
    with pytest.raises(ValueError, match="outside the test set"):
        learning_curve(lambda tr, te: (None, None), y, np.arange(100) < 50, [60])


def test_a_label_with_few_positives_is_refused_before_any_work():
    from mlmap.learning_curve_runs import curves_for_frame

    frame = pd.DataFrame({"text": ["a b"] * 100, "labels": [1] * 5 + [0] * 95})
    with pytest.raises(ValueError, match="'rare' has 5 positive documents"):
        curves_for_frame(frame, ["rare"], ["tfidf"], progress=False)
