"""Screening metrics on hand-made rankings with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mlmap import screening

# ten documents already in screening order (scores fall), relevant at positions 1, 3 and 6
LABELS = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
SCORES = np.linspace(0.95, 0.05, 10)


def test_recall_curve_and_documents_needed():
    curve = screening.recall_curve(LABELS, SCORES)
    np.testing.assert_allclose(curve[[0, 1, 2, 4, 5, 9]], [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    assert screening.documents_for_recall(LABELS, SCORES, 0.95) == 6  # 95% of 3 rounds up to all 3
    assert screening.documents_for_recall(LABELS, SCORES, 0.6) == 3


def test_wss_and_rrf_follow_their_definitions():
    assert screening.wss(LABELS, SCORES, 0.95) == pytest.approx((10 - 6) / 10 - 0.05)
    assert screening.wss(LABELS, SCORES, 1.0) == pytest.approx(0.4)
    assert screening.rrf(LABELS, SCORES, 10) == pytest.approx(1 / 3)  # the first document
    assert screening.rrf(LABELS, SCORES, 30) == pytest.approx(2 / 3)
    # reversed scores screen the relevant documents late: less work saved
    assert screening.wss(LABELS, -SCORES, 0.95) < screening.wss(LABELS, SCORES, 0.95)
    # the best possible ranking of 36% relevant documents saves at most 1 - 0.95 * 0.36 - 0.05
    perfect = np.r_[np.ones(36), np.zeros(64)]
    assert screening.wss(perfect, -np.arange(100), 0.95) == pytest.approx((100 - 35) / 100 - 0.05)


def test_ties_keep_input_order_and_bad_input_is_refused():
    assert screening.screening_order(np.array([0.5, 0.5, 0.9])).tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="no relevant"):
        screening.wss(np.zeros(4), np.arange(4))
    with pytest.raises(ValueError, match="one value per document"):
        screening.wss(LABELS, SCORES[:5])


def test_threshold_for_recall_reaches_the_target_on_its_own_documents():
    threshold = screening.threshold_for_recall(LABELS, SCORES, 0.95)
    assert threshold == pytest.approx(SCORES[5])
    decisions = SCORES >= threshold
    assert LABELS[decisions].sum() == 3 and decisions.sum() == 6
    assert screening.threshold_for_recall(LABELS, SCORES, 0.6) == pytest.approx(SCORES[2])


def test_bootstrap_recall_interval():
    assert screening.bootstrap_recall_interval(LABELS, np.ones(10)) == (1.0, 1.0, 1.0)
    labels = np.r_[np.ones(40), np.zeros(10)]
    decisions = np.r_[np.ones(30), np.zeros(20)]  # 30 of 40 relevant found
    recall, low, high = screening.bootstrap_recall_interval(labels, decisions, seed=1)
    assert recall == 0.75 and low < 0.75 < high and 0.55 < low and high < 0.9
    assert screening.bootstrap_recall_interval(labels, decisions, seed=1) == (recall, low, high)
