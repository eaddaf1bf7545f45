"""The OpenVINO engine: the same probabilities as PyTorch, a converted copy kept beside a saved model, clear choices."""

from __future__ import annotations

import errno

import numpy as np
import openvino as ov
import pytest

import mlmap
from mlmap import openvino_engine
from mlmap.openvino_engine import OPENVINO_FOLDER, OpenVINOClassifier, resolve_engine


def _dataset(binary_df, tokenizer):
    return mlmap.hf_tokenize_data(binary_df[["text"]], tokenizer, 64)


#: how close OpenVINO and PyTorch are in each precision (bf16: two implementations each round differently)
AGREE = {"fp32": 1e-5, "bf16": 2e-2}


@pytest.mark.parametrize("multilabel,pooling", [(False, "cls"), (True, "cls"), (True, "mean")])
def test_openvino_probabilities_equal_pytorch(make_tiny_model, tokenizer, binary_df, multilabel, pooling, precision):
    model = make_tiny_model(3 if multilabel else 2, multilabel=multilabel, pooling=pooling)
    dataset = _dataset(binary_df, tokenizer)
    torch_proba = mlmap.predict_proba(model, dataset, tokenizer, batch_size=5, engine="pytorch")
    ov_proba = mlmap.predict_proba(model, dataset, tokenizer, batch_size=5, engine="openvino")
    assert ov_proba.shape == torch_proba.shape == ((len(binary_df), 3) if multilabel else (len(binary_df),))
    # batches of 5 mix lengths, so padding is masked in the converted graph as in PyTorch
    np.testing.assert_allclose(ov_proba, torch_proba, atol=AGREE[precision])


def test_a_saved_model_keeps_its_converted_copy(tmp_path, make_tiny_model, tokenizer, binary_df, monkeypatch, precision):
    folder = mlmap.save_classifier(make_tiny_model(), tmp_path / "m", tokenizer=tokenizer, label_names=["INCLUDE"],
                                   max_length=64, thresholds={"f1": [0.5]})
    texts = binary_df["text"].tolist()
    first = mlmap.load_saved_classifier(folder).predict_proba(texts, engine="openvino")
    assert (folder / OPENVINO_FOLDER / "classifier.xml").is_file()
    conversions = []
    real = openvino_engine.convert_classifier
    monkeypatch.setattr(openvino_engine, "convert_classifier", lambda *a, **k: conversions.append(1) or real(*a, **k))
    again = mlmap.load_saved_classifier(folder).predict_proba(texts, engine="openvino")
    assert conversions == [] and np.array_equal(first, again)
    np.testing.assert_allclose(first, mlmap.load_saved_classifier(folder).predict_proba(texts, engine="pytorch"),
                               atol=AGREE[precision])

    # new weights in the folder: the kept copy is stale and is converted again
    retrained = make_tiny_model()
    retrained.classifier.bias.data[1] += 3.0
    mlmap.save_classifier(retrained, folder, tokenizer=tokenizer, label_names=["INCLUDE"], max_length=64,
                          thresholds={"f1": [0.5]})
    shifted = mlmap.load_saved_classifier(folder).predict_proba(texts, engine="openvino")
    assert conversions == [1] and not np.allclose(shifted, first)


def test_a_read_only_model_folder_still_predicts(tmp_path, make_tiny_model, tokenizer, binary_df, capsys, monkeypatch):
    folder = mlmap.save_classifier(make_tiny_model(), tmp_path / "m", tokenizer=tokenizer, label_names=["INCLUDE"],
                                   max_length=64, thresholds={"f1": [0.5]})

    def read_only(*args, **kwargs):  # what writing into a read-only mount (or a folder of another user) raises
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(ov, "save_model", read_only)
    proba = mlmap.load_saved_classifier(folder).predict_proba(binary_df["text"].tolist(), engine="openvino")
    assert proba.shape == (len(binary_df), 1) and "converted again next time" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in folder.iterdir() if p.is_file())


def test_engine_choice(make_tiny_model):
    model = make_tiny_model()
    assert resolve_engine("auto", model) == "openvino" and resolve_engine("pytorch", model) == "pytorch"
    with pytest.raises(ValueError, match="unknown engine 'onnx'.*auto, pytorch, openvino"):
        resolve_engine("onnx", model)
    assert isinstance(openvino_engine.openvino_classifier(model, ("input_ids", "attention_mask")), OpenVINOClassifier)
    with pytest.raises(ValueError, match="input_names must hold"):
        openvino_engine.convert_classifier(model, ("input_ids",))


def test_engine_openvino_without_the_package_is_a_clear_error(make_tiny_model, monkeypatch):
    monkeypatch.setattr(openvino_engine, "openvino_available", lambda: False)
    assert resolve_engine("auto", make_tiny_model()) == "pytorch"
    with pytest.raises(RuntimeError, match="needs the openvino package"):
        resolve_engine("openvino", make_tiny_model())
