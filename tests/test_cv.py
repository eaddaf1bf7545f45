"""Nested cross-validation on a tiny model and tiny data: folds, selection without test rows, resume, recomputable scores."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from mlmap import cv, cv_results, selection
from mlmap.folds import assign_folds, inner_split
from mlmap.metrics import best_f1_threshold, best_thresholds, f1_at_thresholds

TINY = cv.SearchSpace(learning_rates=(1e-2,), max_epochs=15, max_length=32, batch_size=8, logistic_c=(1.0, 10.0))
SPACES = {target: TINY for target in cv.TARGETS}


def test_folds_are_seeded_stratified_and_cover_every_document_once():
    labels = np.array([1] * 30 + [0] * 60)
    folds = assign_folds(labels, 3, seed=7)
    assert sorted(np.unique(folds)) == [0, 1, 2]  # every document has exactly one fold
    assert [int(labels[folds == k].sum()) for k in range(3)] == [10, 10, 10]
    assert (assign_folds(labels, 3, seed=7) == folds).all()
    assert (assign_folds(labels, 3, seed=8) != folds).any()
    with pytest.raises(ValueError, match="folds"):
        assign_folds(labels[:2], 3, seed=0)


def test_multilabel_folds_keep_every_labels_share():
    rng = np.random.default_rng(0)
    matrix = (rng.random((300, 4)) < [0.5, 0.2, 0.1, 0.05]).astype(int)
    folds = assign_folds(matrix, 3, seed=42)
    per_fold = np.array([matrix[folds == k].sum(0) for k in range(3)])
    assert (per_fold.max(0) - per_fold.min(0) <= 2).all(), per_fold
    assert inner_split(matrix, 42).mean() == pytest.approx(0.25, abs=0.01)


def test_best_f1_threshold_on_a_hand_made_ranking():
    proba = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.2])
    labels = np.array([1, 1, 0, 1, 0, 0])
    # cut at 0.6: TP 3, FP 1, FN 0 -> F1 6/7; at 0.8: TP 2, FN 1 -> 0.8
    threshold, f1 = best_f1_threshold(labels, proba)
    assert threshold == 0.6 and f1 == pytest.approx(6 / 7)
    assert f1_at_thresholds(labels, proba, threshold) == pytest.approx(6 / 7)
    # tied scores cannot be split: both documents at 0.5 are in or out together
    threshold, f1 = best_f1_threshold(np.array([1, 0, 1]), np.array([0.5, 0.5, 0.1]))
    assert threshold == 0.1 and f1 == pytest.approx(0.8)
    assert best_f1_threshold(np.zeros(3), np.array([0.1, 0.2, 0.3])) == (0.5, 0.0)
    matrix = np.stack([labels, 1 - labels], axis=1)
    assert best_thresholds(matrix, np.stack([proba, 1 - proba], axis=1)).tolist() == [0.6, pytest.approx(0.3)]


def _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include", "sectors"), **kwargs):
    return cv.run_cv(targets, out=tmp_path, n_folds=3, seed=0, model_name=tiny_encoder_dir, spaces=SPACES,
                     df=labelled_df, progress=False, **kwargs)


def test_selection_sees_only_the_outer_training_set(tmp_path, labelled_df, tiny_encoder_dir, monkeypatch):
    seen = []
    original = cv.FoldRunner.select_and_predict

    def recording_select(self, model, train, test, fold):
        seen.append((self.target, fold, set(train["id"])))
        return original(self, model, train, test, fold)

    monkeypatch.setattr(cv.FoldRunner, "select_and_predict", recording_select)
    trials = []
    original_trial = selection.minilm_trial
    monkeypatch.setattr(selection, "minilm_trial", lambda inner_train, inner_val, *a, **kw: trials.append(
        (set(inner_train["id"]), set(inner_val["id"]))) or original_trial(inner_train, inner_val, *a, **kw))
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",))
    folds = pd.read_csv(tmp_path / "folds.csv")
    for target, fold, train_ids in seen:
        test_ids = set(folds[(folds.target == target) & (folds.fold == fold)]["id"])
        assert train_ids and not train_ids & test_ids
        assert train_ids | test_ids == set(folds[folds.target == target]["id"])
    all_test = [set(folds[(folds.target == "include") & (folds.fold == k)]["id"]) for k in range(3)]
    for (inner_train, inner_val), test_ids in zip(trials, all_test):
        assert not (inner_train | inner_val) & test_ids and not inner_train & inner_val


def test_out_of_fold_table_has_every_document_once_and_scores_recompute(tmp_path, labelled_df, tiny_encoder_dir):
    summary = _run(tmp_path, labelled_df, tiny_encoder_dir)
    assert set(summary["model"]) == set(cv.MODELS) and len(summary) == 2 * 3 * 3
    for target in ("include", "sectors"):
        oof = pd.read_csv(tmp_path / f"oof_{target}.csv")
        expected = set(cv.target_frame(labelled_df, target)["id"])
        for model, rows in oof.groupby("model"):
            assert rows["id"].is_unique and set(rows["id"]) == expected, (target, model)
    assert_summary_recomputes(tmp_path, labelled_df)
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["runs"][-1]["machine"]["torch"] and set(record["compute_seconds"]) == {"include", "sectors"}



def _f1_by_counting(truth: np.ndarray, proba: np.ndarray, threshold: float) -> float:
    """Binary F1 of the decisions ``proba >= threshold``, from the counts: 2 TP / (2 TP + FP + FN)."""
    decided = proba >= threshold
    tp, fp, fn = (decided & (truth == 1)).sum(), (decided & (truth == 0)).sum(), (~decided & (truth == 1)).sum()
    return 2 * tp / (2 * tp + fp + fn)


def test_compare_runs_reports_exactly_the_unit_that_changed(tmp_path, labelled_df, tiny_encoder_dir):
    reference, rerun = tmp_path / "reference", tmp_path / "rerun"
    _run(reference, labelled_df, tiny_encoder_dir, models=("tfidf",))
    shutil.copytree(reference, rerun)
    same = cv_results.compare_runs(reference, rerun)
    assert len(same) == 6  # two targets x three folds
    assert (same[["median_abs_diff", "max_abs_diff", "f1_diff"]] == 0).all().all()

    # the rerun differs in one unit (include, fold 1): every probability 1e-4 higher (no decision changes),
    # and one relevant document the reference found (at or above the threshold) now at 0, missed
    path = rerun / "folds" / "include-fold1-tfidf.json"
    unit = json.loads(path.read_text())
    threshold, before = unit["selected"]["thresholds"][0], np.asarray(unit["proba"])
    truth = cv.target_frame(labelled_df, "include").set_index("id").loc[unit["ids"], "labels"].to_numpy()
    found = np.flatnonzero((truth == 1) & (before >= threshold))
    after = before + 1e-4
    assert len(found) and ((after >= threshold) == (before >= threshold)).all() and (after <= 1).all()
    after[found[0]] = 0.0
    path.write_text(json.dumps({**unit, "proba": after.tolist()}))
    (rerun / "folds" / "sectors-fold2-tfidf.json").unlink()  # a unit the rerun has not made: left out
    cv_results.write_summaries(cv_results.Store(rerun), labelled_df)

    table = cv_results.compare_runs(reference, rerun).set_index(["target", "model", "fold"])
    assert len(table) == 5 and ("sectors", "tfidf", 2) not in table.index
    changed = table.loc[("include", "tfidf", 1)]
    assert changed["median_abs_diff"] == pytest.approx(1e-4)  # 19 of the 20 documents moved by 1e-4
    assert changed["max_abs_diff"] == pytest.approx(before[found[0]])  # the one set to 0
    # F1 by counting, rerun minus reference: the missed document lowers it
    f1_before, f1_after = _f1_by_counting(truth, before, threshold), _f1_by_counting(truth, after, threshold)
    assert changed["f1_reference"] == pytest.approx(f1_before, abs=1e-6)
    assert changed["f1_diff"] == pytest.approx(f1_after - f1_before, abs=1e-6) and changed["f1_diff"] < 0
    others = table.drop(index=("include", "tfidf", 1))
    assert (others[["median_abs_diff", "max_abs_diff", "f1_diff"]] == 0).all().all()

    # other test documents in a unit: refused rather than compared
    path = rerun / "folds" / "sectors-fold0-tfidf.json"
    unit = json.loads(path.read_text())
    path.write_text(json.dumps({**unit, "ids": unit["ids"][1:] + unit["ids"][:1]}))
    with pytest.raises(RuntimeError, match="sectors-fold0-tfidf.json: the two runs have different test documents"):
        cv_results.compare_runs(reference, rerun)


def test_scores_on_a_subset_of_documents_count_only_those(tmp_path, labelled_df, tiny_encoder_dir):
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("tfidf",))
    everything = cv_results.scores_on(tmp_path, labelled_df, "include", labelled_df["id"])
    summary = pd.read_csv(tmp_path / "summary.csv").merge(everything, on=["model", "fold"])
    assert len(summary) == 3 and np.allclose(summary["f1_x"], summary["f1_y"], atol=1e-5)
    subset = labelled_df["id"][::2]
    oof = pd.read_csv(tmp_path / "oof_include.csv")
    chosen = pd.read_csv(tmp_path / "selection.csv").set_index("fold")["thresholds"].map(lambda t: json.loads(t)[0])
    truth = labelled_df.set_index("id")["INCLUDE"]
    scores = cv_results.scores_on(tmp_path, labelled_df, "include", subset).set_index("fold")
    for fold, rows in oof[oof["id"].isin(subset)].groupby("fold"):
        expected = _f1_by_counting(truth.loc[rows["id"]].to_numpy(), rows["INCLUDE"].to_numpy(), chosen[fold])
        assert scores.loc[fold, "documents"] == len(rows)
        assert scores.loc[fold, "f1"] == pytest.approx(expected)


def test_the_chosen_inner_model_predicts_the_test_fold_calibrated_on_validation(tmp_path, labelled_df, tiny_encoder_dir):
    from mlmap.calibration import PlattScaling, fit_platt

    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("sectors",), models=("minilm",))
    frame = cv.target_frame(labelled_df, "sectors").set_index("id")
    for fold in range(3):
        unit = json.loads((tmp_path / "folds" / f"sectors-fold{fold}-minilm.json").read_text())
        chosen = unit["selected"]
        trial = json.loads((tmp_path / "trials" / f"sectors-fold{fold}-minilm-lr{chosen['learning_rate']:g}.json").read_text())
        # no refit: the test fold's raw probabilities are the chosen epoch's of the inner model
        assert trial["test_ids"] == unit["ids"] and not set(trial["ids"]) & set(unit["ids"])
        np.testing.assert_allclose(unit["proba_uncalibrated"], trial["test_epochs"][str(chosen["epochs"])], atol=1e-6)
        # calibrated by Platt scaling fitted on the validation part alone, thresholds on that scale
        val_proba = np.asarray(trial["epochs"][str(chosen["epochs"])])
        refitted = fit_platt(cv.label_matrix(frame.loc[trial["ids"]]), val_proba)
        np.testing.assert_allclose(refitted.slope, chosen["calibration"]["slope"], rtol=1e-4)
        saved = PlattScaling(tuple(chosen["calibration"]["slope"]), tuple(chosen["calibration"]["intercept"]))
        np.testing.assert_allclose(unit["proba"], saved.apply(np.asarray(unit["proba_uncalibrated"])), atol=1e-5)
        assert chosen["learned"] is True and len(chosen["thresholds"]) == 2
    calibration = pd.read_csv(tmp_path / "calibration.csv")
    assert set(calibration["label"]) == set(frame.attrs["label_names"])
    assert {"expected", "expected_uncalibrated", "brier", "brier_uncalibrated", "labelled"} <= set(calibration.columns)
    assert (calibration["documents"] == len(frame)).all()


def assert_summary_recomputes(results, df):
    """Every fold's F1 from the out-of-fold probabilities, the labels and the saved thresholds equals summary.csv."""
    summary = pd.read_csv(results / "summary.csv")
    selection = pd.read_csv(results / "selection.csv")
    checked = 0
    for target in summary["target"].unique():
        frame = cv.target_frame(df, target).set_index("id")
        names = frame.attrs["label_names"]
        oof = pd.read_csv(results / f"oof_{target}.csv")
        for (model, fold), rows in oof.groupby(["model", "fold"]):
            truth = np.stack(frame.loc[rows["id"], "labels"].to_numpy()) if len(names) > 1 else frame.loc[rows["id"], "labels"].to_numpy()
            thresholds = json.loads(selection.query("target == @target and model == @model and fold == @fold")["thresholds"].item())
            proba = rows[names].to_numpy() if len(names) > 1 else rows[names[0]].to_numpy()
            decisions = (proba >= (np.asarray(thresholds) if len(names) > 1 else thresholds[0])).astype(int)
            average = "macro" if len(names) > 1 else "binary"
            from sklearn.metrics import f1_score

            f1 = f1_score(truth.astype(int), decisions, average=average, zero_division=0)
            reported = summary.query("target == @target and model == @model and fold == @fold")["f1"].item()
            assert f1 == pytest.approx(reported, abs=1e-6), (target, model, fold)
            checked += 1
    assert checked == len(summary)


