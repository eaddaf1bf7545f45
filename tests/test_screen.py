"""`screen`: a round on your own search (tiny model), the stopping rule's verdict from the right prefix, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from buscarpy import calculate_h0

import mlmap
from mlmap.__main__ import main
from mlmap.documents import DocumentsError, read_documents
from mlmap.screen_search import screening_state, stopping_verdict

WORDS = "emissions trading building standard subsidy forest transport label energy market".split()
TINY = mlmap.ScreenSettings(learning_rate=1e-3, epochs=1, min_steps=2, max_length=32, batch_size=8)


def _search(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Search results with a hidden truth: relevant documents mention a carbon tax."""
    rng = np.random.default_rng(seed)
    truth = (np.arange(n) % 4 == 0).astype(int)
    abstracts = [" ".join(list(rng.choice(WORDS, size=6)) + (["carbon", "tax"] if t else [])) for t in truth]
    frame = pd.DataFrame({"id": [f"D{i}" for i in range(n)], "title": [f"study {i}" for i in range(n)],
                          "abstract": abstracts, "label": ""})
    return frame, truth


def test_verdict_is_the_stopping_rule_on_the_labels_in_order():
    labels = np.r_[np.ones(20), np.zeros(3), 1, np.zeros(60)].astype(int)
    verdict = stopping_verdict(labels, total=400)
    assert verdict.p_value == pytest.approx(calculate_h0(labels, N=400, recall_target=0.95))
    assert verdict.screened == 84 and verdict.relevant_found == 21 and verdict.since_last_relevant == 60
    assert verdict.may_stop == (verdict.p_value < 0.05)
    # the recall frontier: the labels reject "recall below recall_at_least", not the next target up
    assert calculate_h0(labels, N=400, recall_target=verdict.recall_at_least) < 0.05
    assert calculate_h0(labels, N=400, recall_target=verdict.recall_at_least + 0.005) >= 0.05
    assert verdict.relevant_left_at_most == int(np.floor(21 / verdict.recall_at_least - 21 + 1e-9))
    assert "screened 84 of 400 documents, 21 relevant" in str(verdict)


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


def test_three_rounds_verdict_from_the_right_prefix_and_cached_rerun(tiny_encoder_dir, tmp_path):
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
        result = mlmap.screen(frame, order="order", settings=TINY, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache",
                              progress=False)
        in_order = truth[revealed]
        assert result.verdict.screened == len(revealed) == round_number * 6 + 12
        assert result.verdict.p_value == pytest.approx(calculate_h0(in_order, N=48, recall_target=0.95))
        assert result.verdict.since_last_relevant == len(in_order) - 1 - int(np.flatnonzero(in_order)[-1])
        assert set(result.ranking.index).isdisjoint(revealed) and len(result.ranking) == 48 - len(revealed)
        assert result.ranking["rank"].tolist() == list(range(1, len(result.ranking) + 1))
        assert result.ranking["p_relevant"].is_monotonic_decreasing and not result.cached
        revealed += list(result.next_batch(6).index)
    again = mlmap.screen(frame.assign(label=frame["label"]), order="order", settings=TINY, model_name=tiny_encoder_dir,
                         cache_dir=tmp_path / "cache", progress=False)
    assert again.cached and again.ranking["p_relevant"].tolist() == result.ranking["p_relevant"].tolist()


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


@pytest.mark.parametrize("source", [".csv", ".parquet", ".ris", ".jsonl"])
@pytest.mark.parametrize("target", [".csv", ".ris"])
def test_the_command_round_trips_each_format(tiny_encoder_dir, tmp_path, source, target, capsys, monkeypatch):
    monkeypatch.setattr(mlmap.screen_search, "DEFAULT_SCREEN_CACHE", tmp_path / "cache")
    frame, truth = _search(30)
    for i in range(12):
        frame.loc[i, "label"] = str(truth[i] if i not in (1, 2) else 1)
    frame.loc[[13, 14, 15], "label"] = "1"
    label = _write(frame, tmp_path / f"search{source}")
    out = tmp_path / f"next{target}"
    assert main(["screen", str(tmp_path / f"search{source}"), "-o", str(out), "--label", label, "--batch", "5",
                 "--model", tiny_encoder_dir, "--epochs", "1", "--max-length", "32", "--learning-rate", "1e-3"]) == 0
    printed = capsys.readouterr().out
    assert "screened 15 of 30 documents" in printed and "p-value" in printed
    batch, ranking = read_documents(out), read_documents(tmp_path / f"next-ranking{target}")
    assert len(batch) == 5 and len(ranking) == 15
    ids = ranking["id"].tolist()
    assert set(ids) == {f"D{i}" for i in range(30)} - {f"D{i}" for i in [*range(12), 13, 14, 15]}
    if target == ".csv":
        # CSV cells read back as their text
        assert ranking["rank"].astype(int).tolist() == list(range(1, 16))
        assert ranking["p_relevant"].astype(float).is_monotonic_decreasing
        assert batch["id"].tolist() == ids[:5]
    else:
        assert all(any(n.startswith("p_relevant: ") for n in notes) for notes in ranking["notes"])


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
    assert "--ranking" in capsys.readouterr().err and renamed.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next-ranking.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".ris", ".parquet"])
def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path, suffix, monkeypatch):
    from mlmap import documents

    path = tmp_path / f"next{suffix}"
    path.write_bytes(b"the old file")
    frame, _ = _search(30)

    def fail_halfway(self, chunk):
        original(self, chunk.head(3) if isinstance(chunk, pd.DataFrame) else chunk.slice(0, 3))
        raise OSError("disk full")

    original = documents.DocumentWriter.write
    monkeypatch.setattr(documents.DocumentWriter, "write", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        documents.write_documents(frame, path)
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    monkeypatch.setattr(documents.DocumentWriter, "write", original)
    documents.write_documents(frame, path)
    assert len(read_documents(path)) == 30 and [p.name for p in tmp_path.iterdir()] == [path.name]
