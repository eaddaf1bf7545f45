"""Numbers in the chapters' prose that come from ``results/`` are recomputed from those files here.

The tables in the chapters are printed by code from ``results/``; the sentences around them are
written by hand. Each claim below rebuilds a sentence's numbers from the committed files, so a
rerun that changes a result fails here until the prose is read again.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import mlmap

BOOK = mlmap.RESULTS_DIR.parent / "book"
SCREENING = mlmap.RESULTS_DIR / "screening" / "summary.csv"


def prose(chapter: str) -> str:
    """The chapter's text with line breaks as spaces (a sentence may wrap anywhere)."""
    return re.sub(r"\s+", " ", (BOOK / chapter).read_text())


def wss(variant: str, model: str, how: str = "mean") -> float:
    rows = pd.read_csv(SCREENING).query("variant == @variant and model == @model")["wss95"]
    assert len(rows), f"no {model} runs on {variant} in {SCREENING}"
    return float(getattr(rows, how)())


def perfect(variant: str) -> float:
    """WSS@95 of a ranking with every relevant document first (the same for every seed set)."""
    from mlmap import simulation_runs

    frame = simulation_runs.variant_frame(mlmap.load_labels(), variant)
    labels = np.sort(frame["label"].to_numpy())[::-1]
    return simulation_runs.summarise_order(labels)["wss95"]


def f3(value: float) -> str:
    return f"{value:.3f}"


def signed(value: float) -> str:
    return f"{value:+.3f}"


VARIANTS = ("full", "low_prevalence", "low2")
DESIGN, ASREVIEW, FINE_TUNED = "minilm_tfidf_svm", "asreview_elas_u4", "minilm_finetuned_lr1e4_2ep"


def stopping_claims() -> list[str]:
    m = {v: {} for v in VARIANTS}

    def mean(v, model):
        return m[v].setdefault(model, wss(v, model))

    def gain(model):
        return ", ".join(signed(mean(v, DESIGN) - mean(v, model)) for v in VARIANTS)

    return [
        f"WSS@95 {f3(mean('low_prevalence', FINE_TUNED))} against {f3(mean('low_prevalence', 'tfidf'))}",
        f"ASReview saves the most ({f3(mean('low_prevalence', ASREVIEW))})",
        f"WSS@95 {f3(mean('full', FINE_TUNED))} for the transformer, {f3(mean('full', 'tfidf'))} for TF-IDF and "
        f"{f3(mean('full', ASREVIEW))} for ASReview",
        f"best seed set ({f3(wss('full', FINE_TUNED, 'max'))})",
        f"ASReview's worst ({f3(wss('full', ASREVIEW, 'min'))})",
        f"{f3(mean('full', DESIGN))} on all 1,500 documents against ASReview's {f3(mean('full', ASREVIEW))}, "
        f"{f3(mean('low_prevalence', DESIGN))} at 5% relevant against {f3(mean('low_prevalence', ASREVIEW))}, and "
        f"{f3(mean('low2', DESIGN))} at 2% against {f3(mean('low2', ASREVIEW))}",
        f"{gain(DESIGN + '_no_minilm')}. The rarer",
        f"**Balancing**: {gain(DESIGN + '_unbalanced')}:",
        "(" + ", ".join(f3(mean(v, DESIGN + "_batch25")) for v in VARIANTS[:2]) + f" and {f3(mean('low2', DESIGN + '_batch25'))} "
        "against " + ", ".join(f3(mean(v, DESIGN)) for v in VARIANTS[:2]) + f" and {f3(mean('low2', DESIGN))} for every",
        "hinge loss at C 0.15 saves " + " and ".join(gain(DESIGN + "_squared_hinge").rsplit(", ", 1)) + ".",
        f"({f3(mean('full', DESIGN))} of {f3(perfect('full'))})",
        f"({f3(mean('low_prevalence', DESIGN))} of {f3(perfect('low_prevalence'))})",
        f"({f3(mean('low2', DESIGN))} of {f3(perfect('low2'))})",
        f"its worst seed set saves {f3(wss('low_prevalence', DESIGN, 'min'))}",
    ]


@pytest.mark.integration
def test_the_stopping_chapters_numbers_come_from_the_committed_simulations():
    text = prose("stopping.md")
    missing = [claim for claim in stopping_claims() if claim not in text]
    assert not missing, f"stopping.md should say, from {SCREENING.name}: {missing}"


