"""`screen`: a round on your own search (tiny model), the stopping rule's verdict from the right prefix, bad input."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stopping_by_counting import p_value_by_counting

import mlmap
from mlmap.__main__ import main
from mlmap.io import DocumentsError, read_documents
from mlmap.screening import screen_labels, screen_search
from mlmap.screening.screen_labels import screening_state
from mlmap.screening.verdict import VERDICT_WIDTH, stopping_verdict

WORDS = "emissions trading building standard subsidy forest transport label energy market".split()
# enough steps for the tiny model to learn: screen refuses a model that did not (mlmap.learning)
TINY_FINE_TUNED = mlmap.ScreenSettings(ranker="fine_tuned", learning_rate=1e-2, epochs=15, min_steps=30, max_length=32,
                                       batch_size=8)
# the default ranker: the tiny encoder's embeddings and TF-IDF, an SVM
TINY_FIXED = mlmap.ScreenSettings(max_length=32)
# the command's options for each: the default ranker takes no fine-tuning options
TINY_ARGS = ["--max-length", "32"]


def _search(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Search results with a hidden truth: relevant documents mention a carbon tax."""
    rng = np.random.default_rng(seed)
    truth = (np.arange(n) % 4 == 0).astype(int)
    abstracts = [" ".join(list(rng.choice(WORDS, size=6)) + (["carbon", "tax"] if t else [])) for t in truth]
    frame = pd.DataFrame({"id": [f"D{i}" for i in range(n)], "title": [f"study {i}" for i in range(n)],
                          "abstract": abstracts, "label": ""})
    return frame, truth


def test_verdict_on_a_case_counted_by_hand():
    # 5 of 6 documents screened, 2 relevant. Recall below 60% would need 4 relevant documents in all, 2 of
    # them in the 1 left: impossible, so p = 0. Recall is at least 2/3 whatever the last document is: the
    # frontier is 66.5% on the 0.5% grid, and at 67% (3 relevant in all) the last three irrelevant documents
    # drawn from the 4 not screened before them, 1 of them relevant, have a chance of 1/4
    verdict = stopping_verdict(np.array([1, 1, 0, 0, 0]), total=6, recall_target=0.6)
    assert verdict.p_value == 0 and verdict.may_stop
    assert verdict.recall_at_least == pytest.approx(0.665) and verdict.relevant_left_at_most == 1
    assert p_value_by_counting([1, 1, 0, 0, 0], 6, 0.67) == Fraction(1, 4)
    assert verdict.screened == 5 and verdict.relevant_found == 2 and verdict.since_last_relevant == 3
    assert str(verdict).splitlines()[0] == "You may stop: recall is at least 60%, with 95% confidence."


def test_verdict_is_the_stopping_rule_on_the_labels_in_order():
    labels = np.r_[np.ones(20), np.zeros(3), 1, np.zeros(60)].astype(int)
    verdict = stopping_verdict(labels, total=400)
    assert verdict.p_value == pytest.approx(float(p_value_by_counting(labels, 400, 0.95)), rel=1e-9)
    assert verdict.screened == 84 and verdict.relevant_found == 21 and verdict.since_last_relevant == 60
    assert verdict.may_stop == (verdict.p_value < 0.05)
    # the recall frontier: the labels reject "recall below recall_at_least", not the next target up
    assert p_value_by_counting(labels, 400, verdict.recall_at_least) < Fraction(1, 20)
    assert p_value_by_counting(labels, 400, verdict.recall_at_least + 0.005) >= Fraction(1, 20)
    assert verdict.relevant_left_at_most == int(np.floor(21 / verdict.recall_at_least - 21 + 1e-9))
    assert "84 of 400 documents are screened; 21 are relevant." in str(verdict).splitlines()
    # in another order the same labels say something else: the verdict reads them in screening order
    assert stopping_verdict(labels[::-1], total=400).p_value == pytest.approx(
        float(p_value_by_counting(labels[::-1], 400, 0.95)), rel=1e-9)


def test_the_verdict_says_stop_once_missing_the_target_is_impossible():
    # 100 relevant found, 4 documents left: recall is at least 100/104 > 95% whatever they are
    verdict = stopping_verdict(np.r_[np.ones(100), np.zeros(396)].astype(int), total=500)
    assert verdict.recall_at_least >= 0.95
    assert verdict.p_value == 0 and verdict.may_stop
    # 8 relevant found and 92 left: recall is at least 8 / (8 + 92) = 8% whatever the rest are, so the
    # frontier is at least there (it said "not even 0.5%" while the p-values were nan)
    few = stopping_verdict(np.ones(8, int), total=100)
    assert few.recall_at_least == pytest.approx(0.08) and few.relevant_left_at_most == 92