def test_an_interrupted_run_resumes_to_the_same_result(tmp_path, labelled_df, tiny_encoder_dir, monkeypatch):
    whole = _run(tmp_path / "whole", labelled_df, tiny_encoder_dir, targets=("include",))

    writes = []
    original_put = cv.Store.put

    def failing_put(self, value, *parts):
        if parts[0] == "folds" and len([w for w in writes if w[0] == "folds"]) == 2:
            raise KeyboardInterrupt  # stopped after the first fold's transformer and one baseline were saved
        writes.append(parts)
        return original_put(self, value, *parts)

    monkeypatch.setattr(cv.Store, "put", failing_put)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "resumed", labelled_df, tiny_encoder_dir, targets=("include",))
    monkeypatch.setattr(cv.Store, "put", original_put)
    record = json.loads((tmp_path / "resumed" / "run.json").read_text())
    assert [r.get("interrupted") for r in record["runs"]] == [True], "the interrupted part is recorded"
    assert record["compute_seconds"]["include"]["minilm"] > 0
    trained = []
    original_trial = selection.minilm_trial
    monkeypatch.setattr(selection, "minilm_trial", lambda *a, **kw: trained.append(1) or original_trial(*a, **kw))
    resumed = _run(tmp_path / "resumed", labelled_df, tiny_encoder_dir, targets=("include",))
    assert len(trained) == 2, "the finished fold's trial was run again"
    pd.testing.assert_frame_equal(resumed, whole)
    record = json.loads((tmp_path / "resumed" / "run.json").read_text())
    assert [r.get("interrupted") for r in record["runs"]] == [True, None]
    assert record["runs"][0]["machine"]["cores"] and record["runs"][0]["wall_seconds"] >= 0
    a = pd.read_csv(tmp_path / "whole" / "oof_include.csv")
    b = pd.read_csv(tmp_path / "resumed" / "oof_include.csv")
    pd.testing.assert_frame_equal(a, b, atol=1e-6)


