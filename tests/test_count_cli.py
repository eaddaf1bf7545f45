"""``mlmap count`` and ``mlmap learning-curve`` on files built here: the output, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmap.__main__ import main


def calibrated(n: int, prevalence_shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.beta(1.2, 2.8, 20 * n)
    y = rng.random(p.size) < p
    n_pos = int(round(prevalence_shift * n))
    pos, neg = rng.choice(p[y], n_pos), rng.choice(p[~y], n - n_pos)
    return pd.DataFrame({"p_a": np.r_[pos, neg], "pred_a": (np.r_[pos, neg] >= 0.4).astype(int),
                         "a": np.r_[np.ones(n_pos), np.zeros(n - n_pos)]})


def test_count_writes_every_method_and_covers_a_shifted_count(tmp_path, capsys):
    calibrated(400, 0.3, 1).to_csv(tmp_path / "cal.csv", index=False)
    corpus = calibrated(600, 0.6, 2)
    corpus.drop(columns="a").to_csv(tmp_path / "pred.csv", index=False)
    assert main(["count", str(tmp_path / "pred.csv"), "--calibration", str(tmp_path / "cal.csv"),
                 "--method", "CC", "PACC", "EMQ", "-o", str(tmp_path / "counts.csv"), "--boot", "300"]) == 0
    counts = pd.read_csv(tmp_path / "counts.csv").set_index("method")
    assert list(counts.index) == ["CC", "PACC", "EMQ"] and set(counts["label"]) == {"a"}
    truth = corpus["a"].sum()
    assert counts.loc["CC", "estimate"] == corpus["pred_a"].sum()
    assert counts.loc["EMQ", "low_95"] <= truth <= counts.loc["EMQ", "high_95"]
    assert "90% interval" in capsys.readouterr().out


def test_count_refuses_bad_input_with_a_clear_error(tmp_path, capsys):
    cal = calibrated(100, 0.3, 1)
    cal.assign(a=0.0).to_csv(tmp_path / "none.csv", index=False)
    cal.drop(columns="a").to_csv(tmp_path / "pred.csv", index=False)
    assert main(["count", str(tmp_path / "pred.csv"), "--calibration", str(tmp_path / "none.csv"), "--labels", "a"]) == 1
    assert "no positive documents" in capsys.readouterr().err
    assert main(["count", str(tmp_path / "pred.csv"), "--calibration", str(tmp_path / "none.csv"),
                 "--method", "XYZ"]) == 1
    assert "unknown method(s) XYZ" in capsys.readouterr().err
    (tmp_path / "model").mkdir()
    assert main(["count", str(tmp_path / "pred.csv"), "--model", str(tmp_path / "model")]) == 1
    assert "has no held_out.csv" in capsys.readouterr().err


def test_learning_curve_on_your_own_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = np.array(["policy", "tax", "carbon", "price", "forest", "soil", "water", "city"])
    relevant = rng.random(240) < 0.4
    texts = [" ".join(rng.choice(words[:4] if r and rng.random() < 0.8 else words[4:], 6)) for r in relevant]
    pd.DataFrame({"title": texts, "abstract": texts, "include": relevant.astype(int)}).to_csv(
        tmp_path / "mine.csv", index=False)
    out = tmp_path / "curves"
    assert main(["learning-curve", "--input", str(tmp_path / "mine.csv"), "--labels", "include",
                 "--models", "tfidf", "--resamples", "2", "--out", str(out)]) == 0
    points = pd.read_csv(out / "points.csv")
    by_size = points.groupby("size")["f1"].mean()
    assert by_size.index.min() == 40 and by_size.index.max() == 180 and by_size.iloc[-1] > by_size.iloc[0]
    assert {"predicted", "low", "high", "short_of_labels"} <= set(pd.read_csv(out / "fits.csv").columns)
    assert main(["learning-curve", "--input", str(tmp_path / "mine.csv")]) == 1
    assert "--input needs --labels" in capsys.readouterr().err
    assert main(["learning-curve", "--models", "bert"]) == 1
    assert "unknown model(s) bert" in capsys.readouterr().err
