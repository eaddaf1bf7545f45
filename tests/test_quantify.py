"""Counts with intervals (mlmap.quantify): QuaPy's definitions, honest intervals, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from mlmap.quantify import QuantificationError, count_intervals, count_labels, prevalence_replicates


class GivenProbabilities(BaseEstimator, ClassifierMixin):
    """A 'classifier' whose P(positive) is the first feature: lets QuaPy aggregate precomputed probabilities."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.asarray(X)[:, 0]
        return np.c_[1 - p, p]

    def predict(self, X):
        return (np.asarray(X)[:, 0] >= 0.5).astype(int)


def scored(n: int, prevalence: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels at a prevalence, with probabilities calibrated at prevalence 0.3 (prior shift: P(score | label) is fixed).

    Scores come from a large population where P(label | score) = score (score ~ Beta(1.2, 2.8)); the
    documents of each label are then drawn from it in the proportions asked for.
    """
    population = rng.beta(1.2, 2.8, 40 * n)
    labels = rng.random(population.size) < population
    positives = rng.choice(population[labels], int(round(prevalence * n)))
    negatives = rng.choice(population[~labels], n - positives.size)
    return np.r_[np.ones(positives.size, int), np.zeros(negatives.size, int)], np.r_[positives, negatives]


@pytest.mark.parametrize("name", ["CC", "PCC", "ACC", "PACC", "EMQ"])
def test_point_estimates_are_quapys(name):
    quapy = pytest.importorskip("quapy")
    from quapy.method import aggregative

    rng = np.random.default_rng(1)
    y_cal, p_cal = scored(400, 0.3, rng)
    _, p = scored(300, 0.6, rng)
    ours = prevalence_replicates(p_cal, y_cal, p, 0.5, [name], n_boot=0)[name][0]
    classifier = GivenProbabilities().fit(None, None)
    kwargs = {} if name in ("CC", "PCC") else {"val_split": None}
    method = getattr(aggregative, name)(classifier, fit_classifier=False, **kwargs)
    method.fit(p_cal[:, None], y_cal)
    theirs = method.predict(p[:, None])[1]
    assert ours == pytest.approx(theirs, abs=2e-3), quapy.__version__



def test_emq_platt_is_quapys_emq_on_probabilities_platt_recalibrated_by_a_general_optimiser():
    quapy = pytest.importorskip("quapy")
    from quapy.method import aggregative
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    y_cal, p_cal = scored(400, 0.3, rng)
    _, p = scored(300, 0.6, rng)
    # overconfident probabilities: Platt scaling has something to undo
    p_cal, p = (1 / (1 + ((1 - x) / x) ** 2.5) for x in (p_cal, p))
    logit = lambda x: np.log(x / (1 - x))  # noqa: E731
    n_pos = y_cal.sum()
    target = np.where(y_cal == 1, (n_pos + 1) / (n_pos + 2), 1 / (y_cal.size - n_pos + 2))

    def loss(theta):
        q = 1 / (1 + np.exp(-(theta[0] + theta[1] * logit(p_cal))))
        return -np.sum(target * np.log(q) + (1 - target) * np.log(1 - q))

    a, b = minimize(loss, [0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}).x
    recalibrate = lambda x: 1 / (1 + np.exp(-(a + b * logit(x))))  # noqa: E731
    method = aggregative.EMQ(GivenProbabilities().fit(None, None), fit_classifier=False)
    method.fit(recalibrate(p_cal)[:, None], y_cal)
    theirs = method.predict(recalibrate(p)[:, None])[1]
    ours = prevalence_replicates(p_cal, y_cal, p, 0.5, ["EMQ-Platt"], n_boot=0)["EMQ-Platt"][0]
    plain = prevalence_replicates(p_cal, y_cal, p, 0.5, ["EMQ"], n_boot=0)["EMQ"][0]
    assert b < 0.7 and abs(plain - theirs) > 0.01  # the recalibration changed the estimate
    assert ours == pytest.approx(theirs, abs=2e-3), quapy.__version__

def test_adjusted_methods_follow_a_prior_shift_that_counting_misses():
    rng = np.random.default_rng(2)
    y_cal, p_cal = scored(2000, 0.3, rng)
    y, p = scored(4000, 0.6, rng)
    estimates = {m: v[0] for m, v in prevalence_replicates(p_cal, y_cal, p, 0.5, n_boot=0).items()}
    truth = y.mean()
    for method in ("ACC", "PACC", "EMQ"):
        assert abs(estimates[method] - truth) < 0.03, (method, estimates[method], truth)
    # the unadjusted counts are pulled towards the calibration set's prevalence
    assert estimates["PCC"] < truth - 0.05


def test_the_90_percent_interval_covers_the_true_count_in_most_shifted_draws():
    rng = np.random.default_rng(3)
    covered = []
    for draw in range(60):
        y_cal, p_cal = scored(300, 0.25, rng)
        y, p = scored(300, [0.1, 0.4, 0.7][draw % 3], rng)
        row = count_intervals(p_cal, y_cal, p, 0.5, ["PACC"], n_boot=300, seed=draw).iloc[0]
        covered.append(row["low_90"] <= y.sum() <= row["high_90"])
    assert np.mean(covered) >= 0.8, np.mean(covered)


def test_intervals_nest_and_hold_the_estimate():
    rng = np.random.default_rng(4)
    y_cal, p_cal = scored(200, 0.3, rng)
    _, p = scored(250, 0.5, rng)
    table = count_intervals(p_cal, y_cal, p, 0.5, n_boot=200)
    assert (table["low_95"] <= table["low_90"]).all() and (table["high_90"] <= table["high_95"]).all()
    assert ((table["low_95"] <= table["estimate"] + 1e-9) & (table["estimate"] <= table["high_95"] + 1e-9)).all()
    assert ((table["low_95"] >= 0) & (table["high_95"] <= 250)).all()


def test_bad_input_gets_a_clear_error():
    p = np.array([0.2, 0.8, 0.6])
    with pytest.raises(QuantificationError, match="no positive documents"):
        count_intervals(p, np.zeros(3), p, 0.5)
    with pytest.raises(QuantificationError, match="no negative documents"):
        count_intervals(p, np.ones(3), p, 0.5)
    with pytest.raises(QuantificationError, match=r"\[0, 1\]"):
        count_intervals(p, np.array([0, 1, 1]), np.array([0.5, np.nan]), 0.5)
    with pytest.raises(QuantificationError, match="no documents to count"):
        count_intervals(p, np.array([0, 1, 1]), np.array([]), 0.5)
    with pytest.raises(QuantificationError, match="unknown method"):
        count_intervals(p, np.array([0, 1, 1]), p, 0.5, ["XYZ"])
    calibration = pd.DataFrame({"p_a": p, "a": [0, 1, 2]})
    with pytest.raises(QuantificationError, match="label 'a'.*0 or 1"):
        count_labels(calibration, pd.DataFrame({"p_a": p}), ["a"])
    with pytest.raises(QuantificationError, match="no column 'p_b'"):
        count_labels(calibration, pd.DataFrame({"p_a": p}), ["b"])


def test_count_labels_skips_unlabelled_calibration_rows():
    rng = np.random.default_rng(5)
    y_cal, p_cal = scored(300, 0.3, rng)
    labels = pd.Series(y_cal, dtype="float64")
    labels.iloc[:50] = np.nan
    _, p = scored(100, 0.3, rng)
    table = count_labels(pd.DataFrame({"p_x": p_cal, "x": labels}), pd.DataFrame({"p_x": p}), ["x"], n_boot=50)
    assert set(table["calibration_positives"]) == {int(y_cal[50:].sum())}
    assert set(table["documents"]) == {100}


def test_platt_replicates_fit_what_a_weighted_logistic_regression_fits():
    from sklearn.linear_model import LogisticRegression

    from mlmap.quantify import platt_replicates

    rng = np.random.default_rng(6)
    y, p = scored(300, 0.3, rng)
    p = p**3  # miscalibrated: too low
    weights = np.vstack([np.ones(300), rng.multinomial(300, np.full(300, 1 / 300))])
    fitted = platt_replicates(p, y.astype(float), weights)
    x = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    for row, w in zip(fitted, weights):
        pos, neg = (w * y).sum(), (w * (1 - y)).sum()
        target = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))
        # Platt's soft targets as two weighted copies of every document, one per class
        model = LogisticRegression(C=1e8, max_iter=5000).fit(
            np.r_[x, x][:, None], np.r_[np.ones(300), np.zeros(300)], sample_weight=np.r_[w * target, w * (1 - target)])
        assert row == pytest.approx([model.intercept_[0], model.coef_[0, 0]], abs=1e-3)


def test_emq_platt_follows_a_shift_that_plain_emq_misses_on_miscalibrated_probabilities():
    rng = np.random.default_rng(7)
    y_cal, p_cal = scored(2000, 0.3, rng)
    y, p = scored(3000, 0.1, rng)
    squash = lambda v: v**3  # noqa: E731 - the same distortion on both sides: the ranking is unchanged
    estimates = {m: v[0] for m, v in prevalence_replicates(squash(p_cal), y_cal, squash(p), 0.5,
                                                            ["EMQ", "EMQ-Platt"], n_boot=0).items()}
    assert abs(estimates["EMQ-Platt"] - y.mean()) < 0.02, estimates
    assert abs(estimates["EMQ"] - y.mean()) > 0.04, estimates