def test_the_command_stops_on_sigterm_as_on_ctrl_c(monkeypatch, capsys):
    import os
    import signal

    from mlmap.__main__ import main

    monkeypatch.setattr(cv, "run_cv", lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM))
    assert main(["cv", "--target", "include"]) == 130
    assert "run the same command again to continue" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored for whoever called main


def test_bad_arguments_say_what_to_do(tmp_path, labelled_df, tiny_encoder_dir):
    with pytest.raises(ValueError, match="unknown target"):
        _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("sector",))
    with pytest.raises(ValueError, match="unknown model"):
        _run(tmp_path, labelled_df, tiny_encoder_dir, models=("bert",))
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("tfidf",))
    # the folder's fingerprint names what differs before any fold is compared
    with pytest.raises(RuntimeError, match=r"was made with another n_folds \(3 there, 4 now\)"):
        cv.run_cv(["include"], out=tmp_path, n_folds=4, seed=0, model_name=tiny_encoder_dir, spaces=SPACES,
                  df=labelled_df, progress=False, models=("tfidf",))


@pytest.mark.integration
@pytest.mark.parametrize("folder", ["cv", "cv-clean", "cv-run3", "cv-run2"])
def test_committed_scores_recompute_from_out_of_fold_probabilities(folder):
    """results/cv (made by `make cv`) and the runs before it: every target, model and fold, F1 from
    probabilities + labels + thresholds."""
    import mlmap

    results = mlmap.RESULTS_DIR / folder
    summary = pd.read_csv(results / "summary.csv")
    assert set(summary["target"]) == set(cv.TARGETS) and set(summary["model"]) == set(cv.MODELS)
    assert summary.groupby(["target", "model"]).size().eq(3).all(), "every target and model needs its 3 outer folds"
    assert_summary_recomputes(results, mlmap.load_labels())


