"""Simulated prioritised screening and the stopping rule: hand-made orders, a recording ranker, a tiny model."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from stopping_by_counting import p_value_by_counting

from mlmap import simulation, simulation_runs, stopping

SMALL = simulation.LoopSettings(seed_relevant=2, seed_irrelevant=2, min_batch=5, growth=0.5, max_length=32,
                                epochs=1, min_steps=2, batch_size=8)


def test_batch_schedule_grows_and_epochs_give_enough_steps():
    settings = simulation.LoopSettings(min_batch=50, growth=0.2)
    assert settings.next_batch(10, 1000) == 50
    assert settings.next_batch(500, 1000) == 100
    assert settings.next_batch(990, 1000) == 10  # never past the end
    assert settings.epochs_for(10) == 20  # one step per epoch: 20 epochs for 20 steps
    assert settings.epochs_for(1000) == 2


def test_training_sample_is_balanced_bounded_and_fresh_each_round():
    settings = simulation.LoopSettings(irrelevant_per_relevant=3.0, max_train=600)
    labels = np.r_[np.ones(48), np.zeros(600)].astype(int)
    sample = simulation.training_sample(labels, seed=0, settings=settings)
    assert labels[sample].sum() == 48 and len(sample) == 48 * 4 and len(set(sample)) == len(sample)
    assert not (simulation.training_sample(labels, seed=1, settings=settings) == sample).all()
    few = np.r_[np.ones(20), np.zeros(40)].astype(int)
    assert len(simulation.training_sample(few, 0, settings)) == 60  # small sets are kept whole
    many = np.r_[np.ones(500), np.zeros(600)].astype(int)
    sample = simulation.training_sample(many, 0, settings)
    assert len(sample) == 600 and many[sample].sum() == 150


def test_seed_sets_and_the_low_prevalence_subset():
    labels = np.r_[np.ones(60), np.zeros(140)].astype(int)
    seeds = simulation.seed_set(labels, seed=3)
    assert labels[seeds].tolist() == [1] * 5 + [0] * 5 and len(set(seeds)) == 10
    assert (simulation.seed_set(labels, seed=3) == seeds).all()
    keep = simulation.low_prevalence_subset(labels, 50, seed=1)
    assert keep[labels == 0].all() and labels[keep].sum() == 50
    assert (simulation.low_prevalence_subset(labels, 50, seed=1) == keep).all()
    with pytest.raises(ValueError, match="relevant"):
        simulation.seed_set(labels[:3], seed=0)


class RecordingRanker:
    """Scores documents by how often 'tax' occurs; records what each round was given."""

    def __init__(self, texts, labels):
        self.calls, self.truth = [], dict(zip(texts, labels))

    def __call__(self, train_texts, train_labels, other_texts, seed):
        self.calls.append((list(train_texts), list(train_labels), list(other_texts)))
        return np.array([t.count("tax") + 0.01 * (len(t) % 7) for t in other_texts], dtype=float)


def _corpus(n=60, relevant_every=4):
    texts = [f"doc {i} " + ("tax " if i % relevant_every == 0 else "forest ") * (1 + i % 3) for i in range(n)]
    labels = np.array([int(i % relevant_every == 0) for i in range(n)])
    return texts, labels


def test_the_loop_reveals_labels_only_of_screened_documents():
    texts, labels = _corpus()
    ranker = RecordingRanker(texts, labels)
    seeds = simulation.seed_set(labels, 0, SMALL)
    order = simulation.simulate_screening(texts, labels, seeds, ranker, SMALL, seed=0)
    assert sorted(order) == list(range(len(texts))) and order[:4].tolist() == seeds.tolist()
    screened = 4
    for train_texts, train_labels, other in ranker.calls:
        revealed = [texts[i] for i in order[:screened]]
        assert train_texts == revealed and train_labels == [ranker.truth[t] for t in revealed]
        assert not set(other) & set(train_texts) and len(other) + screened == len(texts)
        screened += SMALL.next_batch(screened, len(texts))
    # no model is trained once every relevant document has been screened
    last_trained = len(ranker.calls[-1][0])
    assert labels[order[:last_trained]].sum() < labels.sum()


def test_an_interrupted_simulation_resumes_to_the_same_order():
    texts, labels = _corpus()
    seeds = simulation.seed_set(labels, 1, SMALL)
    full = simulation.simulate_screening(texts, labels, seeds, RecordingRanker(texts, labels), SMALL, seed=0)
    saved = []

    def save_then_die(state):
        saved.append(json.loads(json.dumps(state)))  # what went to disk
        if len(saved) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulation.simulate_screening(texts, labels, seeds, RecordingRanker(texts, labels), SMALL, seed=0, save=save_then_die)
    ranker = RecordingRanker(texts, labels)
    resumed = simulation.simulate_screening(texts, labels, seeds, ranker, SMALL, seed=0, state=saved[-1])
    assert resumed.tolist() == full.tolist()
    assert len(ranker.calls[0][0]) == len(saved[-1]["order"])  # it went on from the saved round


def test_the_loop_with_a_tiny_fine_tuned_model(tiny_encoder_dir):
    texts, labels = _corpus(40)
    # enough steps for the tiny model to learn each round's labels: a model that did not is refused
    settings = dataclasses.replace(SMALL, learning_rate=1e-2, epochs=15, min_steps=30)
    ranker = simulation.FineTunedRanker(tiny_encoder_dir, settings)
    order = simulation.simulate_screening(texts, labels, simulation.seed_set(labels, 0, SMALL), ranker, SMALL, seed=0)
    assert sorted(order) == list(range(40))


def test_stopping_rule_p_values_on_a_case_counted_by_hand():
    # 4 of 10 documents screened, 2 relevant then 2 irrelevant; "recall below 50%" means 5 or more relevant
    # in all. The last n screened against the documents not screened before them (by hand, as subsets):
    #   n=1: 7 documents, at least 3 relevant, 0 drawn: 4/7       n=2: 8, at least 3, 0 of 2: C(5,2)/C(8,2) = 5/14
    #   n=3: 9, at least 4, at most 1 of 3: (C(5,3) + 4 C(5,2)) / C(9,3) = 25/42
    #   n=4: 10, at least 5, at most 2 of 4: (5 + 5 C(5,3) + C(5,2)^2) / C(10,4) = 31/42        p = min = 5/14
    # after 3 documents the smallest is 5/8 (the last one, from 8 documents holding at least 3); before, 1
    screened, p = stopping.stopping_p_values(np.array([1, 1, 0, 0]), 10, recall_target=0.5)
    assert screened.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(p, [1, 1, 5 / 8, 5 / 14], rtol=1e-12)
    # the same after every 2 documents, and the recall target asked for, not the default 95%
    screened, p = stopping.stopping_p_values(np.array([1, 1, 0, 0]), 10, recall_target=0.5, every=2)
    assert screened.tolist() == [2, 4] and p[-1] == pytest.approx(5 / 14)


@pytest.mark.parametrize("total", [300, 1000])
def test_stopping_rule_p_values_equal_exact_counts_of_the_hypothesis(total):
    # 20 relevant documents first, then 200 irrelevant ones; and a mixed order, against every third prefix
    labels = np.r_[np.ones(20), np.zeros(200)].astype(int)
    screened, p = stopping.stopping_p_values(labels, total, recall_target=0.95)
    assert screened[-1] == len(labels) and (np.diff(p[20:]) <= 1e-12).all()  # each irrelevant document lowers p
    assert p[-1] == pytest.approx(float(p_value_by_counting(labels, total, 0.95)), rel=1e-9, abs=1e-15)
    mixed = (np.random.default_rng(total).random(40) < np.linspace(0.8, 0.05, 40)).astype(int)
    screened, p = stopping.stopping_p_values(mixed, total, recall_target=0.9, every=3)
    expected = [float(p_value_by_counting(mixed[:n], total, 0.9)) for n in screened]
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-15)



def test_the_p_value_is_zero_once_missing_the_target_is_impossible():
    # every document screened: recall is known to be 100%
    labels = np.r_[np.ones(20), np.zeros(40)].astype(int)
    assert p_value_by_counting(labels, 60, 0.95) == 0
    screened, p = stopping.stopping_p_values(labels, 60)
    assert p[-1] == 0
    # every prefix, across the point where missing the target becomes impossible, against counting
    expected = [float(p_value_by_counting(labels[:n], 60, 0.95)) for n in screened]
    assert np.isfinite(p).all() and p[19] > 0  # 20 found, 40 left: the target may still be missed
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-15)

def test_stopping_point_is_where_the_p_value_first_falls_below_one_minus_confidence():
    labels = np.r_[np.ones(20), np.zeros(300)].astype(int)
    # by counting: the first prefix whose p-value is below 5%, on a search of 330 documents
    first = next(n for n in range(1, len(labels) + 1) if p_value_by_counting(labels[:n], 330, 0.95) < Fraction(1, 20))
    assert stopping.stopping_point(labels, 330) == first
    assert stopping.stopping_point(labels, 330, confidence=0.99) > first
    # on a 5,000-document search the same labels show nothing: most of it is unscreened
    assert p_value_by_counting(labels, 5000, 0.95) >= Fraction(1, 20)
    assert stopping.stopping_point(labels, 5000) is None
    with pytest.raises(ValueError, match="smaller"):
        stopping.stopping_p_values(labels, 10)
    with pytest.raises(ValueError, match="0/1"):
        stopping.stopping_p_values(np.array([0, 2]), 10)


def test_consecutive_irrelevant_heuristic_and_recall_at():
    labels = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0])
    assert stopping.consecutive_irrelevant_stop(labels, 3) == 7
    assert stopping.consecutive_irrelevant_stop(labels, 4) == 12
    assert stopping.consecutive_irrelevant_stop(labels, 5) is None
    assert stopping.recall_at(labels, 7) == pytest.approx(2 / 3)
    assert stopping.recall_at(labels, None) == 1.0


def _labels_frame(n=160, relevant=60):
    rng = np.random.default_rng(0)
    words = "carbon emissions building subsidy transport label energy".split()
    rows = []
    for i in range(n):
        include = int(i < relevant)
        text = " ".join(rng.choice(words, 5)) + (" tax policy" if include else " physics")
        rows.append([f"W{i}", f"title {i}", text, float(include)])
    return pd.DataFrame(rows, columns=["id", "title", "abstract", "INCLUDE"])


def test_run_simulations_resumes_and_summarises(tmp_path, monkeypatch):
    df = _labels_frame()
    summary = simulation_runs.run_simulations(models=["tfidf"], n_seed_sets=2, out=tmp_path, settings=SMALL, df=df,
                                              progress=False)
    assert list(summary.columns) == simulation_runs.SUMMARY_COLUMNS
    assert len(summary) == 4 and set(summary["variant"]) == {"full", "low_prevalence"}
    design = pd.read_csv(tmp_path / "variants.csv")
    low = design[design["variant"] == "low_prevalence"]["id"]
    assert df.set_index("id").loc[low, "INCLUDE"].sum() == 50 and len(low) == 150
    # every run screens each of its variant's documents once, starting from its seed set
    sets = pd.read_csv(tmp_path / "seed_sets.csv")
    for path in (tmp_path / "runs").glob("*.json"):
        run = json.loads(path.read_text())
        assert run["complete"] and sorted(run["ids"]) == sorted(design[design["variant"] == run["variant"]]["id"])
        seeds = sets[(sets["variant"] == run["variant"]) & (sets["seed_set"] == run["seed_set"])]["id"].tolist()
        assert run["ids"][: len(seeds)] == seeds
    # the summary is recomputed from the orders
    row = summary.iloc[0]
    run = json.loads((tmp_path / "runs" / simulation_runs.run_name(row["variant"], "tfidf", row["seed_set"])).read_text())
    truth = df.set_index("id").loc[run["ids"], "INCLUDE"].to_numpy()
    assert row["docs_for_95_recall"] == int(np.argmax(np.cumsum(truth) >= np.ceil(0.95 * truth.sum())) + 1)
    # an interrupted run (saved mid-way) is finished from where it stopped; finished ones are not rerun
    name = tmp_path / "runs" / simulation_runs.run_name("full", "tfidf", 0)
    finished = json.loads(name.read_text())
    rounds = finished["rounds"][:1]
    partial = {**finished, "complete": False, "ids": finished["ids"][: rounds[0]["screened"]], "rounds": rounds,
               "ranking": finished["ids"][4:]}
    name.write_text(json.dumps(partial))
    original_simulate = simulation_runs.simulate_screening

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulation_runs, "simulate_screening", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulation_runs.run_simulations(models=["tfidf"], n_seed_sets=2, out=tmp_path, settings=SMALL, df=df,
                                        progress=False)
    monkeypatch.setattr(simulation_runs, "simulate_screening", original_simulate)
    assert [r.get("interrupted") for r in json.loads((tmp_path / "run.json").read_text())["runs"]] == [None, True]
    again = simulation_runs.run_simulations(models=["tfidf"], n_seed_sets=2, out=tmp_path, settings=SMALL, df=df,
                                            progress=False)
    assert json.loads(name.read_text())["ids"] == finished["ids"]
    pd.testing.assert_frame_equal(again, summary)
    assert [r.get("interrupted") for r in json.loads((tmp_path / "run.json").read_text())["runs"]] == [None, True, None]
    with pytest.raises(ValueError, match="asreview"):
        simulation_runs.run_simulations(models=["asreview_elas_u4"], out=tmp_path, df=df)


def test_a_fine_tuned_run_is_not_continued_in_another_precision(tmp_path, tiny_encoder_dir):
    from mlmap.hardware import use_bf16

    df = _labels_frame()
    frame = simulation_runs.variant_frame(df, "full")
    seeds = simulation_runs.seed_sets(frame, 1, settings=SMALL)[0]
    ids = frame["id"].tolist()
    fine_tuned = simulation_runs.FINE_TUNED_MODEL
    # what the same run would record on a machine of the other precision
    made_by = simulation_runs.simulation_fingerprint(fine_tuned, tiny_encoder_dir, SMALL, df, simulation_runs.SEED)
    made_by["precision"] = "fp32" if use_bf16() else "bf16"
    partial = {"variant": "full", "model": fine_tuned, "seed_set": 0, "complete": False, "bf16": not use_bf16(),
               "fingerprint": made_by, "ids": [ids[i] for i in seeds], "rounds": [], "ranking": ids, "seconds": 1.0}
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / simulation_runs.run_name("full", fine_tuned, 0)).write_text(json.dumps(partial))
    with pytest.raises(RuntimeError, match=r'was made with another precision \("(fp32|bf16)" there'):
        simulation_runs.run_simulations(["full"], [fine_tuned], n_seed_sets=1, out=tmp_path, model_name=tiny_encoder_dir,
                                        settings=SMALL, df=df, progress=False)


def test_the_fine_tuned_loops_name_says_the_settings_that_make_its_runs():
    # committed runs are found by name: new fine-tuning settings under the old name would mix two loops
    name, settings = simulation_runs.FINE_TUNED_MODEL, simulation.LOOP_SETTINGS
    assert f"_lr{settings.learning_rate:.0e}".replace("e-0", "e") in name, name
    assert name.endswith(f"_{settings.epochs}ep")


@pytest.mark.integration
def test_committed_simulations_start_from_their_seed_sets_and_summaries_recompute():
    """results/screening (made by `make simulate` and `make asreview-sim`): design, seed sets and every summary row."""
    import mlmap

    results, df = mlmap.RESULTS_DIR / "screening", mlmap.load_labels()
    sets = pd.read_csv(results / "seed_sets.csv")
    for variant in simulation_runs.VARIANTS:
        frame = simulation_runs.variant_frame(df, variant)
        expected = simulation_runs.seed_sets(frame, sets.query("variant == @variant")["seed_set"].nunique())
        for k, positions in enumerate(expected):
            assert sets.query("variant == @variant and seed_set == @k")["id"].tolist() == frame["id"].to_numpy()[positions].tolist()
    summary = pd.read_csv(results / "summary.csv")
    for model in ("tfidf", simulation_runs.ASREVIEW_MODEL):
        counts = summary[summary["model"] == model].groupby("variant").size().to_dict()
        assert {v: counts.get(v) for v in simulation_runs.DEFAULT_VARIANTS} == {"full": 5, "low_prevalence": 5}
    # the chapter's comparison: the fixed-feature ranker, its ablations, ASReview and TF-IDF on every variant
    # (the design chosen on half a of the documents is reported in results/screening-split)
    from mlmap.screening.loop import RANKER_MODELS

    book_design = [m for m in RANKER_MODELS if m.startswith("minilm_tfidf_svm")]
    for model in (*book_design, "tfidf", simulation_runs.ASREVIEW_MODEL):
        counts = summary[summary["model"] == model].groupby("variant").size().to_dict()
        assert counts == {"full": 5, "low_prevalence": 5, "low2": 10}, model
    orders = simulation_runs.load_orders(results, df)
    assert len(orders) == len(summary)
    for _, run in orders.iterrows():
        row = summary.query("variant == @run.variant and model == @run.model and seed_set == @run.seed_set").iloc[0]
        scores = -np.arange(len(run["labels"]))  # already in screening order
        assert mlmap.documents_for_recall(run["labels"], scores, 0.95) == row["docs_for_95_recall"]
        assert mlmap.wss(run["labels"], scores, 0.95) == pytest.approx(row["wss95"], abs=1e-6)
        # the stopping rule costs seconds a run (a p-value for every prefix): the first seed set of each model
        if run["seed_set"] == 0:
            recomputed = simulation_runs.summarise_order(run["labels"])
            assert recomputed["stop_at"] == row["stop_at"]
            assert recomputed["recall_at_stop"] == pytest.approx(row["recall_at_stop"], abs=1e-6)
    for path in (results / "runs").glob("*.json"):
        run = json.loads(path.read_text())
        seeds = sets.query("variant == @run['variant'] and seed_set == @run['seed_set']")["id"].tolist()
        assert sorted(run["ids"][: len(seeds)]) == sorted(seeds), path.name


def test_the_halves_split_the_documents_stratified_and_a_run_on_one_never_sees_the_other(tmp_path):
    df = _labels_frame(n=240, relevant=110)  # a half keeps the 50 relevant documents of the 5% variant
    a, b = simulation_runs.corpus_half(df, "a"), simulation_runs.corpus_half(df, "b")
    assert not set(a["id"]) & set(b["id"]) and set(a["id"]) | set(b["id"]) == set(df["id"])
    assert abs(a["INCLUDE"].sum() - b["INCLUDE"].sum()) <= 1  # stratified: the relevant documents split evenly
    pd.testing.assert_frame_equal(simulation_runs.corpus_half(df, "a"), a)  # seeded
    with pytest.raises(ValueError, match="unknown half 'c'"):
        simulation_runs.corpus_half(df, "c")
    simulation_runs.run_simulations(["full"], ["tfidf"], n_seed_sets=1, out=tmp_path, settings=SMALL, df=df,
                                    progress=False, half="b")
    screened = json.loads((tmp_path / "runs" / simulation_runs.run_name("full", "tfidf", 0)).read_text())["ids"]
    assert sorted(screened) == sorted(b["id"])
    assert set(pd.read_csv(tmp_path / "variants.csv")["id"]) <= set(b["id"])
    assert json.loads((tmp_path / "run.json").read_text())["runs"][-1]["half"] == "b"


@pytest.mark.integration
def test_the_committed_split_simulations_ran_on_half_b_and_their_summary_recomputes():
    """results/screening-split: every run screens half b's documents from half b's seed sets; every row recomputes;
    the design it reports is the one the search on half a chose by its rule."""
    import mlmap
    from mlmap.screening.loop import RANKER_MODELS

    results = mlmap.RESULTS_DIR / "screening-split"
    half_b = simulation_runs.corpus_half(mlmap.load_labels(), "b")
    half_a_ids = set(simulation_runs.corpus_half(mlmap.load_labels(), "a")["id"])
    sets = pd.read_csv(results / "seed_sets.csv")
    for variant in simulation_runs.VARIANTS:
        frame = simulation_runs.variant_frame(half_b, variant)
        for k, positions in enumerate(simulation_runs.seed_sets(frame, sets.query("variant == @variant")["seed_set"].nunique())):
            assert sets.query("variant == @variant and seed_set == @k")["id"].tolist() == frame["id"].to_numpy()[positions].tolist()
    summary = pd.read_csv(results / "summary.csv")
    orders = simulation_runs.load_orders(results, half_b)
    assert len(orders) == len(summary) == 3 * 20
    for path in (results / "runs").glob("*.json"):
        assert not set(json.loads(path.read_text())["ids"]) & half_a_ids, path.name
    for _, run in orders.iterrows():
        row = summary.query("variant == @run.variant and model == @run.model and seed_set == @run.seed_set").iloc[0]
        assert mlmap.wss(run["labels"], -np.arange(len(run["labels"])), 0.95) == pytest.approx(row["wss95"], abs=1e-6)
    search = [json.loads(line) for line in (results / "design_search.jsonl").read_text().splitlines()]
    assert {line["half"] for line in search} == {"a"}
    best = max(search, key=lambda line: (line["full"]["mean"] + line["low2"]["mean"]) / 2)
    chosen = dataclasses.asdict(RANKER_MODELS["tfidf_svm_squared_hinge"])
    assert best["settings"]["features"] == chosen["features"] == "tfidf"
    unused = {"embedding_weight"}  # TF-IDF alone: the embeddings' weight plays no part
    assert ({k: v for k, v in {**best["settings"], "step": 1}.items() if k not in unused}
            == {k: v for k, v in chosen.items() if k not in unused})
