"""The screening loop's parts on tiny corpora built here: balancer weights, query ties, the embedding cache, the loop."""

from __future__ import annotations

import numpy as np
import pytest

from mlmap.screening import balancers, features, loop, queries, wss


def test_balanced_weights_match_asreview_formula():
    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])  # n1 = 2, n0 = 8
    w = balancers.balanced_weights(labels, ratio=9.8)
    # ASReview: class weights {1: 1, 0: n1 / (ratio * n0)}, rescaled to sum to n
    raw = np.where(labels == 1, 1.0, 2 / (9.8 * 8))
    np.testing.assert_allclose(w, raw * 10 / raw.sum())
    assert w.sum() == pytest.approx(10)
    assert w[labels == 1].sum() / w[labels == 0].sum() == pytest.approx(9.8)
    np.testing.assert_allclose(balancers.balanced_weights(labels, 1.0)[labels == 1].sum(),
                               balancers.balanced_weights(labels, 1.0)[labels == 0].sum())
    with pytest.raises(ValueError, match="both classes"):
        balancers.balanced_weights(np.zeros(4), 9.8)


def test_max_query_breaks_ties_by_position_whatever_the_input_order():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9])
    candidates = np.array([7, 3, 2, 9, 5])
    assert queries.max_query(scores, candidates, 5).tolist() == [3, 5, 2, 7, 9]
    shuffle = np.array([4, 2, 0, 3, 1])
    assert queries.max_query(scores[shuffle], candidates[shuffle], 3).tolist() == [3, 5, 2]
    with pytest.raises(ValueError, match="NaN"):
        queries.max_query(np.array([np.nan, 1.0]), np.array([0, 1]))