@pytest.mark.integration
def test_committed_calibration_table_recomputes_from_out_of_fold_probabilities():
    """results/cv/calibration.csv (the cv chapter's table): labelled and expected counts, Brier scores,
    calibrated (from oof_<target>.csv) and raw (the fine-tuned model's fold files, before calibration)."""
    import mlmap

    results, df = mlmap.RESULTS_DIR / "cv", mlmap.load_labels()
    calibration = pd.read_csv(results / "calibration.csv")

    def check(target, model, ids, proba, suffix):
        truth = cv.label_matrix(frame.loc[ids]).reshape(len(ids), -1)
        for j, label in enumerate(frame.attrs["label_names"]):
            row = calibration.query("target == @target and model == @model and label == @label").iloc[0]
            assert row["labelled"] == truth[:, j].sum()
            assert row[f"expected{suffix}"] == pytest.approx(proba[:, j].sum(), abs=0.06)
            assert row[f"brier{suffix}"] == pytest.approx(np.mean((proba[:, j] - truth[:, j]) ** 2), abs=1e-4)

    for target in cv.TARGETS:
        frame = cv.target_frame(df, target).set_index("id")
        names = frame.attrs["label_names"]
        oof = pd.read_csv(results / f"oof_{target}.csv")
        for model, rows in oof.groupby("model"):
            check(target, model, rows["id"], rows[names].to_numpy(), "")
        raw = [u for u in cv_results.fold_results(cv_results.Store(results), target) if u["model"] == "minilm"]
        assert raw and all("proba_uncalibrated" in u for u in raw), "the fine-tuned units keep their raw probabilities"
        check(target, "minilm", [i for u in raw for i in u["ids"]],
              np.concatenate([np.asarray(u["proba_uncalibrated"]).reshape(len(u["ids"]), -1) for u in raw]),
              "_uncalibrated")