def _bad_states() -> dict[str, tuple[dict, str]]:
    return {
        "no label column": ({"label": None}, "no label column 'label'"),
        "no labels": ({}, "no document has a label"),
        "not 0/1": ({"labels": {0: "yes"}}, "values other than 0, 1 or blank: ['yes']"),
        "one class": ({"labels": {i: "1" for i in range(8)}}, "all 8 labelled documents are relevant (1)"),
        "too few": ({"labels": {**{i: "1" for i in range(3)}, **{i: "0" for i in range(3, 20)}}},
                    "3 relevant and 17 irrelevant documents are labelled: screen more by hand first, until there are at least 5"),
        "nothing left": ({"labels": {i: str(i % 2) for i in range(40)}}, "there is nothing left to rank"),
        "order gaps": ({"labels": {i: str(i % 2) for i in range(10)}, "order": {i: i + 1 + (i > 4) for i in range(10)}},
                       "has gaps: the 10 screened documents should be numbered 1 to 10, but [6] are missing"),
        "order duplicates": ({"labels": {i: str(i % 2) for i in range(10)}, "order": {i: min(i + 1, 9) for i in range(10)}},
                             "repeats the place(s) [9]"),
        "order on unlabelled": ({"labels": {i: str(i % 2) for i in range(10)}, "order": {i: i + 1 for i in range(11)}},
                                "gives a position to 1 unlabelled document"),
        "order missing": ({"labels": {i: str(i % 2) for i in range(10)}, "order": {i: i + 1 for i in range(9)}},
                          "is blank or not a number for 1 labelled document"),
    }


def _state_frame(case: dict) -> tuple[pd.DataFrame, str | None]:
    frame, _ = _search()
    if "label" in case and case["label"] is None:
        frame = frame.drop(columns="label")
    for i, value in case.get("labels", {}).items():
        frame.loc[i, "label"] = value
    if "order" in case:
        frame["order"] = ""
        for i, value in case["order"].items():
            frame.loc[i, "order"] = str(value)
    return frame, "order" if "order" in case else None


@pytest.mark.parametrize("case", list(_bad_states()))
def test_every_bad_state_is_a_clear_error(case):
    spec, message = _bad_states()[case]
    frame, order = _state_frame(spec)
    with pytest.raises(DocumentsError) as error:
        screening_state(frame, "label", order)
    assert message in str(error.value)


@pytest.mark.parametrize("case", ["no labels", "one class", "order gaps"])
def test_the_command_writes_nothing_for_bad_input(tmp_path, case, capsys):
    spec, message = _bad_states()[case]
    frame, order = _state_frame(spec)
    frame.to_csv(tmp_path / "search.csv", index=False)
    out = tmp_path / "next.csv"
    args = ["screen", str(tmp_path / "search.csv"), "-o", str(out), *(["--order", order] if order else [])]
    assert main(args) == 1
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.csv"]


@pytest.mark.parametrize("settings", [TINY_FIXED, TINY_FINE_TUNED], ids=["minilm_tfidf_svm", "fine_tuned"])
def test_three_rounds_verdict_from_the_right_prefix_and_cached_rerun(tiny_encoder_dir, tmp_path, settings):
    frame, truth = _search(48)
    frame["order"] = ""
    # a first sample screened by hand, in a shuffled order that differs from file order
    first = np.r_[np.flatnonzero(truth == 1)[:5], np.flatnonzero(truth == 0)[:7]]
    first = np.random.default_rng(1).permutation(first)
    revealed = list(first)
    for round_number in range(3):
        frame["label"] = ""
        frame["order"] = ""
        for place, i in enumerate(revealed, start=1):
            frame.loc[i, "label"] = str(truth[i])
            frame.loc[i, "order"] = str(place)
        result = mlmap.screen(frame, order="order", settings=settings, model_name=tiny_encoder_dir,
                              cache_dir=tmp_path / "cache", progress=False)
        in_order = truth[revealed]
        assert result.verdict.screened == len(revealed) == round_number * 6 + 12
        assert result.verdict.p_value == pytest.approx(float(p_value_by_counting(in_order, 48, 0.95)), rel=1e-9)
        assert result.verdict.since_last_relevant == len(in_order) - 1 - int(np.flatnonzero(in_order)[-1])
        assert set(result.ranking.index).isdisjoint(revealed) and len(result.ranking) == 48 - len(revealed)
        assert result.ranking["rank"].tolist() == list(range(1, len(result.ranking) + 1))
        score = settings.score_column
        assert result.ranking[score].is_monotonic_decreasing and not result.cached
        if round_number == 0:  # the ranker learned: the relevant documents (they mention a carbon tax) come first
            assert truth[result.next_batch(6).index].mean() > truth[result.ranking.index].mean()
        revealed += list(result.next_batch(6).index)
    again = mlmap.screen(frame.assign(label=frame["label"]), order="order", settings=settings, model_name=tiny_encoder_dir,
                         cache_dir=tmp_path / "cache", progress=False)
    assert again.cached and again.ranking[score].tolist() == result.ranking[score].tolist()


