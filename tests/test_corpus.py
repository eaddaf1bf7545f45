"""Document files in and out, saved model folders, `predict` (chunked, resumable, atomic) and `train`, on tiny models."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlmap
from mlmap import corpus
from mlmap.__main__ import main
from mlmap.io import DocumentsError, iter_documents, read_documents

WORDS = "carbon tax emissions trading building standard subsidy forest transport label policy energy".split()


def _documents(n: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "id": [f"W{i}" for i in range(n)],
        "title": [" ".join(rng.choice(WORDS, size=2 + i % 3)) for i in range(n)],
        "abstract": [" ".join(rng.choice(WORDS, size=5 + i % 7)) for i in range(n)],
        "year": [str(2000 + i) for i in range(n)],
    })


def _ris_text(frame: pd.DataFrame) -> str:
    return "".join(f"TY  - JOUR\nID  - {r.id}\nTI  - {r.title}\nAU  - Doe, J.\nAU  - Roe, R.\nAB  - {r.abstract}\n"
                   f"PY  - {r.year}\nER  - \n\n" for r in frame.itertuples())


def _openalex_line(row) -> str:
    words = row.abstract.split()
    index: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        index.setdefault(word, []).append(position)
    return json.dumps({"id": f"https://openalex.org/{row.id}", "title": row.title, "publication_year": int(row.year),
                       "abstract_inverted_index": index, "authorships": [{"author": {"display_name": "J. Doe"}}]})


def _write_input(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".feather":
        frame.to_feather(path)
    elif path.suffix == ".ris":
        path.write_text(_ris_text(frame))
    else:
        path.write_text("\n".join(_openalex_line(r) for r in frame.itertuples()) + "\n")
    return path


@pytest.fixture
def binary_model(tmp_path, make_tiny_model, tokenizer) -> Path:
    return mlmap.save_classifier(make_tiny_model(), tmp_path / "screening", tokenizer=tokenizer, label_names=["INCLUDE"],
                                 max_length=64, thresholds={"f1": [0.5], "recall95": [0.2]})


@pytest.fixture
def codes_model(tmp_path, make_tiny_model, tokenizer) -> Path:
    return mlmap.save_classifier(make_tiny_model(3, multilabel=True), tmp_path / "codes", tokenizer=tokenizer,
                                 label_names=["tax", "forest", "label"], max_length=64, thresholds={"f1": [0.5, 0.4, 0.6]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".feather", ".ris", ".jsonl"])
def test_every_input_format_reads_titles_and_abstracts(tmp_path, suffix):
    frame = _documents()
    read = read_documents(_write_input(frame, tmp_path / f"docs{suffix}"))
    assert len(read) == len(frame)
    title, abstract = mlmap.io.find_text_columns(read.columns)
    assert read[title].tolist() == frame["title"].tolist()
    assert read[abstract].tolist() == frame["abstract"].tolist()  # OpenAlex: rebuilt from the inverted index
    if suffix == ".ris":
        assert read["authors"].iloc[0] == ["Doe, J.", "Roe, R."]
    if suffix == ".jsonl":
        assert "abstract_inverted_index" not in read and json.loads(read["authorships"].iloc[0])[0]["author"]
    chunks = list(iter_documents(tmp_path / f"docs{suffix}", chunk_size=4))
    assert [len(c) for c in chunks] == [4, 4, 3]


@pytest.mark.parametrize("source", [".csv", ".parquet", ".feather", ".ris", ".jsonl"])
@pytest.mark.parametrize("target", [".csv", ".parquet", ".ris"])
def test_predict_round_trips_each_format_and_keeps_every_field(tmp_path, binary_model, source, target):
    frame = _documents()
    inp = _write_input(frame, tmp_path / f"in{source}")
    summary = corpus.predict_file(inp, [binary_model], tmp_path / f"out{target}", chunk_size=4, progress=False)
    assert summary.documents == len(frame) and summary.without_text == 0
    original, out = read_documents(inp), read_documents(tmp_path / f"out{target}")
    assert len(out) == len(frame)
    expected = mlmap.load_saved_classifier(binary_model).predict_proba(
        mlmap.io.document_texts(original, *mlmap.io.find_text_columns(original.columns)).tolist())[:, 0]
    if target == ".ris":
        notes = out["notes"].map(lambda n: [x for x in n if x.startswith("mlmap: INCLUDE")][0])
        p = notes.str.extract(r"p=([0-9.]+)")[0].astype(float)
        np.testing.assert_allclose(p, expected, atol=6e-5)
        assert out["title"].tolist() == frame["title"].tolist()
        return
    for column in original.columns:  # the input's fields, unchanged (CSV: as the text they were)
        a, b = original[column].tolist(), out[column].tolist()
        if target == ".csv":
            a = ["; ".join(v) if isinstance(v, list) else str(v) for v in a]
            b = [str(v) for v in b]
        assert a == b, column
    np.testing.assert_allclose(out["p_INCLUDE"].astype(float), expected, atol=1e-6)
    assert out["pred_INCLUDE"].astype(int).tolist() == (np.round(expected, 6) >= 0.5).astype(int).tolist()


def test_two_models_and_the_threshold_choice(tmp_path, binary_model, codes_model):
    inp = _write_input(_documents(), tmp_path / "in.csv")
    corpus.predict_file(inp, [binary_model, codes_model], tmp_path / "f1.csv", progress=False)
    corpus.predict_file(inp, [binary_model, codes_model], tmp_path / "low.csv", threshold="0", progress=False)
    f1, low = pd.read_csv(tmp_path / "f1.csv"), pd.read_csv(tmp_path / "low.csv")
    assert {"p_INCLUDE", "pred_INCLUDE", "p_tax", "pred_tax", "p_forest", "p_label"} <= set(f1.columns)
    assert (f1["pred_label"] == (f1["p_label"] >= 0.6)).all() and (f1["pred_forest"] == (f1["p_forest"] >= 0.4)).all()
    assert low["pred_INCLUDE"].eq(1).all()
    with pytest.raises(mlmap.ModelFolderError, match="no 'recall95' threshold"):
        corpus.predict_file(inp, [codes_model], tmp_path / "x.csv", threshold="recall95", progress=False)
    with pytest.raises(ValueError, match="both"):
        corpus.predict_file(inp, [codes_model, codes_model], tmp_path / "x.csv", progress=False)


def test_documents_without_text_get_no_prediction_and_a_warning(tmp_path, binary_model):
    frame = _documents(5)
    frame.loc[[1, 3], ["title", "abstract"]] = ""
    inp = _write_input(frame, tmp_path / "in.csv")
    with pytest.warns(UserWarning, match="2 document"):
        summary = corpus.predict_file(inp, [binary_model], tmp_path / "out.csv", progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert len(out) == 5 and summary.without_text == 2
    assert out["p_INCLUDE"].isna().tolist() == [False, True, False, True, False]
    assert out["pred_INCLUDE"].isna().tolist() == [False, True, False, True, False]


def test_chunked_output_equals_one_pass(tmp_path, binary_model):
    inp = _write_input(_documents(23), tmp_path / "in.parquet")
    for size, name in ((5, "chunked"), (1000, "whole")):
        corpus.predict_file(inp, [binary_model], tmp_path / f"{name}.csv", chunk_size=size, progress=False)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


@pytest.mark.parametrize("target", [".csv", ".parquet", ".ris"])
def test_an_interrupted_run_resumes_to_the_same_output(tmp_path, binary_model, monkeypatch, target):
    inp = _write_input(_documents(23), tmp_path / "in.ris")
    corpus.predict_file(inp, [binary_model], tmp_path / f"reference{target}", chunk_size=5, progress=False)
    out = tmp_path / f"out{target}"
    real, calls = corpus._predict_chunk, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(corpus, "_predict_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        corpus.predict_file(inp, [binary_model], out, chunk_size=5, progress=False)
    assert not out.exists() and len(list(corpus.work_folder(out).glob("chunk-*.parquet"))) == 2
    monkeypatch.setattr(corpus, "_predict_chunk", real)
    summary = corpus.predict_file(inp, [binary_model], out, chunk_size=5, progress=False)
    assert summary.resumed_chunks == 2
    assert out.read_bytes() == (tmp_path / f"reference{target}").read_bytes()
    assert not corpus.work_folder(out).exists()


def test_chunks_of_other_settings_are_not_reused(tmp_path, binary_model, monkeypatch, capsys):
    inp = _write_input(_documents(12), tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    monkeypatch.setattr(corpus, "assemble", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        corpus.predict_file(inp, [binary_model], out, chunk_size=5, progress=False)
    monkeypatch.undo()
    summary = corpus.predict_file(inp, [binary_model], out, chunk_size=5, threshold="recall95", progress=False)
    assert summary.resumed_chunks == 0 and "starting again" in capsys.readouterr().err
    assert pd.read_csv(out)["pred_INCLUDE"].eq((pd.read_csv(out)["p_INCLUDE"] >= 0.2).astype(int)).all()


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    no_text = tmp_path / "no_text.csv"
    pd.DataFrame({"id": [1], "heading": ["x"], "summary": ["y"]}).to_csv(no_text, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("title,abstract\n")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("title,abstract\nCO2 in M\xfcnchen,abc\n".encode("latin-1"))
    unclosed = tmp_path / "unclosed.ris"
    unclosed.write_text("TY  - JOUR\nTI  - one\nER  - \n\nTY  - JOUR\nTI  - two\n")
    nested = tmp_path / "nested.ris"
    nested.write_text("TY  - JOUR\nTI  - one\nTY  - JOUR\nTI  - two\nER  - \n")
    no_records = tmp_path / "no_records.ris"
    no_records.write_text("this is not a RIS file\n")
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"title": "a", "abstract_inverted_index": null}\n{"title": \n')
    not_parquet = tmp_path / "fake.parquet"
    not_parquet.write_text("title,abstract\na,b\n")
    return {
        "no title/abstract": (no_text, r"no title or abstract column among: id, heading, summary"),
        "empty file": (empty, "is empty"),
        "no documents": (header_only, "holds no documents"),
        "undecodable": (latin1, "not UTF-8"),
        "unclosed RIS": (unclosed, "never ends"),
        "nested RIS": (nested, "starts before the record of line 1 ends"),
        "no RIS records": (no_records, "holds no documents"),
        "bad JSON": (bad_json, "line 2: not valid JSON"),
        "not parquet": (not_parquet, "could not be read as parquet"),
    }


BAD_INPUTS = ["no title/abstract", "empty file", "no documents", "undecodable", "unclosed RIS", "nested RIS",
              "no RIS records", "bad JSON", "not parquet"]


def test_every_bad_input_is_tested(tmp_path):
    assert list(_bad_inputs(tmp_path)) == BAD_INPUTS


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, binary_model, case, capsys):
    path, message = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out" / "predicted.csv"
    assert main(["predict", str(path), "-o", str(out), "--model", str(binary_model)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not corpus.work_folder(out).exists()


def test_bad_models_and_outputs_are_clear_errors(tmp_path, binary_model, capsys):
    inp = _write_input(_documents(), tmp_path / "in.csv")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "config.json").write_text("{}")
    cases = [
        (["--model", str(tmp_path / "missing")], "does not exist; train one"),
        (["--model", str(tmp_path / "plain")], "not a model folder of mlmap (no mlmap.json)"),
        (["--model", str(binary_model), "--threshold", "best"], "no 'best' threshold"),
    ]
    for extra, message in cases:
        assert main(["predict", str(inp), "-o", str(tmp_path / "out.csv"), *extra]) == 1
        assert message in capsys.readouterr().err
    assert main(["predict", str(inp), "-o", str(tmp_path / "out.xlsx"), "--model", str(binary_model)]) == 1
    assert "unknown output format '.xlsx'" in capsys.readouterr().err
    assert main(["predict", str(inp), "-o", str(inp), "--model", str(binary_model)]) == 1
    assert "would overwrite the input" in capsys.readouterr().err
    assert list(tmp_path.glob("out*")) == []


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_saved_classifier_reloads_and_predicts_identically(tmp_path, make_tiny_model, tokenizer, binary_df, precision,
                                                           pooling):
    model = make_tiny_model(3, multilabel=True, pooling=pooling)
    dataset = mlmap.hf_tokenize_data(binary_df[["text"]], tokenizer, 32)
    before = mlmap.predict_proba(model, dataset, tokenizer)
    folder = mlmap.save_classifier(model, tmp_path / "m", tokenizer=tokenizer, label_names=["a", "b", "c"], max_length=32,
                                   thresholds={"f1": [0.1, 0.2, 0.3]}, training={"note": "test"})
    loaded = mlmap.load_saved_classifier(folder)
    assert type(loaded.model) is type(model)
    np.testing.assert_array_equal(loaded.predict_proba(binary_df["text"].tolist(), engine="pytorch"), before)
    # a DataFrame is read by its text (or title and abstract) columns, never by its column names
    np.testing.assert_array_equal(loaded.predict_proba(binary_df, engine="pytorch"), before)
    assert loaded.label_names == ["a", "b", "c"] and loaded.multilabel and loaded.max_length == 32
    assert loaded.model.config.id2label == {0: "a", 1: "b", 2: "c"} and loaded.info["training"] == {"note": "test"}
    assert loaded.thresholds("f1").tolist() == [0.1, 0.2, 0.3] and loaded.thresholds(0.7).tolist() == [0.7] * 3


def test_save_classifier_checks_what_it_is_given(tmp_path, make_tiny_model, tokenizer):
    with pytest.raises(ValueError, match="the one name of the relevant class"):
        mlmap.save_classifier(make_tiny_model(), tmp_path / "m", tokenizer=tokenizer, label_names=["a", "b"],
                              max_length=8, thresholds={"f1": [0.5]})
    with pytest.raises(ValueError, match="has 2 values for 1 label"):
        mlmap.save_classifier(make_tiny_model(), tmp_path / "m", tokenizer=tokenizer, label_names=["a"],
                              max_length=8, thresholds={"f1": [0.5, 0.5]})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(mlmap.ModelFolderError, match="not a model folder of ours"):
        mlmap.save_classifier(make_tiny_model(), tmp_path / "mine", tokenizer=tokenizer, label_names=["a"],
                              max_length=8, thresholds={"f1": [0.5]})
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def _labelled_file(tmp_path: Path, n: int = 48) -> Path:
    frame = _documents(n)
    frame["relevant"] = [str(int("tax" in t)) for t in frame["title"] + " " + frame["abstract"]]
    frame["forest"] = [str(int("forest" in t)) for t in frame["abstract"]]
    frame.loc[[0, 5], "relevant"] = ""  # not screened yet
    return _write_input(frame, tmp_path / "labelled.csv")


def test_training_frame_from_a_readers_file(tmp_path):
    path = _labelled_file(tmp_path)
    frame, names, note = mlmap.labelled_files.training_frame_from_file(path, ["relevant"])
    assert len(frame) == 46 and names == ["relevant"] and "skipped 2 with blank labels" in note
    assert frame["labels"].dtype == np.int64
    multi, _, _ = mlmap.labelled_files.training_frame_from_file(path, ["relevant", "forest"])
    assert len(multi) == 46 and len(multi["labels"].iloc[0]) == 2
    bad = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad.loc[3, "relevant"] = "yes"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DocumentsError, match=r"values other than 0/1 .*\['yes'\]"):
        mlmap.labelled_files.training_frame_from_file(tmp_path / "bad.csv", ["relevant"])
    few = bad.iloc[:10].assign(relevant=["1"] * 3 + ["0"] * 7)
    few.to_csv(tmp_path / "few.csv", index=False)
    with pytest.raises(DocumentsError, match="3 document.* labelled 1 and 7 labelled 0; training needs at least 8 of each"):
        mlmap.labelled_files.training_frame_from_file(tmp_path / "few.csv", ["relevant"])
    with pytest.raises(DocumentsError, match="no label column"):
        mlmap.labelled_files.training_frame_from_file(path, ["screened"])


def test_train_command_on_a_readers_file_saves_a_working_model(tmp_path, tiny_encoder_dir, capsys):
    path = _labelled_file(tmp_path)
    out = tmp_path / "model"
    assert main(["train", "--data", str(path), "--label", "relevant", "--out", str(out), "--model", tiny_encoder_dir,
                 "--epochs", "30", "--max-length", "32", "--learning-rate", "3e-3", "--learning-rate", "1e-3"]) == 0
    loaded = mlmap.load_saved_classifier(out)
    info = loaded.info
    assert info["label_names"] == ["relevant"] and set(info["thresholds"]) == {"f1", "recall95"}
    selection = info["training"]["selection"]
    assert selection["held_out_documents"] == 12 and 1 <= selection["epochs"] <= 30
    assert selection["learning_rate"] in (3e-3, 1e-3) and info["training"]["data"]["documents"] == 46
    # the chosen configuration's per-label scores on the held-out quarter, and the checks that it learned
    assert set(selection["held_out_per_label"]["relevant"]) == {"auc", "f1", "positives"}
    assert info["training"]["learning"]["learned"] is True
    assert info["training"]["data"]["sha256"] == mlmap.data.sha256_of(path)
    assert main(["predict", str(path), "-o", str(tmp_path / "p.csv"), "--model", str(out), "--threshold", "recall95"]) == 0
    predicted = pd.read_csv(tmp_path / "p.csv")
    assert len(predicted) == 48 and predicted["p_relevant"].between(0, 1).all()


def test_train_target_multilabel_records_its_thresholds(tmp_path, tiny_encoder_dir, labelled_df):
    # no warm-up here: under it, a tiny model's first epochs rank the 10 held-out documents perfectly
    # before their loss falls, so one of them is chosen and its refit rightly fails the learning check
    recipe = dataclasses.replace(mlmap.RECIPE, warmup=0.0)
    space = mlmap.SearchSpace(learning_rates=(3e-3,), max_epochs=30, max_length=32, batch_size=8, recipe=recipe)
    folder = mlmap.final_models.train_target("instruments", tmp_path / "codes", tiny_encoder_dir, space=space,
                                             df=labelled_df, progress=False)
    loaded = mlmap.load_saved_classifier(folder)
    assert loaded.label_names == ["4 - 1. Tax", "4 - 2. Other"] and loaded.multilabel
    assert set(loaded.info["thresholds"]) == {"f1"} and len(loaded.info["thresholds"]["f1"]) == 2
    assert loaded.info["training"]["data"]["documents"] == 40 and loaded.info["training"]["cross_validated"] is None
    # Platt scaling fitted on the held-out quarter is written into the saved head, and recorded with the recipe
    calibration = loaded.info["training"]["selection"]["calibration"]
    assert len(calibration["slope"]) == len(calibration["intercept"]) == 2
    assert min(calibration["slope"]) >= mlmap.calibration.MIN_SLOPE
    assert loaded.info["training"]["selection"]["recipe"]["pos_weight"] == "auto"


def test_prediction_summary_puts_each_fact_on_its_own_line():
    summary = corpus.PredictionSummary(Path("/a/long/folder/predicted.csv"), documents=300, without_text=0,
                                       positives={"INCLUDE": 163}, seconds=12.5, resumed_chunks=2)
    assert str(summary).splitlines() == [
        "300 documents predicted in 12 s (24.0 docs/s, 2 chunk(s) from an interrupted run)",
        "written to /a/long/folder/predicted.csv",
        "decisions = 1: INCLUDE 163",
    ]


def test_train_refuses_to_save_a_model_that_did_not_learn(tmp_path, tiny_encoder_dir, capsys):
    path = _labelled_file(tmp_path)
    out = tmp_path / "model"
    # a learning rate that breaks training: every trial and every retry ends near a constant
    assert main(["train", "--data", str(path), "--label", "relevant", "--out", str(out), "--model", tiny_encoder_dir,
                 "--epochs", "3", "--max-length", "32", "--learning-rate", "3.0"]) != 0
    assert "did not learn relevant" in capsys.readouterr().err and not out.exists()