def test_a_run_is_not_continued_in_another_precision(tmp_path, labelled_df, tiny_encoder_dir):
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))
    here = mlmap_bf16()
    fold_unit = tmp_path / "folds" / "include-fold0-minilm.json"
    for kind in ("folds", "trials"):  # a saved trial is read only when its fold is not finished
        path = next((tmp_path / kind).glob("include-fold0-minilm*.json"))
        unit = json.loads(path.read_text())
        assert unit["bf16"] == here
        path.write_text(json.dumps({**unit, "bf16": not here}))
        with pytest.raises(RuntimeError, match="this run trains in"):
            _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))
        path.write_text(json.dumps(unit))
        fold_unit.unlink(missing_ok=True)
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))  # as it was: resumes
    assert fold_unit.is_file()


def test_an_fp32_run_continues_on_a_bf16_machine_with_mlmap_precision(tmp_path, labelled_df, tiny_encoder_dir,
                                                                       monkeypatch):
    import mlmap.hardware

    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))
    fold_unit = tmp_path / "folds" / "include-fold0-minilm.json"
    assert json.loads(fold_unit.read_text())["bf16"] is False
    fold_unit.unlink()  # interrupted before its fold finished; its trials remain
    monkeypatch.setattr(mlmap.hardware, "bf16_supported", lambda: True)  # continued on a machine with bf16 units
    monkeypatch.delenv("MLMAP_PRECISION")
    with pytest.raises(RuntimeError, match="set MLMAP_PRECISION=fp32 to continue it here"):
        _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    _run(tmp_path, labelled_df, tiny_encoder_dir, targets=("include",), models=("minilm",))
    assert json.loads(fold_unit.read_text())["bf16"] is False


