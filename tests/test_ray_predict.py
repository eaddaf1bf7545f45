"""predict --ray: Ray Data on a local cluster of 2 workers gives the single-process output, also when a worker dies.

Ray is an optional extra, but CI installs it (requirements-dev.txt): this test must not be skipped there.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pandas as pd
import psutil
import pytest

import mlmap
from mlmap import corpus
from mlmap.__main__ import main
from mlmap.io import DocumentsError
from mlmap.ray_predict import predict_file_with_ray

WORDS = "carbon tax emissions trading building standard subsidy forest transport label policy energy".split()


def _corpus(path, n: int):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"id": [f"W{i}" for i in range(n)],
                          "title": [" ".join(rng.choice(WORDS, size=2 + i % 4)) for i in range(n)],
                          "abstract": [" ".join(rng.choice(WORDS, size=4 + i % 11)) for i in range(n)],
                          "year": np.arange(n) % 30 + 1990})
    frame.loc[7, ["title", "abstract"]] = None  # no text: an empty prediction, counted
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture
def screening_model(tmp_path, make_tiny_model, tokenizer):
    return mlmap.save_classifier(make_tiny_model(), tmp_path / "screening", tokenizer=tokenizer, label_names=["INCLUDE"],
                                 max_length=64, thresholds={"f1": [0.5]})


def _ray_workers() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if "_ChunkPredictor" in " ".join(p.info["cmdline"] or [])]


def test_ray_output_equals_one_process_even_when_a_worker_is_killed(tmp_path, screening_model):
    inp = _corpus(tmp_path / "corpus.parquet", 600)
    corpus.predict_file(inp, [screening_model], tmp_path / "single.parquet", chunk_size=20, progress=False)
    single = pd.read_parquet(tmp_path / "single.parquet")

    with pytest.warns(UserWarning, match="1 document"):
        summary = predict_file_with_ray(inp, [screening_model], tmp_path / "ray.parquet", workers=2, chunk_size=20,
                                        progress=False)
    assert summary.documents == 600 and summary.without_text == 1
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "ray.parquet"), single)

    killed: list[int] = []

    def kill_a_worker(index: int) -> None:
        if index == 2 and not killed:  # the pool is busy with later chunks by now
            workers = _ray_workers()
            assert workers, "no Ray worker process found to kill"
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    with pytest.warns(UserWarning, match="1 document"):
        predict_file_with_ray(inp, [screening_model], tmp_path / "killed.parquet", workers=2, chunk_size=20,
                              progress=False, on_chunk=kill_a_worker)
    assert killed
    killed_output = pd.read_parquet(tmp_path / "killed.parquet")
    assert killed_output["id"].is_unique  # nothing written twice
    pd.testing.assert_frame_equal(killed_output, single)  # nothing lost, nothing changed
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no work folder left behind


def test_ray_refuses_what_it_cannot_read_before_starting(tmp_path, screening_model, capsys):
    csv = tmp_path / "corpus.csv"
    csv.write_text("title,abstract\na,b\n")
    with pytest.raises(DocumentsError, match="--ray reads Parquet"):
        predict_file_with_ray(csv, [screening_model], tmp_path / "out.parquet")
    assert main(["predict", "--ray", "--model", str(tmp_path / "nowhere"), str(_corpus(tmp_path / "c.parquet", 10)),
                 "-o", str(tmp_path / "out.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()