@pytest.mark.integration
def test_the_map_chapters_numbers_come_from_the_committed_predictions():
    from mlmap import evidence_map

    labels = mlmap.load_labels()
    pred = pd.read_csv(mlmap.RESULTS_DIR / "map" / "predictions.csv").set_index("id").loc[labels["id"]].reset_index()
    instruments, sectors = mlmap.label_columns(labels, "4 -"), mlmap.label_columns(labels, "8 -")
    coded = labels[instruments + sectors].fillna(0)
    reviewers = evidence_map.map_counts(labels["INCLUDE"], coded[instruments], coded[sectors])
    expected = evidence_map.map_counts(pred["p_INCLUDE"], pred[["p_" + c for c in instruments]],
                                       pred[["p_" + c for c in sectors]])
    included = labels["INCLUDE"] == 1
    codes = instruments + sectors
    by_reviewers = labels.loc[included, codes].sum().to_numpy()
    by_probability = pred.loc[included, ["p_" + c for c in codes]].sum().to_numpy()
    by_threshold = pd.Series(pred.loc[included, ["pred_" + c for c in codes]].sum().to_numpy(),
                             index=[evidence_map.short_label(c) for c in codes])
    reviewed = pd.Series(by_reviewers, index=by_threshold.index)
    text = prose("map.md")

    widest = np.max(np.abs(by_probability - by_reviewers) / by_reviewers)
    assert f"within {int(np.ceil(widest * 100))}% of the reviewers' count" in text
    # the whole map's margins, rounded as the chapter's table shows them
    whole = pd.concat([reviewers.sum(axis=1), reviewers.sum(axis=0)]).round().astype(int)
    whole_expected = pd.concat([expected.sum(axis=1), expected.sum(axis=0)]).round().astype(int)
    assert f"Agreements is equal, Industry {whole_expected['Industry']} against {whole['Industry']}" in text
    assert whole_expected["Agreements"] == whole["Agreements"]
    assert (whole_expected > whole).sum() > len(whole) / 2  # "most are higher than the reviewers'"
    extra = int(pred["pred_INCLUDE"].sum() - labels["INCLUDE"].sum())
    assert f"about {round(extra, -1)} more documents than the reviewers included" in text
    ratio = by_threshold / reviewed
    assert "count Industry a fifth more often" in text and 1.15 <= ratio["Industry"] <= 1.25
    assert "Information and Waste a third less often" in text
    assert all(0.6 <= ratio[label] <= 0.73 for label in ("Information, education and training", "Waste"))


@pytest.mark.integration
def test_the_cv_chapters_clean_run_sentences_come_from_results():
    """The leads over the better baseline that book/cv.md states, from results/cv and results/cv-clean."""
    from mlmap import cv_results

    labels = mlmap.load_labels()
    run4 = pd.read_csv(mlmap.RESULTS_DIR / "cv" / "summary.csv")
    clean = pd.read_csv(mlmap.RESULTS_DIR / "cv-clean" / "summary.csv")
    kept = set(pd.read_csv(mlmap.RESULTS_DIR / "cv-clean" / "folds.csv")["id"])

    def lead(frame: pd.DataFrame, index: tuple[str, ...] = ("target",)) -> pd.Series:
        scores = frame.pivot_table(index=list(index), columns="model", values="f1")
        return scores["minilm"] - scores[["tfidf", "minilm_frozen"]].max(axis=1)

    fold0 = lead(run4[run4["fold"] == 0])
    folds12 = lead(run4[run4["fold"] > 0], ("target", "fold")).groupby(level="target").mean()
    in_clean = lead(clean)  # mean F1 per model first, then the lead, as the chapter's table
    text = prose("cv.md")
    targets = ("include", "instruments", "sectors")
    assert (f"+{fold0['include']:.3f} on screening, +{fold0['instruments']:.3f} on instrument types and "
            f"{fold0['sectors']:.3f} on sectors") in text
    assert "(" + ", ".join(signed(folds12[t]) for t in targets) + ")" in text
    assert all(fold0[t] < folds12[t] for t in targets)  # "less on every target"
    assert (f"ties the better baseline on screening ({in_clean['include']:.3f}) and instrument types "
            f"({in_clean['instruments']:.3f})") in text
    assert f"leads only on sectors ({signed(in_clean['sectors'])})" in text
    spread = clean.groupby(["target", "model"])["f1"].std()
    assert all(abs(in_clean[t]) < spread.loc[(t, "minilm")] for t in ("include", "instruments"))  # "within a fold's spread"
    here = cv_results.scores_on(mlmap.RESULTS_DIR / "cv", labels, "include", kept).groupby("model")["f1"].mean()
    change = clean[clean["target"] == "include"].groupby("model")["f1"].mean() - here
    assert f"the fine-tuned model loses {-change['minilm']:.3f}" in text
    assert change["tfidf"] >= -0.005 and change["minilm_frozen"] >= -0.005  # "baselines lose nothing"