def mlmap_bf16() -> bool:
    from mlmap.hardware import use_bf16

    return use_bf16()


def test_full_runs_gather_the_parts_of_a_continued_run():
    every = list(cv.TARGETS)
    record = {"runs": [
        {"targets": every, "only_fold": None, "wall_seconds": 5},                       # run 1 in one go
        {"targets": every, "only_fold": None, "wall_seconds": 7, "interrupted": True},  # run 2, part 1
        {"targets": ["sectors"], "only_fold": 0, "wall_seconds": 2},                    # a one-fold check
        {"targets": every, "only_fold": None, "wall_seconds": 3, "interrupted": True},  # run 2, part 2
        {"targets": every, "only_fold": None, "wall_seconds": 4},                       # run 2, last part
        {"targets": every, "only_fold": None, "wall_seconds": 9, "interrupted": True},  # run 3, unfinished
    ]}
    runs = cv_results.full_runs(record)
    assert [[p["wall_seconds"] for p in run] for run in runs] == [[5], [7, 3, 4]]


def test_a_searched_head_is_chosen_inside_each_fold_from_its_own_trials(tmp_path, labelled_df, tiny_encoder_dir,
                                                                          monkeypatch):
    """With ``poolings``, every head is trained per fold and the choice (and the test probabilities) follow the
    inner validation F1: rigging one head's validation probabilities to be perfect makes it the choice."""
    import dataclasses

    heads = dataclasses.replace(TINY, poolings=("mean", "cls"))
    original = selection.minilm_trial
    poolings_trained = []

    def rigged(inner_train, inner_val, space, *args, **kwargs):
        poolings_trained.append(space.recipe.pooling)
        by_epoch, learning, test_by_epoch = original(inner_train, inner_val, space, *args, **kwargs)
        if space.recipe.pooling == "cls":  # [CLS] ranks the validation documents perfectly after epoch 1
            labels = np.asarray(inner_val["labels"].tolist(), dtype=float)
            by_epoch[1] = labels * 0.8 + 0.1
        return by_epoch, learning, test_by_epoch

    monkeypatch.setattr(selection, "minilm_trial", rigged)
    cv.run_cv(["include"], out=tmp_path, n_folds=3, seed=0, model_name=tiny_encoder_dir, models=["minilm"],
              spaces={"include": heads}, df=labelled_df, progress=False)
    assert poolings_trained == ["mean", "cls"] * 3
    trials = sorted(p.name for p in (tmp_path / "trials").glob("*.json"))
    assert trials == sorted(f"include-fold{k}-minilm-{h}-lr0.01.json" for k in range(3) for h in ("mean", "cls"))
    for k in range(3):
        unit = json.loads((tmp_path / "folds" / f"include-fold{k}-minilm.json").read_text())
        assert unit["selected"]["pooling"] == "cls" and unit["selected"]["epochs"] == 1
        trial = json.loads((tmp_path / "trials" / f"include-fold{k}-minilm-cls-lr0.01.json").read_text())
        assert unit["proba_uncalibrated"] == trial["test_epochs"]["1"]


def test_the_nested_spaces_search_every_choice_the_exploration_made():
    from mlmap.search_space import NESTED_SEARCH_SPACES, SEARCH_SPACES

    for target, space in NESTED_SEARCH_SPACES.items():
        assert set(space.poolings) == {"mean", "cls"} and len(space.learning_rates) == 2
        assert space.learning_rates[0] == SEARCH_SPACES[target].learning_rates[0]
        assert [r.pooling for r in space.recipes()] == ["mean", "cls"]
