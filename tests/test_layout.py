"""The package layout: one record of the problem type, one screening recipe, a complete API reference."""

from __future__ import annotations

import json
import math
import re

import jupytext
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import mlmap
from mlmap import caching
from mlmap.trainer import CustomTrainer


def test_the_labels_feature_records_the_problem_type(tokenizer, binary_df, multilabel_df):
    binary = mlmap.hf_tokenize_data(binary_df, tokenizer)
    multi = mlmap.hf_tokenize_data(multilabel_df, tokenizer)
    assert not mlmap.is_multilabel(binary) and mlmap.is_multilabel(multi)
    assert mlmap.labels.problem_type(binary) == mlmap.SINGLE_LABEL_PROBLEM
    assert mlmap.labels.problem_type(multi) == mlmap.MULTILABEL_PROBLEM
    assert mlmap.labels.num_labels(binary) == 2 and mlmap.labels.num_labels(multi) == 3
    three_classes = mlmap.hf_tokenize_data(binary_df.assign(labels=np.arange(len(binary_df)) % 3), tokenizer)
    assert mlmap.labels.num_labels(three_classes) == 3
    with pytest.raises(ValueError, match="no 'labels'"):
        mlmap.is_multilabel(binary.remove_columns("labels"))


def test_screening_split_is_stratified_disjoint_and_seeded():
    df = pd.DataFrame({"text": [f"doc {i}" for i in range(100)], "labels": [int(i < 30) for i in range(100)]})
    train, test = mlmap.screening_split(df, test_size=20, train_size=50)
    assert len(test) == 20 and len(train) == 50
    assert set(train.index).isdisjoint(test.index)
    assert test["labels"].sum() == 6  # 30% of 20, as in the whole
    again_train, again_test = mlmap.screening_split(df, test_size=20, train_size=50)
    assert list(again_train.index) == list(train.index) and list(again_test.index) == list(test.index)
    everything, _ = mlmap.screening_split(df, test_size=20, train_size=None)
    assert len(everything) == 80
    with pytest.raises(ValueError, match="train_size=90"):
        mlmap.screening_split(df, test_size=20, train_size=90)


def test_the_committed_cv_run_used_the_shipped_recipe():
    """The cv chapter reports results/cv as the recipe's scores: every part of its last complete run
    recorded the search spaces and recipe that mlmap ships now."""
    from dataclasses import asdict

    from mlmap import cv, cv_results

    record = json.loads((ROOT / "results" / "cv" / "run.json").read_text())
    parts = cv_results.full_runs(record)[-1]
    shipped = {t: json.loads(json.dumps(space.as_record())) for t, space in cv.SEARCH_SPACES.items()}
    recipe = json.loads(json.dumps(asdict(mlmap.RECIPE)))
    for part in parts:
        assert part["search_spaces"] == shipped, part["started"]
        assert all(space["recipe"] == recipe for space in part["search_spaces"].values()), part["started"]
        assert (part["seed"], part["folds"], part["models"]) == (mlmap.SEED, 3, list(cv.MODELS))


def test_the_binary_chapter_states_the_book_settings():
    """The numbers the binary chapter writes about its model follow from BOOK_SETTINGS and its training set."""
    settings = mlmap.BOOK_SETTINGS
    text = (ROOT / "book" / "binary.md").read_text()
    documents = int(re.search(r"mlmap\.screening_split\(\s*df, test_size=\d+, train_size=(\d+)", text).group(1))
    batch = mlmap.make_training_args(num_train_epochs=1).per_device_train_batch_size
    steps = settings.num_train_epochs * math.ceil(documents / batch)
    rate = f"{settings.learning_rate:.0e}".replace("e-0", "e-")
    assert f"(`mlmap.BOOK_SETTINGS`: {steps} optimizer steps at {rate})" in text
    assert f"this model trained for {steps} steps" in text
    assert (f"# max_length={settings.max_length}, num_train_epochs={settings.num_train_epochs}, "
            f"learning_rate={rate}") in text
    assert f"for {settings.num_train_epochs} epochs, truncated to\n{settings.max_length} tokens" in text
    with pytest.raises(Exception):
        mlmap.BOOK_SETTINGS.max_length = 256  # frozen: a chapter cannot change another's settings


class _StopBeforeTraining(Exception):
    pass


def _requested_model_key(chapter: str, monkeypatch) -> str:
    """Run the chapter's first cell and its ``mlmap.fine_tune`` cell, stopping where training would start."""
    cells = [c.source for c in jupytext.read(ROOT / "book" / f"{chapter}.md").cells if c.cell_type == "code"]
    setup = [cells[0]] + [c for c in cells[1:] if "mlmap.fine_tune(" in c]
    folders = []
    monkeypatch.setattr(caching, "is_cached", lambda folder: folders.append(folder) or False)
    monkeypatch.setattr(CustomTrainer, "train", lambda self, *a, **k: (_ for _ in ()).throw(_StopBeforeTraining()))
    namespace: dict = {}
    with pytest.raises(_StopBeforeTraining):
        for source in setup:
            exec(compile(source, f"{chapter}.md", "exec"), namespace)
    assert len(folders) == 1, f"{chapter}: expected one fine_tune call with a cache_dir, got {folders}"
    assert folders[0].parent == mlmap.DEFAULT_CACHE_DIR
    return folders[0].name


@pytest.mark.integration
def test_binary_and_prediction_chapters_ask_for_the_same_cached_model(monkeypatch):
    assert _requested_model_key("binary", monkeypatch) == _requested_model_key("prediction", monkeypatch)


def test_every_public_name_has_its_own_reference_entry():
    reference = (ROOT / "book" / "reference.md").read_text()
    # constants are written out (py:data): autodoc would show a str's or int's built-in docstring
    documented = set(re.findall(r"^\.\. (?:auto(?:function|class|exception|data)|py:data):: mlmap\.(\w+)", reference, re.M))
    missing = sorted(set(mlmap.__all__) - documented)
    assert not missing, f"book/reference.md has no autodoc entry for: {missing}"


def test_written_out_constants_show_the_packages_values():
    """A ``:value:`` typed into the reference is the constant's value in the package, not an old one."""
    reference = (ROOT / "book" / "reference.md").read_text()
    entries = re.findall(r"^\.\. py:data:: mlmap\.(\w+)\n((?:   :\w+:.*\n)*)", reference, re.M)
    assert entries, "no py:data entries found in book/reference.md"
    for name, options in entries:
        value = re.search(r":value: (.*)", options)
        if value:
            assert value.group(1) == repr(getattr(mlmap, name)), f"reference shows {name} = {value.group(1)}"


def test_progress_bars_follow_the_terminal_and_tqdm_disable(monkeypatch):
    from mlmap.progress import show_progress

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert show_progress() is True and show_progress(False) is False
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert show_progress() is False and show_progress(True) is True
