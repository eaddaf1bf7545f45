"""The learning check: a model that did not learn is retried, recorded and refused, never returned as a result."""

from __future__ import annotations

import numpy as np
import pytest

import mlmap
from mlmap.learning import DidNotLearnError, check_learning

# a tiny encoder learns "tax" in 24 short texts with these; a learning rate of 3.0 breaks it
LEARNS = dict(learning_rate=3e-3, num_train_epochs=15, bf16=False, disable_tqdm=True, warmup_steps=0.1)
BREAKS = dict(LEARNS, learning_rate=3.0)


def test_a_constant_prediction_did_not_learn_whatever_the_labels_share():
    rng = np.random.default_rng(0)
    for share in (0.5, 0.1, 0.02):
        labels = (rng.random(2000) < share).astype(int)
        constant = np.full(len(labels), labels.mean())
        check = check_learning(labels, constant)
        assert check.loss_ratio[0] == pytest.approx(1.0, abs=1e-3) and not check.ok
        # a model that ranks well and is calibrated does clearly better than the constant, rare label or not
        informed = np.where(labels == 1, 0.8, share / 4)
        assert check_learning(labels, informed).ok


def test_under_pos_weight_the_best_constant_is_one_half():
    labels = np.array([[1, 0], [0, 0], [0, 1], [0, 0], [0, 0], [1, 0], [0, 0], [0, 0]], dtype=float)
    weight = (len(labels) - labels.sum(axis=0)) / labels.sum(axis=0)
    check = check_learning(labels, np.full(labels.shape, 0.5), pos_weight=weight, label_names=["a", "b"])
    assert check.loss_ratio == [pytest.approx(1.0, abs=1e-3)] * 2 and check.failed_labels == ["a", "b"]
    # the same constant, read as a plain probability, is far from the best constant of the plain loss
    assert check_learning(labels, np.full(labels.shape, 0.5)).loss_ratio[0] > 1.2


def test_check_needs_matching_shapes():
    with pytest.raises(ValueError, match="do not describe the same documents"):
        check_learning(np.zeros(4), np.zeros((4, 2)))


def test_fine_tune_checks_and_records_a_model_that_learned(tiny_encoder_dir, binary_df, tmp_path):
    trainer = mlmap.fine_tune(binary_df, model_name=tiny_encoder_dir, max_length=32, cache_dir=tmp_path, **LEARNS)
    assert trainer.learning["learned"] is True
    [attempt] = trainer.learning["attempts"]
    assert attempt["seed"] == mlmap.SEED and attempt["learned"] == [True] and attempt["loss_ratio"][0] < 0.9
    # the record travels with the cached model
    again = mlmap.fine_tune(binary_df, model_name=tiny_encoder_dir, max_length=32, cache_dir=tmp_path, **LEARNS)
    assert again.learning == trainer.learning


def test_a_model_broken_by_training_is_retried_then_refused(tiny_encoder_dir, binary_df, tmp_path):
    with pytest.raises(DidNotLearnError, match=r"did not learn relevant \(class 1\): after 2 attempt\(s\) "
                                               r"\(seed 42, seed 43\)") as failure:
        mlmap.fine_tune(binary_df, model_name=tiny_encoder_dir, max_length=32, cache_dir=tmp_path, max_attempts=2,
                        **BREAKS)
    assert [a["seed"] for a in failure.value.attempts] == [42, 43]
    assert all(a["learned"] == [False] and a["loss_ratio"][0] > 0.9 for a in failure.value.attempts)
    assert not any(tmp_path.iterdir()), "a model that did not learn was cached"


def test_keep_returns_the_failed_model_marked_as_such(tiny_encoder_dir, multilabel_df):
    frame = multilabel_df.copy()
    frame.attrs["label_names"] = ["tax", "forest", "both"]
    trainer = mlmap.fine_tune(frame, model_name=tiny_encoder_dir, max_length=32, max_attempts=2, on_failure="keep",
                              **BREAKS)
    assert trainer.learning["learned"] is False and len(trainer.learning["attempts"]) == 2
    assert set(trainer.learning["attempts"][-1]["label_names"]) == {"tax", "forest", "both"}