def _write(frame: pd.DataFrame, path: Path) -> str:
    """The search in a format; returns the name the label column has there."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".ris":
        path.write_text("".join(f"TY  - JOUR\nID  - {r.id}\nTI  - {r.title}\nAB  - {r.abstract}\n"
                                + (f"C1  - {r.label}\n" if r.label != "" else "") + "ER  - \n\n" for r in frame.itertuples()))
        return "custom1"
    else:
        path.write_text("".join(json.dumps({"id": r.id, "title": r.title, "label": r.label or None,
                                            "abstract_inverted_index": {w: [k] for k, w in enumerate(r.abstract.split())
                                                                        if w not in r.abstract.split()[:k]}}) + "\n"
                                for r in frame.itertuples()))
    return "label"


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screen-cache")


@pytest.mark.parametrize("source", [".csv", ".parquet", ".ris", ".jsonl"])
@pytest.mark.parametrize("target", [".csv", ".ris"])
def test_the_command_round_trips_each_format(tiny_encoder_dir, tmp_path, source, target, capsys, monkeypatch,
                                            shared_cache):
    # one search in eight pairs of formats: one ranking, trained once (the cache is the project's, moved)
    monkeypatch.setattr(screen_search, "DEFAULT_SCREEN_CACHE", shared_cache)
    frame, truth = _search(30)
    for i in range(12):
        frame.loc[i, "label"] = str(truth[i] if i not in (1, 2) else 1)
    frame.loc[[13, 14, 15], "label"] = "1"
    label = _write(frame, tmp_path / f"search{source}")
    out = tmp_path / f"next{target}"
    assert main(["screen", str(tmp_path / f"search{source}"), "-o", str(out), "--label", label, "--batch", "5",
                 "--model", tiny_encoder_dir, *TINY_ARGS]) == 0
    printed = capsys.readouterr().out
    assert "15 of 30 documents are screened" in printed and "p-value" in printed
    batch, ranking = read_documents(out), read_documents(tmp_path / f"next-ranking{target}")
    assert len(batch) == 5 and len(ranking) == 15
    ids = ranking["id"].tolist()
    assert set(ids) == {f"D{i}" for i in range(30)} - {f"D{i}" for i in [*range(12), 13, 14, 15]}
    if target == ".csv":
        # CSV cells read back as their text
        assert ranking["rank"].astype(int).tolist() == list(range(1, 16))
        assert ranking["svm_score"].astype(float).is_monotonic_decreasing
        assert batch["id"].tolist() == ids[:5]
    else:
        assert all(any(n.startswith("svm_score: ") for n in notes) for notes in ranking["notes"])


def _labelled_search(tmp_path: Path) -> Path:
    """A search file with 12 screened documents of both classes, 28 left."""
    frame, truth = _search(40)
    for i in range(12):
        frame.loc[i, "label"] = str(truth[i] if i not in (1, 2) else 1)
    frame.loc[[13, 14, 15], "label"] = "1"
    frame.to_csv(tmp_path / "search.csv", index=False)
    return tmp_path / "search.csv"


@pytest.mark.parametrize("how", ["-o same path", "-o another spelling", "-o symlink", "--ranking same path",
                                 "--ranking absolute", "-o equals --ranking"])
def test_the_command_refuses_to_overwrite_its_input(tmp_path, how, capsys, monkeypatch):
    search = _labelled_search(tmp_path)
    before = search.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(search)
    monkeypatch.chdir(tmp_path / "sub")
    outputs = {"-o same path": ["-o", str(search)],
               "-o another spelling": ["-o", "../sub/../search.csv"],
               "-o symlink": ["-o", "../link.csv"],
               "--ranking same path": ["-o", "next.csv", "--ranking", "../search.csv"],
               "--ranking absolute": ["-o", "next.csv", "--ranking", str(search)],
               "-o equals --ranking": ["-o", "next.csv", "--ranking", "./next.csv"]}[how]
    assert main(["screen", str(search), *outputs]) == 1
    err = capsys.readouterr().err
    assert ("is the input file" in err and "another file name" in err) or "both name" in err
    assert search.read_bytes() == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["link.csv", "search.csv", "sub"]


def test_the_default_ranking_file_may_not_be_the_input(tmp_path, capsys):
    search = _labelled_search(tmp_path)
    renamed = search.rename(tmp_path / "next-ranking.csv")
    before = renamed.read_bytes()
    assert main(["screen", str(renamed), "-o", str(tmp_path / "next.csv")]) == 1
    assert "goes to " + str(renamed) + " by default (NEXT-ranking), which is the input file: give --ranking another" \
        in capsys.readouterr().err
    assert renamed.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next-ranking.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".ris", ".parquet"])
def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path, suffix, monkeypatch):
    from mlmap.io import writers

    path = tmp_path / f"next{suffix}"
    path.write_bytes(b"the old file")
    frame, _ = _search(30)

    def fail_halfway(self, chunk):
        original(self, chunk.head(3) if isinstance(chunk, pd.DataFrame) else chunk.slice(0, 3))
        raise OSError("disk full")

    original = writers.DocumentWriter.write
    monkeypatch.setattr(writers.DocumentWriter, "write", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        writers.write_documents(frame, path)
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    monkeypatch.setattr(writers.DocumentWriter, "write", original)
    writers.write_documents(frame, path)
    assert len(read_documents(path)) == 30 and [p.name for p in tmp_path.iterdir()] == [path.name]


def _verdict_cases() -> dict[str, mlmap.StoppingVerdict]:
    # large searches rendered from made-up numbers: the rule itself takes minutes on a million labels
    big = dict(screened=912_000, total=9_999_999, relevant_found=12_000, recall_target=0.95, confidence=0.95,
               since_last_relevant=900_000)
    return {
        "may stop": stopping_verdict(np.r_[np.ones(10, int), np.zeros(40, int)], 60, recall_target=0.8),
        "may not stop": stopping_verdict(np.r_[np.ones(20), np.zeros(3), 1, np.zeros(60)].astype(int), 400),
        "not even 0.5%": stopping_verdict(np.ones(8, int), 5000),
        "none relevant": stopping_verdict(np.zeros(20, int), 100),
        "last was relevant, one left": stopping_verdict(np.r_[np.zeros(30, int), np.ones(10, int)], 41),
        "every document screened": stopping_verdict(np.r_[np.ones(10, int), np.zeros(10, int)], 20),
        "large numbers, may stop": mlmap.StoppingVerdict(**big, p_value=1.2e-26, may_stop=True, recall_at_least=0.995,
                                                         relevant_left_at_most=60),
        "large numbers, keep on": mlmap.StoppingVerdict(**big | dict(recall_target=0.975, confidence=0.999,
                                                                     relevant_found=1_234_567, since_last_relevant=0),
                                                        p_value=0.884, may_stop=False, recall_at_least=0.125,
                                                        relevant_left_at_most=8_641_969),
    }


@pytest.mark.parametrize("case", list(_verdict_cases()))
def test_the_verdict_is_one_short_sentence_a_line_and_says_first_whether_to_stop(case):
    verdict = _verdict_cases()[case]
    lines = verdict.lines()
    assert str(verdict) == "\n".join(lines) and len(lines) >= 3
    for line in lines:
        assert len(line) <= VERDICT_WIDTH, line
        # one whole sentence: a capital or a number first, a full stop last, no sentence ending inside
        assert line[0].isupper() or line[0].isdigit(), line
        assert line.endswith(".") and ". " not in line[:-1] and "; " not in line.split(":")[0][:1], line
    assert lines[0].startswith("You may stop:" if verdict.may_stop else "Keep screening:")
    assert not any(line.startswith(("You may stop", "Keep screening")) for line in lines[1:])


def test_the_verdict_lines_say_what_the_numbers_are():
    cases = _verdict_cases()
    assert cases["may stop"].may_stop and not cases["may not stop"].may_stop
    assert cases["may stop"].lines()[0] == "You may stop: recall is at least 80%, with 95% confidence."
    assert cases["may not stop"].lines() == [
        "Keep screening: recall 95% is not shown, at 95% confidence.",
        "84 of 400 documents are screened; 21 are relevant.",
        "60 were screened since the last relevant one.",
        "The p-value of 'recall 95% not yet reached' is 0.706.",
        "With 95% confidence, recall is at least 56.5%.",
        "So at most 16 of the 316 unscreened documents are relevant."]
    assert cases["not even 0.5%"].lines()[-1] == "With 95% confidence, recall is not shown to be even 0.5%."
    assert cases["none relevant"].lines()[1] == "20 of 100 documents are screened; none is relevant."
    assert cases["last was relevant, one left"].lines()[2] == "The last document screened was relevant."
    assert cases["every document screened"].lines() == ["You may stop: every document is screened.",
                                                        "20 of 20 documents are screened; 10 are relevant.",
                                                        "10 were screened since the last relevant one."]
    assert "912,000 of 9,999,999 documents are screened; 12,000 are relevant." in cases["large numbers, may stop"].lines()
    assert cases["large numbers, keep on"].lines()[0] == "Keep screening: recall 97.5% is not shown, at 99.9% confidence."


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(screen_search, "DEFAULT_SCREEN_CACHE", tmp_path / "cache")

    def run_it(frame, *options, name="search.csv"):
        search = tmp_path / name
        if frame is not None:
            frame.to_csv(search, index=False)
        code = main(["screen", str(search), "-o", str(tmp_path / "next.csv"), *options])
        captured = capsys.readouterr()
        return code, captured.out.splitlines(), captured.err

    return run_it


def test_every_document_screened_prints_the_verdict_and_ends_well(tmp_path, run):
    frame, truth = _search(40)
    frame["label"] = truth.astype(str)
    code, out, err = run(frame)
    assert code == 0
    assert out[0] == "You may stop: every document is screened."
    assert out[-1] == "Nothing is left to rank, so no file is written."
    assert "40 of 40 documents are screened; 10 are relevant." in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.csv"]


@pytest.mark.parametrize("labels, message", [
    ({i: "1" for i in range(8)}, "all 8 labelled documents are relevant (1)"),
    ({i: "0" for i in range(12)}, "all 12 labelled documents are irrelevant (0)"),
    ({**{i: "1" for i in range(3)}, **{i: "0" for i in range(3, 20)}}, "3 relevant and 17 irrelevant"),
])
def test_labels_too_few_to_learn_from_still_give_the_verdict(tmp_path, run, labels, message):
    frame, _ = _search(40)
    for i, value in labels.items():
        frame.loc[i, "label"] = value
    code, out, err = run(frame)
    assert code == 1
    assert out[0] == "Keep screening: recall 95% is not shown, at 95% confidence."
    assert f"{len(labels)} of 40 documents are screened" in out[1]
    assert message in err and "no ranking is made and no file is written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.csv"]
    with pytest.raises(screen_search.NoRankingError) as error:
        mlmap.screen(frame)
    assert error.value.verdict.screened == len(labels) and not error.value.nothing_left


def test_when_the_rule_says_stop_the_command_says_so_first(tiny_encoder_dir, tmp_path, run):
    frame, truth = _search(60)
    order = np.r_[np.flatnonzero(truth == 1)[:10], np.flatnonzero(truth == 0)[:40]]
    frame["order"] = ""
    for place, i in enumerate(order, start=1):
        frame.loc[i, "label"], frame.loc[i, "order"] = str(truth[i]), str(place)
    code, out, err = run(frame, "--order", "order", "--recall-target", "0.8", "--batch", "4", "--model",
                         tiny_encoder_dir, "--ranker", "fine_tuned", "--epochs", "15", "--max-length", "32",
                         "--learning-rate", "1e-2")
    assert code == 0
    assert out[0] == "You may stop: recall is at least 80%, with 95% confidence."
    assert not any("may stop" in line or "Keep screening" in line for line in out[1:])
    assert out.index(f"If you screen on, read these 4 next: {tmp_path / 'next.csv'}") > 0
    assert all(len(line) <= 78 for line in out if str(tmp_path) not in line)
    assert "labels: column 'label'" in err
    assert len(read_documents(tmp_path / "next.csv")) == 4


def _asreview_search(n: int = 30) -> tuple[pd.DataFrame, np.ndarray, dict[int, int]]:
    """A search as ASReview LAB exports it: 15 records labelled (relevant ones mention a carbon tax)."""
    frame, truth = _search(n)
    labelled = {i: int(truth[i]) for i in range(12)} | {13: 1, 14: 1, 15: 1}
    for i in (13, 14, 15):
        frame.loc[i, "abstract"] += " carbon tax"
    return frame.drop(columns="label"), truth, labelled


def test_asreview_ris_export_is_read_from_its_n1_notes(tiny_encoder_dir, tmp_path, run):
    frame, _, labelled = _asreview_search()
    records = []
    for i, r in enumerate(frame.itertuples()):
        notes = {1: ["ASReview_relevant"], 0: ["ASReview_irrelevant"]}.get(labelled.get(i), ["ASReview_not_seen"])
        if i % 5 == 0:  # a note of the reviewer's own, and a record with none: ASReview reads both
            notes = ["read the full text", *notes] if i in labelled else []
        records.append(f"TY  - JOUR\nID  - {r.id}\nTI  - {r.title}\nAB  - {r.abstract}\n"
                       + "".join(f"N1  - {n}\n" for n in notes) + "ER  - \n\n")
    (tmp_path / "asreview.ris").write_text("".join(records))
    code, out, err = run(None, "--batch", "5", "--model", tiny_encoder_dir, *TINY_ARGS, name="asreview.ris")
    assert code == 0, err
    assert "labels: ASReview LAB's N1 notes" in err
    relevant = sum(labelled.values())
    assert f"15 of 30 documents are screened; {relevant} are relevant." in out
    ranking = read_documents(tmp_path / "next-ranking.csv")
    assert set(ranking["id"]) == {f"D{i}" for i in range(30) if i not in labelled}


def test_asreview_csv_export_is_read_from_its_included_column(tiny_encoder_dir, tmp_path, run):
    frame, _, labelled = _asreview_search()
    # ASReview LAB: 1 relevant, 0 irrelevant, blank (or -1, as older versions write) not seen
    frame["included"] = ["" if i % 2 else "-1" for i in range(len(frame))]
    for i, value in labelled.items():
        frame.loc[i, "included"] = str(value)
    frame["asreview_ranking"] = np.arange(1, len(frame) + 1)
    code, out, err = run(frame, "--batch", "5", "--model", tiny_encoder_dir, *TINY_ARGS)
    assert code == 0, err
    assert "labels: ASReview LAB's column 'included'" in err
    assert f"15 of 30 documents are screened; {sum(labelled.values())} are relevant." in out
    assert len(read_documents(tmp_path / "next-ranking.csv")) == 15


@pytest.mark.parametrize("column, cells, expected", [
    ("label", ["1", "0", "", "1"], [1, 0, None, 1]),
    ("Included", ["1", "0", "-1", ""], [1, 0, None, None]),
    ("asreview_label", ["1", "0", "", "1.0"], [1, 0, None, 1]),
    ("notes", [["x", "ASReview_relevant"], ["ASReview_irrelevant"], ["ASReview_not_seen"], None], [1, 0, None, None]),
    ("notes", ["ASReview_relevant; x", "ASReview_irrelevant", "ASReview_validate_relevant", ""], [1, 0, None, None]),
])
def test_labels_are_found_without_being_named(column, cells, expected):
    frame = pd.DataFrame({"title": ["a", "b", "c", "d"], column: cells})
    labels, source = screen_labels.read_labels(frame)
    assert labels.tolist() == [pd.NA if e is None else e for e in expected]
    assert ("ASReview" in source) == (column != "label")


def test_labels_named_or_conflicting_are_read_as_asked():
    frame = pd.DataFrame({"label": ["1", "0"], "included": ["0", "1"], "notes": [["ASReview_relevant"], None]})
    assert screen_labels.read_labels(frame)[0].tolist() == [1, 0]
    assert screen_labels.read_labels(frame, "included")[0].tolist() == [0, 1]
    assert screen_labels.read_labels(frame, "notes")[0].tolist() == [1, pd.NA]
    with pytest.raises(DocumentsError, match="nor ASReview LAB's 'asreview_label' or 'included' column or N1 notes"):
        screen_labels.read_labels(frame[["notes"]].assign(notes=[["nothing"], None]))
    with pytest.raises(DocumentsError, match="1 record.s. hold both ASReview_relevant and ASReview_irrelevant"):
        screen_labels.read_labels(pd.DataFrame({"notes": [["ASReview_relevant", "ASReview_irrelevant"]]}))


def test_a_round_shows_what_it_does_while_it_works(tiny_encoder_dir, tmp_path, capsys):
    frame, truth = _search(40)
    for i in range(20):
        frame.loc[i, "label"] = str(truth[i])
    settings = mlmap.ScreenSettings(**{**TINY_FINE_TUNED.__dict__, "irrelevant_per_relevant": 1.0})
    mlmap.screen(frame, settings=settings, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache", progress=True)
    captured = capsys.readouterr()
    # the sample it learns from, not "all documents screened so far"; on stderr, so that piped output stays clean
    assert "fine-tuning on 10 of the 20 screened (5 relevant), ranking 20: " in captured.err and captured.out == ""
    again = mlmap.screen(frame, settings=settings, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache",
                         progress=True)
    assert again.cached and capsys.readouterr().err == ""


def test_the_default_ranker_says_what_it_does_and_embeds_each_text_once(tiny_encoder_dir, tmp_path, capsys):
    frame, truth = _search(40)
    for i in range(20):
        frame.loc[i, "label"] = str(truth[i])
    first = mlmap.screen(frame, settings=TINY_FIXED, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache",
                         progress=True)
    assert "features of 40 documents (embeddings cached after the first time), fitting on 20 screened, ranking 20: " \
        in capsys.readouterr().err
    assert first.settings.score_column == "svm_score" and "p_relevant" not in first.ranking
    # new labels, same corpus: the cached embeddings serve (nothing to embed), the same texts give the same rows
    frame.loc[20, "label"] = str(truth[20])
    calls = []
    from mlmap import baselines

    real = baselines.sentence_embeddings

    def counted(texts, *args, **kwargs):
        calls.append(len(texts))
        return real(texts, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(baselines, "sentence_embeddings", counted)
        second = mlmap.screen(frame, settings=TINY_FIXED, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache",
                              progress=False)
        # a new document is embedded alone
        third = mlmap.screen(pd.concat([frame, _search(41, seed=5)[0].tail(1)], ignore_index=True),
                             settings=TINY_FIXED, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache",
                             progress=False)
    assert len(third.ranking) == 20
    assert calls == [1] and not second.cached and len(second.ranking) == 19


def test_fine_tuning_options_need_the_fine_tuned_ranker(tmp_path, capsys):
    frame, truth = _search(30)
    for i in range(12):
        frame.loc[i, "label"] = str(truth[i])
    frame.to_csv(tmp_path / "search.csv", index=False)
    assert main(["screen", str(tmp_path / "search.csv"), "-o", str(tmp_path / "next.csv"), "--epochs", "3"]) == 1
    assert "--epochs set(s) how the fine_tuned ranker trains; the minilm_tfidf_svm ranker does not fine-tune" \
        in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.csv"]
    with pytest.raises(ValueError, match="unknown ranker 'svm': choose minilm_tfidf_svm, tfidf_svm, fine_tuned"):
        mlmap.ScreenSettings(ranker="svm")


def test_ticking_redraws_the_time_taken_and_is_quiet_when_told(capsys):
    import time

    from mlmap.progress import ticking

    with ticking("working", show=True, every=0.05):
        time.sleep(0.3)
    err = capsys.readouterr().err
    assert err.count("working: 00:0") >= 3, err
    with ticking("working", show=False):
        pass
    assert capsys.readouterr().err == ""


def test_a_failed_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    from mlmap.io import writers

    path = tmp_path / "next.csv"
    path.write_bytes(b"the old file")

    def no_rename(source, target):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(writers.os, "replace", no_rename)
    with pytest.raises(PermissionError):
        writers.write_documents(_search(5)[0], path)
    assert path.read_bytes() == b"the old file" and [p.name for p in tmp_path.iterdir()] == ["next.csv"]
