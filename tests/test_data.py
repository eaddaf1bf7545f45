"""Fetching, verifying and shaping the labelled data (on small files the tests write themselves)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import mlmap
from mlmap.data import DataError, fetch_data, sha256_of


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["W1", "W2", "W3", "W4"],
            "title": ["Carbon tax", "Forest law", "Unrelated", "Fuel standard"],
            "abstract": ["A tax on carbon.", None, "Nothing here.", ""],
            "INCLUDE": [1.0, 1.0, 0.0, 1.0],
            "4 - 1. Economic instruments": [1.0, 0.0, np.nan, 0.0],
            "4 - 2. Regulatory Instruments": [0.0, 1.0, np.nan, 1.0],
            "8 - 01. AFOLU": [0.0, 1.0, np.nan, np.nan],
            "8 - 05. Transport": [0.0, 0.0, np.nan, 1.0],
        }
    )


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.feather"
    _frame().to_feather(path)
    return path


def test_fetch_copies_and_verifies(source, tmp_path):
    dest = tmp_path / "data" / "labels.feather"
    out = fetch_data(str(source), dest, sha256=sha256_of(source))
    assert out == dest
    assert dest.read_bytes() == source.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == ["labels.feather"]  # no temporary file left


def test_fetch_checksum_mismatch_leaves_nothing(source, tmp_path):
    dest = tmp_path / "data" / "labels.feather"
    with pytest.raises(DataError, match="checksum mismatch.*MLMAP_DATA_SOURCE"):
        fetch_data(str(source), dest, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_fetch_missing_source_names_it_and_the_variable(tmp_path):
    missing = tmp_path / "nope.feather"
    with pytest.raises(DataError, match=f"{missing}.*MLMAP_DATA_SOURCE"):
        fetch_data(str(missing), tmp_path / "labels.feather")
    assert not (tmp_path / "labels.feather").exists()


def test_fetch_unreachable_url_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="could not download http://127.0.0.1:9/labels.feather.*MLMAP_DATA_SOURCE"):
        fetch_data("http://127.0.0.1:9/labels.feather", tmp_path / "labels.feather")
    assert list(tmp_path.iterdir()) == []


def test_fetch_skips_when_verified_file_present(source, tmp_path):
    dest = tmp_path / "labels.feather"
    digest = sha256_of(source)
    fetch_data(str(source), dest, sha256=digest)
    mtime = dest.stat().st_mtime_ns
    # the source is gone: a second fetch must not need it
    source.unlink()
    assert fetch_data(str(source), dest, sha256=digest) == dest
    assert dest.stat().st_mtime_ns == mtime


def test_fetch_replaces_a_corrupt_file(source, tmp_path):
    dest = tmp_path / "labels.feather"
    dest.write_bytes(b"corrupt")
    fetch_data(str(source), dest, sha256=sha256_of(source))
    assert sha256_of(dest) == hashlib.sha256(source.read_bytes()).hexdigest()


def test_fetch_reads_the_environment(source, tmp_path, monkeypatch):
    dest = tmp_path / "env" / "labels.feather"
    monkeypatch.setenv("MLMAP_DATA_SOURCE", str(source))
    monkeypatch.setenv("MLMAP_DATA_PATH", str(dest))
    assert fetch_data(sha256=sha256_of(source)) == dest


def test_cli_reports_errors_without_traceback(tmp_path):
    env = {**os.environ, "MLMAP_DATA_PATH": str(tmp_path / "labels.feather")}
    result = subprocess.run(
        [sys.executable, "-m", "mlmap", "fetch-data", "--source", str(tmp_path / "missing.feather")],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 1
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_load_labels_missing_file_says_make_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data"):
        mlmap.load_labels(tmp_path / "labels.feather")


def test_load_labels_validates_schema(source, tmp_path):
    df = mlmap.load_labels(source)
    assert len(df) == 4
    broken = tmp_path / "broken.feather"
    _frame().drop(columns=["abstract"]).to_feather(broken)
    with pytest.raises(DataError, match="abstract"):
        mlmap.load_labels(broken)
    _frame().drop(columns=[c for c in _frame() if c.startswith("8 -")]).to_feather(broken)
    with pytest.raises(DataError, match="8 -"):
        mlmap.load_labels(broken)
    bad = _frame()
    bad.loc[0, "INCLUDE"] = 2.0
    bad.to_feather(broken)
    with pytest.raises(DataError, match="INCLUDE"):
        mlmap.load_labels(broken)


def test_label_columns_by_prefix():
    df = _frame()
    assert mlmap.label_columns(df, "INCLUDE") == ["INCLUDE"]
    assert mlmap.label_columns(df, "4 -") == ["4 - 1. Economic instruments", "4 - 2. Regulatory Instruments"]
    assert mlmap.label_columns(df, "8 -") == ["8 - 01. AFOLU", "8 - 05. Transport"]
    assert mlmap.label_columns(df, ["4 -", "8 -"])[-1] == "8 - 05. Transport"
    with pytest.raises(ValueError, match="known groups"):
        mlmap.label_columns(df, "9 -")
    with pytest.raises(ValueError, match="screening target"):
        mlmap.label_columns(df, ["INCLUDE", "4 -"])


def test_make_text_handles_missing_abstract():
    text = mlmap.make_text(_frame())
    assert text.tolist() == ["Carbon tax. A tax on carbon.", "Forest law", "Unrelated. Nothing here.", "Fuel standard"]


def test_prepare_targets_binary_is_int():
    out = mlmap.prepare_targets(_frame(), "INCLUDE")
    assert out.columns.tolist() == ["id", "text", "labels"]
    assert out["labels"].dtype == np.int64
    assert out["labels"].tolist() == [1, 1, 0, 1]


def test_prepare_targets_multilabel_keeps_coded_included_documents():
    out = mlmap.prepare_targets(_frame(), "8 -")
    # W3 is excluded, W4 is included but has a missing sector code
    assert out["id"].tolist() == ["W1", "W2"]
    assert [v.tolist() for v in out["labels"]] == [[0.0, 0.0], [1.0, 0.0]]
    assert out["labels"].iloc[0].dtype == np.float32
    assert out.attrs["label_names"] == ["8 - 01. AFOLU", "8 - 05. Transport"]
