"""The development documents (the recipe's choice read them) stay out of a clean cross-validation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlmap import cv, development

TINY = cv.SearchSpace(learning_rates=(1e-2,), max_epochs=15, max_length=32, batch_size=8, logistic_c=(1.0, 10.0))


def test_development_documents_are_a_quarter_of_outer_fold_0s_training_set(labelled_df):
    """Per target: inside the training set of the exploration's outer fold 0, never in its test fold."""
    dev = development.development_ids(labelled_df)
    for target in cv.TARGETS:
        frame = cv.target_frame(labelled_df, target)
        folds = cv.fold_assignments({target: frame}, 3, development.SEED)["fold"].to_numpy()
        train_ids, test_ids = set(frame["id"][folds != 0]), set(frame["id"][folds == 0])
        ids = set(dev.loc[dev["target"] == target, "id"])
        assert ids <= train_ids and not ids & test_ids, target
        assert abs(len(ids) - len(train_ids) / 4) <= 1, (target, len(ids), len(train_ids))


def test_a_clean_run_never_trains_or_tests_on_a_development_document(tmp_path, labelled_df, tiny_encoder_dir):
    summary = cv.run_cv(["include", "sectors"], out=tmp_path, n_folds=3, seed=0, model_name=tiny_encoder_dir,
                        spaces={t: TINY for t in cv.TARGETS}, df=labelled_df, progress=False, models=["tfidf"],
                        without_development=True)
    listed = pd.read_csv(tmp_path / cv.DEVELOPMENT_FILE)
    every_target = set(development.development_ids(labelled_df)["id"])
    assert set(listed["id"]) == every_target and every_target
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert not set(folds["id"]) & every_target
    # every other document is there: nothing dropped beyond the development set
    assert set(folds.loc[folds.target == "include", "id"]) == set(labelled_df["id"]) - every_target
    for target in ("include", "sectors"):
        oof = pd.read_csv(tmp_path / f"oof_{target}.csv")
        assert not set(oof["id"]) & every_target
    record = json.loads((tmp_path / "run.json").read_text())["runs"][-1]
    assert record["without_development"] and record["documents"] == len(labelled_df) - len(every_target)
    assert len(summary) == 2 * 3


@pytest.mark.integration
def test_development_documents_are_those_the_exploration_scored_on():
    """The exploration logged, per target, how many validation documents it scored on and how many
    positives each label had there (results/cv/exploration.jsonl): the development set must match."""
    import mlmap

    df = mlmap.load_labels()
    dev = development.development_ids(df)
    logged = {}
    for line in (mlmap.RESULTS_DIR / "cv" / "exploration.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("labelled") is not None and entry.get("fold", 0) == 0:
            logged[entry["target"]] = (entry["val_docs"], entry["labelled"])
    assert set(logged) == set(cv.TARGETS)
    for target, (n_docs, positives) in logged.items():
        frame = cv.target_frame(df, target).set_index("id")
        ids = dev.loc[dev["target"] == target, "id"]
        labels = np.stack(frame.loc[ids, "labels"].map(np.atleast_1d).to_numpy())
        assert len(ids) == n_docs and labels.sum(axis=0).astype(int).tolist() == positives, target


@pytest.mark.integration
def test_committed_clean_run_left_out_the_development_documents():
    import mlmap

    results = mlmap.RESULTS_DIR / "cv-clean"
    dev = set(pd.read_csv(results / cv.DEVELOPMENT_FILE)["id"])
    assert dev == set(development.development_ids(mlmap.load_labels())["id"])
    assert not set(pd.read_csv(results / "folds.csv")["id"]) & dev