class CountingEmbedder:
    """A fake encoder: a text's vector is its length and vowel count; records what it was asked to embed."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, texts):
        self.asked += list(texts)
        return np.array([[len(t), sum(c in "aeiou" for c in t)] for t in texts], dtype=np.float32)


def test_embedding_cache_is_keyed_by_content(tmp_path):
    embed = CountingEmbedder()
    texts = ["tax policy and growth", "a cat", "carbon pricing"]
    first = features.cached_embeddings(texts, "fake", 64, cache_dir=tmp_path, embed=embed)
    assert sorted(embed.asked) == sorted(texts)
    np.testing.assert_array_equal(first, embed(texts))
    embed.asked.clear()
    # same texts, another order and a repeat: every row from the cache, each the right text's
    again = features.cached_embeddings(texts[::-1] + ["a cat"], "fake", 64, cache_dir=tmp_path, embed=embed)
    assert embed.asked == []
    np.testing.assert_array_equal(again, np.r_[first[::-1], first[[1]]])
    # a changed text is embedded again; the unchanged ones are not
    changed = features.cached_embeddings(["a cat!", "carbon pricing"], "fake", 64, cache_dir=tmp_path, embed=embed)
    assert embed.asked == ["a cat!"]
    np.testing.assert_array_equal(changed, np.array([[6, 2], [14, 4]], dtype=np.float32))
    # another max_length or model is another cache
    embed.asked.clear()
    features.cached_embeddings(texts[:1], "fake", 32, cache_dir=tmp_path, embed=embed)
    assert embed.asked == texts[:1]


class SpyClassifier:
    """Scores by the first feature column; records the rows it was trained on (column 1 holds each row's position)."""

    fits: list[tuple[list[int], list[int]]] = []

    def __init__(self, *_: object) -> None:
        pass

    def fit(self, x, y, sample_weight=None):
        SpyClassifier.fits.append((x[:, 1].astype(int).tolist(), np.asarray(y).tolist()))
        assert sample_weight is not None and len(sample_weight) == len(y)
        return self

    def scores(self, x):
        return x[:, 0]


@pytest.mark.parametrize("settings", [loop.RankerSettings(step=1), loop.RankerSettings(step=3),
                                      loop.RankerSettings(schedule="screen")])
def test_loop_trains_only_on_revealed_labels(settings):
    rng = np.random.default_rng(0)
    labels = (rng.random(80) < 0.3).astype(int)
    x = np.c_[rng.random(80), np.arange(80)]
    seed = np.r_[np.flatnonzero(labels == 1)[:2], np.flatnonzero(labels == 0)[:2]]
    SpyClassifier.fits = []
    order = loop.simulate_order(x, labels, seed, settings, new_classifier=SpyClassifier)
    assert sorted(order) == list(range(80))
    assert order[:4].tolist() == seed.tolist()
    for trained, y in SpyClassifier.fits:
        # each fit sees exactly the documents screened before it, with their true labels
        assert trained == order[: len(trained)].tolist()
        assert y == labels[trained].tolist()
    sizes = [len(t) for t, _ in SpyClassifier.fits]
    assert sizes[0] == 4 and all(b > a for a, b in zip(sizes, sizes[1:]))
    if settings.schedule == "fixed":
        assert all(b - a == settings.step for a, b in zip(sizes, sizes[1:]))


def test_tiny_simulation_beats_random_on_a_separable_corpus():
    rng = np.random.default_rng(1)
    words_relevant, words_other = ["tax", "carbon", "price", "levy"], ["cat", "dog", "garden", "music"]
    labels = (rng.random(200) < 0.2).astype(int)
    texts = [" ".join(rng.choice(words_relevant if y else words_other, 6)) + " " + " ".join(rng.choice(
        words_relevant + words_other, 2)) for y in labels]
    settings = loop.RankerSettings(features="tfidf", step=1)
    x = loop.features_for(texts, settings)
    seed = np.r_[np.flatnonzero(labels == 1)[:2], np.flatnonzero(labels == 0)[:2]]
    order = loop.simulate_order(x, labels, seed, settings)
    ordered = labels[order]
    scores = -np.arange(len(order))
    assert wss(ordered, scores) > 0.6  # random order saves 0 on average; perfect saves 1 - 0.2 - 0.05
    random_order = rng.permutation(200)
    assert wss(labels[random_order], scores) < 0.2


def test_ranker_models_run_in_the_committed_simulations_format(tmp_path):
    import json

    import pandas as pd

    from mlmap import simulation_runs

    rng = np.random.default_rng(2)
    words = "carbon emissions building subsidy transport label energy".split()
    rows = [[f"W{i}", f"title {i}", " ".join(rng.choice(words, 5)) + (" tax policy" if i < 60 else " physics"),
             float(i < 60)] for i in range(160)]
    df = pd.DataFrame(rows, columns=["id", "title", "abstract", "INCLUDE"])
    # the TF-IDF ablation needs no encoder, so this stays fast and offline
    model = next(m for m, s in loop.RANKER_MODELS.items() if s.features == "tfidf")
    summary = simulation_runs.run_simulations(["full"], [model], n_seed_sets=2, out=tmp_path, df=df, progress=False)
    assert summary["model"].tolist() == [model, model] and (summary["wss95"] > 0.3).all()
    sets = pd.read_csv(tmp_path / "seed_sets.csv")
    for k in range(2):
        run = json.loads((tmp_path / "runs" / simulation_runs.run_name("full", model, k)).read_text())
        assert run["complete"] and sorted(run["ids"]) == sorted(df["id"])
        seeds = sets[(sets["variant"] == "full") & (sets["seed_set"] == k)]["id"].tolist()
        assert run["ids"][: len(seeds)] == seeds and run["fits"] > 1
    record = json.loads((tmp_path / "run.json").read_text())["runs"][-1]
    assert record["rankers"][model]["features"] == "tfidf"


def test_a_reused_summary_recomputes_exactly_the_runs_that_changed(tmp_path, monkeypatch):
    import json
    import os

    import pandas as pd

    from mlmap import simulation_runs

    rng = np.random.default_rng(3)
    rows = [[f"W{i}", f"title {i}", " ".join(rng.choice(["carbon", "tax", "subsidy", "label"], 5)) +
             (" policy" if i < 60 else " physics"), float(i < 60)] for i in range(150)]
    df = pd.DataFrame(rows, columns=["id", "title", "abstract", "INCLUDE"])
    model = next(m for m, s in loop.RANKER_MODELS.items() if s.features == "tfidf")
    simulation_runs.run_simulations(["full"], [model], n_seed_sets=3, out=tmp_path, df=df, progress=False,
                                    summarise=False)
    assert not (tmp_path / "summary.csv").exists()
    first = simulation_runs.write_summary(tmp_path, df)
    summarised = []
    original = simulation_runs.summarise_order
    monkeypatch.setattr(simulation_runs, "summarise_order",
                        lambda labels: summarised.append(labels.tolist()) or original(labels))

    # nothing changed: every row reused, none recomputed, the table as computed from scratch
    pd.testing.assert_frame_equal(simulation_runs.write_summary(tmp_path, df, reuse=True), first)
    assert summarised == []

    # run 1 redone in another order (its seed set, then the rest reversed), its file's time left as it was
    # (copied back with its times, say): its row is stale and must be recomputed, the others reused
    runs, truth = tmp_path / "runs", df.set_index("id")["INCLUDE"]
    path = runs / simulation_runs.run_name("full", model, 1)
    run, times = json.loads(path.read_text()), (path.stat().st_atime, path.stat().st_mtime)
    seeds = len(pd.read_csv(tmp_path / "seed_sets.csv").query("seed_set == 1"))
    path.write_text(json.dumps({**run, "ids": run["ids"][:seeds] + run["ids"][seeds:][::-1]}))
    os.utime(path, times)
    labels = truth.loc[json.loads(path.read_text())["ids"]].to_numpy().astype(int)
    again = simulation_runs.write_summary(tmp_path, df, reuse=True)
    assert summarised == [labels.tolist()]
    # its documents to 95% recall, counted in the new order: later than the ranker's own order
    needed = int(np.ceil(0.95 * labels.sum()))
    assert again.loc[1, "docs_for_95_recall"] == int(np.flatnonzero(np.cumsum(labels) == needed)[0]) + 1
    assert again.loc[1, "docs_for_95_recall"] > first.loc[1, "docs_for_95_recall"]
    pd.testing.assert_frame_equal(again.drop(index=1), first.drop(index=1))
    summarised.clear()
    pd.testing.assert_frame_equal(simulation_runs.write_summary(tmp_path, df, reuse=True), again)
    assert summarised == []  # recomputed once, then reused

    # a run removed since: its row goes, the others are reused
    (runs / simulation_runs.run_name("full", model, 2)).unlink()
    pd.testing.assert_frame_equal(simulation_runs.write_summary(tmp_path, df, reuse=True), again.drop(index=2))
    assert summarised == []
    pd.testing.assert_frame_equal(simulation_runs.write_summary(tmp_path, df), again.drop(index=2))


def test_embeddings_batched_by_length_come_back_in_the_texts_order(tiny_encoder_dir):
    from mlmap.baselines import sentence_embeddings

    # lengths out of order, so that sorting by length reorders them
    texts = ["carbon tax " * 9, "a", "emissions trading scheme", "forest " * 20, "b c", "subsidy for buildings"]
    together = sentence_embeddings(texts, tiny_encoder_dir, batch_size=2, max_length=32)
    alone = np.concatenate([sentence_embeddings([t], tiny_encoder_dir, max_length=32) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert sentence_embeddings([], tiny_encoder_dir).shape[0] == 0


def test_the_hinge_loss_lets_one_mislabelled_document_pull_the_margin_less():
    rng = np.random.default_rng(0)
    # two separable groups on a line, and one document coded relevant far on the irrelevant side
    x = np.r_[rng.uniform(-2, -1, 40), rng.uniform(1, 2, 40), [-10.0]][:, None]
    y = np.r_[np.zeros(40), np.ones(40), [1]]
    slopes = {}
    for loss in ("hinge", "squared_hinge"):
        settings = loop.RankerSettings(classifier="svm", c=1.0, loss=loss)
        model = loop.default_classifier(settings, 0).fit(x, y)
        assert model.model.loss == loss
        scores = model.scores(np.array([[-1.5], [1.5]]))
        assert scores[0] < 0 < scores[1]
        slopes[loss] = scores[1] - scores[0]
    # the squared loss pays the outlier's distance squared, so it flattens the margin to reach it
    assert slopes["hinge"] > 2 * slopes["squared_hinge"]
    with pytest.raises(ValueError, match="hinge or squared_hinge"):
        loop.default_classifier(loop.RankerSettings(loss="log"), 0)
    # logistic regression has one loss; the setting is ignored for it rather than refused
    assert loop.default_classifier(loop.RankerSettings(classifier="logistic", loss="hinge"), 0) is not None


def test_ablations_share_a_feature_matrix_only_where_their_features_are_the_same():
    keys = {name: ranker.feature_key() for name, ranker in loop.RANKER_MODELS.items()}
    # the classifier, its loss, the balance and the schedule do not change the features
    assert keys["minilm_tfidf_svm_squared_hinge"] == keys["minilm_tfidf_svm_unbalanced"] == keys["minilm_tfidf_svm"]
    assert keys["minilm_tfidf_svm_no_minilm"] != keys["minilm_tfidf_svm"]
    assert loop.DEFAULT_RANKER.with_(max_length=128).feature_key() != keys["minilm_tfidf_svm"]
