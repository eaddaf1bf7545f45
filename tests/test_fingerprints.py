"""Every cache and resumable unit records what made it and is reused only when all of it matches: one test per kind."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import mlmap
from mlmap import cv, fingerprints, simulation_runs
from mlmap.fingerprints import FingerprintMismatch
from test_cv import SPACES
from test_simulation import SMALL, _labels_frame


@pytest.fixture
def other_encoder_dir(tmp_path_factory, tiny_encoder_dir):
    """A folder of the same name as the tiny encoder's, holding other weights."""
    from safetensors.torch import load_file, save_file

    folder = tmp_path_factory.mktemp("other") / shutil.os.path.basename(tiny_encoder_dir)
    shutil.copytree(tiny_encoder_dir, folder)
    weights = load_file(folder / "model.safetensors")
    save_file({k: v + 0.01 for k, v in weights.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    return str(folder)


def test_a_model_is_known_by_its_files_not_its_name(tiny_encoder_dir, other_encoder_dir, tmp_path):
    same = tmp_path / "elsewhere"
    shutil.copytree(tiny_encoder_dir, same)
    assert fingerprints.model_identity(str(same)) == fingerprints.model_identity(tiny_encoder_dir)
    assert fingerprints.model_identity(other_encoder_dir) != fingerprints.model_identity(tiny_encoder_dir)
    assert fingerprints.model_identity("org/some-model") == "hub:org/some-model"


def test_check_fingerprint_names_the_field_in_one_line():
    saved = {"model": "sha256:a", "search_spaces": {"include": {"max_length": 256}}, "precision": "fp32"}
    fingerprints.check_fingerprint(saved, json.loads(json.dumps(saved)), "x", "fix")
    with pytest.raises(FingerprintMismatch, match=r"^x was made with another search_spaces.include.max_length "
                                                  r"\(256 there, 512 now\): fix$"):
        fingerprints.check_fingerprint(saved, {**saved, "search_spaces": {"include": {"max_length": 512}}}, "x", "fix")
    with pytest.raises(FingerprintMismatch, match="records no fingerprint"):
        fingerprints.check_fingerprint(None, saved, "x", "fix")


def test_fine_tune_cache_is_keyed_on_model_files_resolved_arguments_and_precision(binary_df, tiny_encoder_dir,
                                                                                  other_encoder_dir, monkeypatch,
                                                                                  tmp_path):
    from mlmap import hardware
    from mlmap.training import model_cache_fingerprint

    def key(model=tiny_encoder_dir, **args):
        return fingerprints.digest(model_cache_fingerprint(binary_df, model, 2, 32, None, 0.0, args))

    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    base = key(output_dir=str(tmp_path / "a"))
    assert key(output_dir=str(tmp_path / "b")) == base  # where the Trainer writes does not change the weights
    assert key(model=other_encoder_dir) != base         # same folder name, other weights
    assert key(warmup_steps=3) != base                  # a resolved argument
    monkeypatch.setattr(hardware, "bf16_supported", lambda: True)
    monkeypatch.setenv("MLMAP_PRECISION", "bf16")
    assert key() != base                                 # bf16 trains another model
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    monkeypatch.setattr(fingerprints, "library_versions", lambda: {"torch": "0.0"})
    assert key() != base

    # a cached model whose recorded fingerprint does not match its key is refused, naming the field
    monkeypatch.undo()
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    settings = dict(model_name=tiny_encoder_dir, max_length=32, pos_weight=None, cache_dir=tmp_path / "cache",
                    num_train_epochs=1, disable_tqdm=True, check=False)
    mlmap.fine_tune(binary_df, **settings)
    (saved,) = (tmp_path / "cache").iterdir()
    recorded = json.loads((saved / "fingerprint.json").read_text())
    (saved / "fingerprint.json").write_text(json.dumps({**recorded, "max_length": 64}))
    with pytest.raises(FingerprintMismatch, match=r"another max_length \(64 there, 32 now\)"):
        mlmap.fine_tune(binary_df, **settings)


def test_a_cv_folder_refuses_a_run_with_another_model_or_precision(tmp_path, labelled_df, tiny_encoder_dir,
                                                                     other_encoder_dir, monkeypatch):
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    run = dict(out=tmp_path, n_folds=3, seed=0, spaces=SPACES, df=labelled_df, progress=False, models=("minilm_frozen",))
    cv.run_cv(["include"], model_name=tiny_encoder_dir, **run)
    with pytest.raises(FingerprintMismatch, match=r"fingerprint.json was made with another model \(\"sha256:"):
        cv.run_cv(["include"], model_name=other_encoder_dir, **run)
    with pytest.raises(FingerprintMismatch, match="another data"):
        cv.run_cv(["include"], model_name=tiny_encoder_dir, **{**run, "df": labelled_df.iloc[::-1]})
    cv.run_cv(["include"], model_name=tiny_encoder_dir, **run)  # the same settings continue


def test_a_simulated_run_is_not_reused_with_another_design(tmp_path):
    df = _labels_frame()
    run = dict(models=["tfidf"], n_seed_sets=1, out=tmp_path, df=df, progress=False)
    simulation_runs.run_simulations(["full"], settings=SMALL, **run)
    other = SMALL.__class__(**{**SMALL.__dict__, "min_batch": 7})
    with pytest.raises(FingerprintMismatch, match=r"runs/full-tfidf-seed0.json was made with another loop.min_batch "
                                                  r"\(5 there, 7 now\)"):
        simulation_runs.run_simulations(["full"], settings=other, **run)


def test_summary_rows_are_reused_only_while_their_run_file_is_unchanged(tmp_path, monkeypatch):
    df = _labels_frame()
    simulation_runs.run_simulations(["full"], ["tfidf"], n_seed_sets=2, out=tmp_path, settings=SMALL, df=df,
                                    progress=False)
    calls = []
    original = simulation_runs.summarise_order
    monkeypatch.setattr(simulation_runs, "summarise_order", lambda labels: calls.append(1) or original(labels))
    simulation_runs.write_summary(tmp_path, df, reuse=True)
    assert calls == []  # nothing changed: every row kept
    path = tmp_path / "runs" / simulation_runs.run_name("full", "tfidf", 1)
    unit = json.loads(path.read_text())
    unit["ids"] = unit["ids"][::-1]  # another order, whatever the file's time says
    path.write_text(json.dumps(unit))
    summary = simulation_runs.write_summary(tmp_path, df, reuse=True)
    assert calls == [1]
    row = summary[summary["seed_set"] == 1].iloc[0]
    labels = df.set_index("id").loc[unit["ids"], "INCLUDE"].to_numpy()
    assert row["docs_for_95_recall"] == original(labels)["docs_for_95_recall"]


def test_embeddings_are_cached_per_encoder_files_and_refuse_a_tampered_cache(tmp_path, tiny_encoder_dir,
                                                                             other_encoder_dir):
    from mlmap.screening.features import cached_embeddings

    texts = ["carbon tax", "forest policy"]
    first = cached_embeddings(texts, tiny_encoder_dir, max_length=16, cache_dir=tmp_path)
    other = cached_embeddings(texts, other_encoder_dir, max_length=16, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2 and not np.allclose(first, other)
    np.testing.assert_array_equal(cached_embeddings(texts, tiny_encoder_dir, max_length=16, cache_dir=tmp_path), first)
    path = min(tmp_path.glob("*.npz"), key=lambda p: p.stat().st_mtime)
    with np.load(path) as saved:
        content = dict(saved)
    made_by = json.loads(str(content["fingerprint"]))
    np.savez(path, **{**content, "fingerprint": np.array(json.dumps({**made_by, "max_length": 99}))})
    with pytest.raises(FingerprintMismatch, match="another max_length"):
        cached_embeddings(texts, tiny_encoder_dir, max_length=16, cache_dir=tmp_path)


def test_the_map_refuses_a_saved_final_model_made_from_other_inputs(tmp_path, make_tiny_model, tokenizer, labelled_df,
                                                                    tiny_encoder_dir):
    from mlmap.evidence_map import _final_code_model
    from mlmap.final_models import target_fingerprint

    expected = target_fingerprint("instruments", tiny_encoder_dir, df=labelled_df)
    for changed, field in (({**expected, "seed": 7}, "seed"), ({**expected, "data": "sha256:0"}, "data")):
        folder = tmp_path / field
        mlmap.save_classifier(make_tiny_model(2, True), folder, tokenizer=tokenizer,
                              label_names=["4 - 1. Tax", "4 - 2. Other"], max_length=32, thresholds={"f1": [0.5, 0.5]},
                              training={"fingerprint": changed})
        with pytest.raises(FingerprintMismatch, match=f"another {field} "):
            _final_code_model("instruments", folder, tiny_encoder_dir, mlmap.SEED, False, labelled_df)
    mlmap.save_classifier(make_tiny_model(2, True), tmp_path / "same", tokenizer=tokenizer,
                          label_names=["4 - 1. Tax", "4 - 2. Other"], max_length=32, thresholds={"f1": [0.5, 0.5]},
                          training={"fingerprint": expected})
    assert _final_code_model("instruments", tmp_path / "same", tiny_encoder_dir, mlmap.SEED, False,
                             labelled_df).label_names == ["4 - 1. Tax", "4 - 2. Other"]
