"""The thresholds a saved model ships with belong to that model, and ``recall95`` keeps its promise on new documents."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import mlmap
from mlmap.__main__ import main
from mlmap.final_models import RECALL_CONFIDENCE, RECALL_TARGET

RELEVANT = "tax levy carbon price emissions trading permit auction rebate subsidy".split()
OTHER = ("forest river school museum league poem recipe galaxy violin harbour garden village glacier festival "
         "novel theatre meadow castle island cathedral").split()


def graded_corpus(n: int, seed: int, share: float = 0.4) -> pd.DataFrame:
    """Documents whose relevance shows in how many of their words are relevant words: graded, overlapping evidence."""
    rng = np.random.default_rng(seed)
    relevant = rng.random(n) < share
    rows = []
    for i, rel in enumerate(relevant):
        from_relevant = rng.random(30) < (0.25 if rel else 0.1)
        words = [rng.choice(RELEVANT) if r else rng.choice(OTHER) for r in from_relevant]
        rows.append({"id": f"D{seed}-{i}", "title": "", "abstract": " ".join(words), "relevant": int(rel)})
    return pd.DataFrame(rows)


def test_the_recall_threshold_reaches_its_recall_on_new_documents_with_its_confidence():
    # positives' scores ~ N(1, 1): the recall of a threshold t on new documents is exactly 1 - Phi(t - 1)
    rng = np.random.default_rng(0)
    held, covered, point_covered = 200, 0, 0
    for _ in range(held):
        scores = np.concatenate([rng.normal(1, 1, 80), rng.normal(0, 1, 200)])
        labels = np.r_[np.ones(80), np.zeros(200)]
        threshold, confidence = mlmap.recall_threshold_with_confidence(labels, scores, 0.95, 0.9)
        assert confidence >= 0.9
        covered += 1 - norm.cdf(threshold - 1) >= 0.95
        point_covered += 1 - norm.cdf(mlmap.threshold_for_recall(labels, scores, 0.95) - 1) >= 0.95
    # 90% asked: binomial sd over 200 draws is 2.1 points; the point threshold reaches it about half the time
    assert covered / held >= 0.85, covered
    assert point_covered / held < 0.75, point_covered


def test_too_few_relevant_documents_give_the_lowest_score_and_say_how_sure_it_is():
    labels = np.r_[np.ones(10), np.zeros(30)]
    scores = np.r_[np.linspace(0.3, 0.9, 10), np.linspace(0.0, 0.5, 30)]
    threshold, confidence = mlmap.recall_threshold_with_confidence(labels, scores, 0.95, 0.9)
    assert threshold == pytest.approx(0.3)
    assert confidence == pytest.approx(1 - 0.95 ** 10)  # P(the lowest of 10 leaves out at most 5% of new ones)
    with pytest.raises(ValueError, match="no relevant document"):
        mlmap.recall_threshold_with_confidence(np.zeros(5), np.ones(5))


def test_the_shipped_recall95_threshold_reaches_95_percent_on_held_out_documents(tmp_path, tiny_encoder_dir, capsys):
    """Train through the CLI, predict documents no part of training saw through the CLI, resample them 10 times."""
    train, new = graded_corpus(900, seed=1), graded_corpus(1500, seed=2)
    train.to_csv(tmp_path / "train.csv", index=False)
    new.drop(columns="relevant").to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "model"
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--label", "relevant", "--out", str(out),
                 "--model", tiny_encoder_dir, "--epochs", "12", "--max-length", "64", "--learning-rate", "2e-3"]) == 0
    info = json.loads((out / "mlmap.json").read_text())
    selection = info["training"]["selection"]
    recall = selection["thresholds"]["recall"]
    assert recall["target"] == RECALL_TARGET and recall["confidence"] >= RECALL_CONFIDENCE
    assert selection["trained_on_documents"] + selection["held_out_documents"] == 900
    assert main(["predict", str(tmp_path / "new.csv"), "-o", str(tmp_path / "p.csv"), "--model", str(out),
                 "--threshold", "recall95", "--engine", "pytorch"]) == 0
    predicted = pd.read_csv(tmp_path / "p.csv")
    hits = predicted["pred_relevant"].to_numpy()[new["relevant"].to_numpy() == 1]
    assert hits.mean() < 1, "every relevant document above the threshold: the test could not tell a bad one"
    rng = np.random.default_rng(0)
    resampled = [rng.choice(hits, len(hits)).mean() for _ in range(10)]

    # most of them: a threshold at the held-out quarter's own 95% point (threshold_for_recall) reaches it in about half
    assert sum(r >= 0.95 for r in resampled) >= 8, resampled
    assert selection["held_out_per_label"]["relevant"]["positives"] == recall["held_out_positives"]

    # the model folder keeps its held-out predictions: the recorded F1 follows from them, and `count` calibrates on them
    held_out = pd.read_csv(out / "held_out.csv")
    assert len(held_out) == selection["held_out_documents"] and held_out["relevant"].sum() == recall["held_out_positives"]
    f1 = mlmap.metrics.f1_at_thresholds(held_out["relevant"].to_numpy(), held_out["p_relevant"].to_numpy(),
                                        info["thresholds"]["f1"])
    assert f1 == pytest.approx(selection["held_out_f1"], abs=1e-3)
    assert main(["count", str(tmp_path / "p.csv"), "--model", str(out), "--method", "CC", "EMQ",
                 "-o", str(tmp_path / "counts.csv")]) == 0
    counts = pd.read_csv(tmp_path / "counts.csv").set_index("method")
    truth = int(new["relevant"].sum())
    assert counts.loc["EMQ", "low_95"] <= truth <= counts.loc["EMQ", "high_95"], (truth, counts)
    # CC counts at the F1 threshold the held-out decisions were made at, not the recall95 decisions of p.csv
    assert counts.loc["CC", "estimate"] == (predicted["p_relevant"] >= info["thresholds"]["f1"][0]).sum()


def test_the_saved_model_is_the_one_its_thresholds_were_fitted_on(tmp_path, tiny_encoder_dir, precision):
    """Its held-out F1 and recall, recomputed from its own predictions of the held-out quarter, are the recorded ones."""
    from mlmap.folds import inner_split
    from mlmap.metrics import f1_at_thresholds

    train = graded_corpus(240, seed=3)
    frame = pd.DataFrame({"text": train["abstract"], "labels": train["relevant"]})
    space = mlmap.SearchSpace(learning_rates=(2e-3,), max_epochs=8, max_length=32, batch_size=16)
    with pytest.warns(UserWarning, match="relevant documents were held out"):
        folder = mlmap.train_final_model(frame, ["relevant"], tmp_path / "m", space, tiny_encoder_dir, progress=False)
    loaded = mlmap.load_saved_classifier(folder)
    selection = loaded.info["training"]["selection"]
    held_out = inner_split(frame["labels"].to_numpy(), selection["seed"])
    proba = loaded.predict_proba(frame["text"][held_out].tolist(), engine="pytorch")[:, 0]
    truth = frame["labels"].to_numpy()[held_out]
    assert f1_at_thresholds(truth, proba, loaded.thresholds("f1")) == pytest.approx(selection["held_out_f1"], abs=1e-4)
    recall = (proba[truth == 1] >= loaded.thresholds("recall95")[0]).mean()
    assert recall == pytest.approx(selection["thresholds"]["recall"]["held_out_recall"], abs=1e-4)
    assert selection["thresholds"]["precision"] == precision


def test_predict_warns_when_the_thresholds_were_fitted_in_another_precision(tmp_path, make_tiny_model, tokenizer,
                                                                            monkeypatch):
    folder = mlmap.save_classifier(make_tiny_model(), tmp_path / "m", tokenizer=tokenizer, label_names=["relevant"],
                                   max_length=32, thresholds={"f1": [0.5]},
                                   training={"selection": {"thresholds": {"precision": "bf16"}}})
    loaded = mlmap.load_saved_classifier(folder)
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    with pytest.warns(UserWarning, match="fitted on bf16 predictions, but this machine predicts in fp32"):
        loaded.thresholds("f1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.thresholds(0.5)  # a number of the user's own is not a fitted threshold
