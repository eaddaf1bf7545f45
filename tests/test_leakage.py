"""No leakage from an outer test fold: shuffling its labels changes its score and nothing that was chosen for it.

The real ``mlmap.cv.run_cv`` runs one outer fold twice on the tiny labelled frame (tiny encoder, tiny
search space): once as it is, once with the labels of that fold's test documents permuted among them.
Everything chosen inside the outer training set (configuration, thresholds, calibration, inner
validation F1) and the fold's test probabilities must come out identical; only its score may move.

The outer folds are stratified on the labels, and stratification places documents by their labels,
not only by the counts: a random permutation within a fold moves documents to other folds (both
StratifiedKFold and the multilabel stratifier). So the permutation is built from swaps of two test
documents' labels, each kept only if ``assign_folds`` still gives the same folds; the test checks that
both runs wrote the same ``folds.csv``.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from mlmap import cv
from mlmap.folds import assign_folds
from mlmap.targets import label_matrix, target_frame

# as tests/test_cv.py: a learning rate the tiny encoder learns with, few epochs, two C for the baselines
TINY = cv.SearchSpace(learning_rates=(1e-2,), max_epochs=15, max_length=32, batch_size=8, logistic_c=(1.0, 10.0))
SPACES = {target: TINY for target in cv.TARGETS}
FOLD, SEED = 0, 0  # the outer fold whose labels are shuffled; run_cv's seed (its folds)
#: the label columns each target's labels come from in the frame the tests build (tests/conftest.py)
COLUMNS = {"include": ["INCLUDE"], "sectors": ["8 - 01. Forest", "8 - 02. Other"]}


def fold_preserving_shuffle(labels: np.ndarray, fold: int, seed: int = 0) -> np.ndarray:
    """A permutation of the positions of fold ``fold``'s documents (identity elsewhere) that moves labels
    between them and leaves the seeded stratified folds of the permuted labels as they were."""
    folds = assign_folds(labels, 3, seed=SEED)
    order = np.arange(len(labels))
    pairs = list(itertools.combinations(np.flatnonzero(folds == fold), 2))
    np.random.default_rng(seed).shuffle(pairs)
    for a, b in pairs:
        swapped = order.copy()
        swapped[[a, b]] = swapped[[b, a]]
        if np.array_equal(labels[swapped], labels[order]):
            continue  # the same labels: nothing moves
        if np.array_equal(assign_folds(labels[swapped], 3, seed=SEED), folds):
            order = swapped
    return order


def shuffled_test_fold(df: pd.DataFrame, target: str, fold: int) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with the labels of ``target``'s outer test fold ``fold`` permuted among its documents; and
    the ids whose labels changed."""
    frame = target_frame(df, target)
    labels = label_matrix(frame)
    order = fold_preserving_shuffle(labels, fold)
    ids = frame["id"].to_numpy()
    moved = ids[order != np.arange(len(ids))]
    by_id = df.set_index("id")
    shuffled = by_id.copy()
    shuffled.loc[ids, COLUMNS[target]] = by_id.loc[ids[order], COLUMNS[target]].to_numpy()
    changed = [i for i in moved if not by_id.loc[i, COLUMNS[target]].equals(shuffled.loc[i, COLUMNS[target]])]
    return shuffled.reset_index(), changed


def run(out, df, tiny_encoder_dir, target, models):
    return cv.run_cv([target], out=out, n_folds=3, seed=SEED, only_fold=FOLD, models=models,
                     model_name=tiny_encoder_dir, spaces=SPACES, df=df, progress=False)


def without_times(unit: dict) -> dict:
    return {k: v for k, v in unit.items() if k != "seconds"}


def assert_fold_chosen_alike(a, b, target: str, models) -> None:
    """The fold's saved selection and test probabilities (and the fine-tuned model's trials) are alike in both runs."""
    pd.testing.assert_frame_equal(pd.read_csv(a / "folds.csv"), pd.read_csv(b / "folds.csv"))
    for model in models:
        name = f"{target}-fold{FOLD}-{model}.json"
        one, two = (json.loads((run_dir / "folds" / name).read_text()) for run_dir in (a, b))
        assert one["ids"] == two["ids"], name
        assert one["selected"] == two["selected"], f"{name}: another selection"
        assert one["proba"] == two["proba"], f"{name}: other test probabilities"
        assert one.get("proba_uncalibrated") == two.get("proba_uncalibrated"), name
    for path in sorted((a / "trials").glob(f"{target}-fold{FOLD}-*.json")):
        # each epoch's inner-validation and test probabilities, and the learning check on the inner training part
        one, two = (json.loads((run_dir / "trials" / path.name).read_text()) for run_dir in (a, b))
        assert without_times(one) == without_times(two), path.name


@pytest.mark.parametrize("target", ["include", "sectors"])
def test_shuffling_the_test_folds_labels_changes_its_score_and_nothing_chosen_for_it(tmp_path, labelled_df,
                                                                                    tiny_encoder_dir, target):
    shuffled, changed = shuffled_test_fold(labelled_df, target, FOLD)
    frame = target_frame(labelled_df, target)
    test_ids = set(frame["id"][assign_folds(label_matrix(frame), 3, seed=SEED) == FOLD])
    assert len(changed) >= 6 and set(changed) <= test_ids  # labels moved, and only within the test fold
    models = list(cv.MODELS)  # the fine-tuned model (with its calibration for sectors) and both baselines
    before = run(tmp_path / "a", labelled_df, tiny_encoder_dir, target, models)
    after = run(tmp_path / "b", shuffled, tiny_encoder_dir, target, models)
    assert_fold_chosen_alike(tmp_path / "a", tmp_path / "b", target, models)
    if target == "sectors":
        unit = json.loads((tmp_path / "a" / "folds" / f"sectors-fold{FOLD}-minilm.json").read_text())
        assert unit["selected"]["calibration"]["slope"], "the fine-tuned model was calibrated"
    # the score reads the shuffled labels: it moves for at least one model
    assert (before["f1"].to_numpy() != after["f1"].to_numpy()).any()


def test_the_check_sees_a_selection_that_reads_the_test_fold(tmp_path, labelled_df, tiny_encoder_dir, monkeypatch):
    """The same check on a leaky selection (its inner split drawn from the training set and the test fold) fails."""
    original = cv.FoldRunner.select_and_predict

    def leaky(self, model, train, test, fold):
        return original(self, model, pd.concat([train, test], ignore_index=True), test, fold)

    monkeypatch.setattr(cv.FoldRunner, "select_and_predict", leaky)
    shuffled, _ = shuffled_test_fold(labelled_df, "include", FOLD)
    run(tmp_path / "a", labelled_df, tiny_encoder_dir, "include", ["tfidf"])
    run(tmp_path / "b", shuffled, tiny_encoder_dir, "include", ["tfidf"])
    with pytest.raises(AssertionError, match="another selection|other test probabilities"):
        assert_fold_chosen_alike(tmp_path / "a", tmp_path / "b", "include", ["tfidf"])
