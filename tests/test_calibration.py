"""Platt scaling per label (mlmap.calibration): fitted on held-out labels, written into a model's head."""

import numpy as np
import pytest
import torch

from mlmap.calibration import MIN_SLOPE, PlattScaling, calibrate_and_threshold, calibrate_head, fit_platt
from mlmap.metrics import best_thresholds, f1_at_thresholds
from mlmap.predicting import probabilities_from_logits


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_platt_scaling_recovers_a_known_distortion():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=(20000, 2))
    truth = rng.random(z.shape) < _sigmoid(np.array([2.0, 0.5]) * z + np.array([-1.0, 0.3]))
    scaling = fit_platt(truth, _sigmoid(z))
    assert scaling.slope == pytest.approx((2.0, 0.5), rel=0.05)
    assert scaling.intercept == pytest.approx((-1.0, 0.3), abs=0.06)


def test_calibration_undoes_the_odds_that_pos_weight_multiplies():
    # a model trained with pos_weight w reports odds w times too high: it over-counts a rare label
    rng = np.random.default_rng(1)
    z = rng.normal(-2.5, 1.5, size=4000)
    truth = (rng.random(z.size) < _sigmoid(z)).astype(float)
    weighted = _sigmoid(z + np.log(12.0))
    fit_half, check_half = slice(0, 2000), slice(2000, None)
    scaling = fit_platt(truth[fit_half], weighted[fit_half])
    calibrated = scaling.apply(weighted[check_half])
    labelled = truth[check_half].sum()
    assert weighted[check_half].sum() > 3 * labelled  # before: far too many expected
    assert calibrated.sum() == pytest.approx(labelled, rel=0.15)
    brier = lambda p: np.mean((p - truth[check_half]) ** 2)
    assert brier(calibrated) < 0.6 * brier(weighted[check_half])
    assert np.array_equal(np.argsort(calibrated), np.argsort(weighted[check_half]))  # the ranking is kept


def test_thresholds_on_the_calibrated_scale_make_the_same_decisions():
    rng = np.random.default_rng(2)
    z = rng.normal(-1.0, 1.5, size=(600, 3))
    truth = (rng.random(z.shape) < _sigmoid(z)).astype(int)
    weighted = _sigmoid(z + np.log([8.0, 3.0, 1.0]))  # over-counting, as pos_weight makes them
    scaling, calibrated, thresholds = calibrate_and_threshold(truth, weighted)
    assert np.allclose(calibrated, scaling.apply(weighted))
    raw = best_thresholds(truth, weighted)
    assert np.array_equal(calibrated >= np.asarray(thresholds), weighted >= raw)
    assert f1_at_thresholds(truth, calibrated, thresholds) == pytest.approx(f1_at_thresholds(truth, weighted, raw))


def test_a_label_ranked_backwards_keeps_its_ranking_with_probabilities_near_its_rate():
    proba = np.linspace(0.1, 0.9, 40)
    truth = (proba < 0.3).astype(float)  # held-out labels say the model ranks this label backwards
    scaling = fit_platt(truth, proba)
    assert scaling.slope[0] == pytest.approx(MIN_SLOPE)
    calibrated = scaling.apply(proba)
    assert np.all(np.diff(calibrated) > 0) and calibrated.max() - calibrated.min() < 0.05
    assert calibrated.mean() == pytest.approx(truth.mean(), abs=0.05)


def test_a_label_with_one_class_held_out_cannot_be_calibrated():
    with pytest.raises(ValueError, match="only one class"):
        fit_platt(np.array([[1, 0], [1, 1], [1, 0]]), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="same documents"):
        fit_platt(np.array([1, 0]), np.array([0.5, 0.5, 0.5]))


@pytest.mark.parametrize("multilabel", [True, False])
def test_the_calibrated_head_predicts_what_the_scaling_gives(make_tiny_model, multilabel):
    model = make_tiny_model(num_labels=3 if multilabel else 2, multilabel=multilabel).eval()
    with torch.no_grad():
        model.classifier.weight.mul_(40)  # a spread of probabilities, as a trained head has
    inputs = {"input_ids": torch.randint(1000, 2000, (6, 12)), "attention_mask": torch.ones(6, 12, dtype=torch.long)}
    with torch.no_grad():
        before = probabilities_from_logits(model(**inputs).logits, multilabel)
    scaling = PlattScaling(slope=(0.5, 2.0, 1.3) if multilabel else (0.7,),
                           intercept=(-1.0, 0.4, 0.0) if multilabel else (-0.8,))
    calibrate_head(model, scaling, multilabel)
    with torch.no_grad():
        after = probabilities_from_logits(model(**inputs).logits, multilabel)
    np.testing.assert_allclose(after, scaling.apply(before), atol=1e-5)
    assert not np.allclose(after, before, atol=1e-3)


def test_a_head_of_the_wrong_size_is_refused(make_tiny_model):
    with pytest.raises(ValueError, match="3 calibrated labels"):
        calibrate_head(make_tiny_model(num_labels=2, multilabel=True), PlattScaling((1.0,) * 3, (0.0,) * 3), True)
