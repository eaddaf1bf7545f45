"""CustomTrainer losses, predict_proba, metrics and the training-argument factory, on a tiny BERT."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F
from transformers import DataCollatorWithPadding, EvalPrediction, Trainer

import mlmap


def _trainer(model, tokenizer, train_ds, tmp_path, **kwargs):
    args = mlmap.make_training_args(
        tmp_path, per_device_train_batch_size=8, learning_rate=1e-3, num_train_epochs=1, bf16=False,
        logging_strategy="steps", logging_steps=1,
    )
    return mlmap.CustomTrainer(
        model=model, args=args, train_dataset=train_ds, processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer), **kwargs,
    )


def _batch(trainer, ds, n=8):
    features = [{k: ds[i][k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels")} for i in range(n)]
    return trainer.data_collator(features)


def test_binary_loss_is_two_class_cross_entropy(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    batch = _batch(trainer, ds)
    labels = batch["labels"].clone()
    trainer.model.eval()
    loss, outputs = trainer.compute_loss(trainer.model, dict(batch), return_outputs=True)
    expected = F.cross_entropy(outputs.logits, labels)
    assert torch.allclose(loss, expected)
    # not the original ml-map bug: BCE on the positive logit alone
    assert not torch.allclose(loss, F.binary_cross_entropy_with_logits(outputs.logits[:, 1], labels.float()))


def test_binary_class_weights(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path, class_weights=[1.0, 3.0])
    batch = _batch(trainer, ds)
    labels = batch["labels"].clone()
    trainer.model.eval()
    loss, outputs = trainer.compute_loss(trainer.model, dict(batch), return_outputs=True)
    weighted = F.cross_entropy(outputs.logits, labels, weight=torch.tensor([1.0, 3.0]))
    assert torch.allclose(loss, weighted)
    assert not torch.allclose(loss, F.cross_entropy(outputs.logits, labels))


def test_compute_pos_weight_is_negatives_over_positives():
    labels = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=np.float32)
    # label 0: 2 neg / 2 pos; label 1: 3 / 1; label 2 has no positive -> 1
    assert mlmap.compute_pos_weight(labels).tolist() == [1.0, 3.0, 1.0]
    with pytest.raises(ValueError, match="matrix"):
        mlmap.compute_pos_weight([1.0, 0.0])


def test_multilabel_loss_is_bce_with_training_pos_weight(tokenizer, multilabel_df, make_tiny_model, tmp_path):
    train_ds = mlmap.hf_tokenize_data(multilabel_df.iloc[:16], tokenizer)
    trainer = _trainer(make_tiny_model(3, multilabel=True), tokenizer, train_ds, tmp_path, pos_weight="auto")
    expected_weight = mlmap.compute_pos_weight(np.stack(multilabel_df["labels"].iloc[:16]))
    assert torch.equal(trainer.pos_weight, expected_weight)
    batch = _batch(trainer, train_ds)
    labels = batch["labels"].clone()
    trainer.model.eval()
    loss, outputs = trainer.compute_loss(trainer.model, dict(batch), return_outputs=True)
    assert torch.allclose(loss, F.binary_cross_entropy_with_logits(outputs.logits, labels, pos_weight=expected_weight))


def test_multilabel_labels_switch_the_model_to_sigmoid(tokenizer, multilabel_df, make_tiny_model, tmp_path):
    # a model created without problem_type still gets sigmoid probabilities once trained on label vectors
    model = make_tiny_model(3)
    model.config.problem_type = None
    trainer = _trainer(model, tokenizer, mlmap.hf_tokenize_data(multilabel_df, tokenizer), tmp_path)
    assert trainer.is_multilabel


def test_pos_weight_auto_needs_labels(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df.drop(columns="labels"), tokenizer)
    with pytest.raises(ValueError, match="auto"):
        _trainer(make_tiny_model(), tokenizer, ds, tmp_path, pos_weight="auto")


def test_training_lowers_the_loss(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    trainer.args.num_train_epochs = 8
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


def test_predict_proba_binary_matches_softmax_and_loss(tokenizer, binary_df, make_tiny_model, tmp_path, fp32):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    proba = trainer.predict_proba(ds, batch_size=5)
    assert proba.shape == (len(binary_df),) and proba.dtype == np.float32
    assert ((proba > 0) & (proba < 1)).all()
    # same numbers as the model on each document alone: batching by length keeps the input order
    trainer.model.eval()
    with torch.no_grad():
        for i in [0, 7, 23]:
            logits = trainer.model(input_ids=torch.tensor([ds[i]["input_ids"]])).logits
            assert proba[i] == pytest.approx(torch.softmax(logits, -1)[0, 1].item(), abs=1e-5)
    # consistency with the loss: mean negative log-likelihood of the probabilities equals the CE loss
    labels = np.asarray(binary_df["labels"])
    nll = -np.mean(np.log(np.where(labels == 1, proba, 1 - proba)))
    full = trainer.data_collator([{k: ds[i][k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels")} for i in range(len(ds))])
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(full))
    assert nll == pytest.approx(loss.item(), rel=1e-4)


def test_predict_keeps_input_order_with_length_grouped_training(tokenizer, binary_df, make_tiny_model, tmp_path, fp32):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    assert trainer.args.train_sampling_strategy == "group_by_length"
    trainer.args.per_device_eval_batch_size = 4
    logits = trainer.predict(ds).predictions
    np.testing.assert_allclose(trainer.probabilities(logits), trainer.predict_proba(ds), atol=1e-5)
    assert trainer.predict(ds).label_ids.tolist() == binary_df["labels"].tolist()


def test_predict_proba_multilabel_is_sigmoid_matrix(tokenizer, multilabel_df, make_tiny_model, tmp_path, fp32):
    ds = mlmap.hf_tokenize_data(multilabel_df, tokenizer)
    trainer = _trainer(make_tiny_model(3, multilabel=True), tokenizer, ds, tmp_path)
    proba = trainer.predict_proba(ds.remove_columns("labels"))
    assert proba.shape == (len(multilabel_df), 3)
    trainer.model.eval()
    with torch.no_grad():
        logits = trainer.model(input_ids=torch.tensor([ds[3]["input_ids"]])).logits
    np.testing.assert_allclose(proba[3], torch.sigmoid(logits)[0].numpy(), atol=1e-5)


def test_predict_proba_on_raw_texts(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    from_texts = trainer.predict_proba(binary_df["text"].tolist())
    np.testing.assert_allclose(from_texts, trainer.predict_proba(ds), atol=1e-6)
    np.testing.assert_allclose(trainer.predict_proba(binary_df), from_texts, atol=1e-6)
    with pytest.raises(ValueError, match="list of texts"):
        trainer.predict_proba("a single string")
    with pytest.raises(ValueError, match="tokenize it first"):
        trainer.predict_proba(ds.remove_columns("input_ids"))


def test_compute_metrics_binary():
    logits = np.array([[2.0, -1.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    labels = np.array([0, 1, 0, 1])
    m = mlmap.compute_metrics(EvalPrediction(predictions=logits, label_ids=labels))
    # predicted [0, 1, 1, 0]: TP=1, FP=1, FN=1
    assert m == {"f1": 0.5, "precision": 0.5, "recall": 0.5, "accuracy": 0.5}


def test_compute_metrics_multilabel():
    logits = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, -1.0], [-1.0, 2.0]])
    labels = np.array([[1, 0], [1, 0], [0, 0], [1, 1]], dtype=np.float32)
    m = mlmap.compute_metrics(EvalPrediction(predictions=logits, label_ids=labels))
    # label 0: TP=2, FN=1 -> F1 0.8; label 1: TP=1, FP=1 -> F1 2/3; pooled: TP=3, FP=1, FN=1 -> 0.75
    assert m == {"f1_macro": pytest.approx((0.8 + 2 / 3) / 2), "f1_micro": pytest.approx(0.75)}


def test_training_args_defaults(tmp_path):
    args = mlmap.make_training_args(tmp_path, num_train_epochs=1)
    assert args.save_strategy == "no" and args.report_to == [] and args.seed == mlmap.SEED
    assert not args.disable_tqdm  # progress: a table in Jupyter, a bar in a terminal
    assert args.train_sampling_strategy == "group_by_length"
    assert args.num_train_epochs == 1



def test_mlmap_precision_decides_what_training_computes_in(tiny_model_dir, binary_df, monkeypatch):
    # a machine with bf16 units (torch emulates bf16 where there are none, as the precision fixture does)
    monkeypatch.setattr(mlmap.hardware, "bf16_supported", lambda: True)
    settings = dict(model_name=tiny_model_dir, num_train_epochs=1, disable_tqdm=True, check=False)

    def trained_weights(**overrides) -> torch.Tensor:
        model = mlmap.fine_tune(binary_df, **settings, **overrides).model
        assert next(model.parameters()).dtype == torch.float32  # master weights stay fp32 either way
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    monkeypatch.setenv("MLMAP_PRECISION", "auto")
    fp32 = trained_weights(bf16=False)  # fp32 asked for by argument
    bf16 = trained_weights()  # auto: the machine's bf16 units
    assert not torch.equal(bf16, fp32) and torch.allclose(bf16, fp32, atol=0.05)  # the same training, rounded
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")  # on the same machine: the fp32 model, bit for bit
    assert torch.equal(trained_weights(), fp32)
    monkeypatch.setenv("MLMAP_PRECISION", "fp16")
    with pytest.raises(ValueError, match="MLMAP_PRECISION='fp16' is not a precision: use one of auto, fp32, bf16"):
        mlmap.fine_tune(binary_df, **settings)

def test_fine_tune_caches_by_settings(tiny_model_dir, binary_df, tmp_path, monkeypatch):
    # one epoch teaches the tiny model nothing: the learning check (tests/test_learning.py) is off here
    settings = dict(model_name=tiny_model_dir, cache_dir=tmp_path / "cache", num_train_epochs=1, bf16=False, check=False)
    first = mlmap.fine_tune(binary_df, **settings)
    assert len(list((tmp_path / "cache").iterdir())) == 1
    # same settings: loaded from the cache, so training must not run again
    monkeypatch.setattr(Trainer, "train", lambda self, *a, **k: pytest.fail("trained again"))
    second = mlmap.fine_tune(binary_df, **settings)
    np.testing.assert_allclose(second.predict_proba(binary_df), first.predict_proba(binary_df), atol=1e-6)
    assert second.state.log_history == first.state.log_history
    # other data: a new key, so it trains
    with pytest.raises(pytest.fail.Exception, match="trained again"):
        mlmap.fine_tune(binary_df.iloc[:20], **settings)


def test_predict_proba_follows_mlmap_precision_and_leaves_weights_fp32(tokenizer, binary_df, make_tiny_model, tmp_path,
                                                                       monkeypatch):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    monkeypatch.setenv("MLMAP_PRECISION", "fp32")
    fp32 = trainer.predict_proba(ds)
    # as on a CPU with bf16 units (emulated where there are none): the same trainer predicts in bf16
    monkeypatch.setattr(mlmap.hardware, "bf16_supported", lambda: True)
    monkeypatch.setenv("MLMAP_PRECISION", "auto")
    bf16 = trainer.predict_proba(ds)
    assert not np.array_equal(bf16, fp32)
    np.testing.assert_allclose(bf16, fp32, atol=0.02)
    assert next(trainer.model.parameters()).dtype == torch.float32


def test_predict_proba_tokenizes_texts_to_the_trainers_max_length(tokenizer, binary_df, make_tiny_model, tmp_path):
    long_df = binary_df.assign(text=binary_df["text"] + " " + " ".join(["policy"] * 60))
    ds = mlmap.hf_tokenize_data(long_df, tokenizer, 16)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path, max_length=16)
    np.testing.assert_allclose(trainer.predict_proba(long_df["text"].tolist()), trainer.predict_proba(ds), atol=1e-6)
    # the same texts at the tokenizer's 512 tokens are other inputs, with other probabilities
    assert not np.allclose(trainer.predict_proba(mlmap.hf_tokenize_data(long_df, tokenizer, 512)), trainer.predict_proba(ds))


def test_a_dataframe_without_text_is_read_by_its_title_and_abstract(tokenizer, binary_df, make_tiny_model, tmp_path):
    ds = mlmap.hf_tokenize_data(binary_df, tokenizer)
    trainer = _trainer(make_tiny_model(), tokenizer, ds, tmp_path)
    papers = pd.DataFrame({"title": ["Carbon tax", "Forest policy"], "abstract": ["emissions fell", ""]})
    np.testing.assert_allclose(trainer.predict_proba(papers),
                               trainer.predict_proba(["Carbon tax. emissions fell", "Forest policy"]), atol=1e-6)
    with pytest.raises(mlmap.DocumentsError, match="no title or abstract column"):
        trainer.predict_proba(pd.DataFrame({"words": ["carbon tax"]}))


def test_fine_tune_prints_no_load_report_or_save_bars(tiny_encoder_dir, binary_df, tmp_path, capfd):
    mlmap.fine_tune(binary_df, model_name=tiny_encoder_dir, cache_dir=tmp_path / "cache", num_train_epochs=1,
                    bf16=False, disable_tqdm=True, check=False)
    err = capfd.readouterr().err
    assert "LOAD REPORT" not in err and "Loading weights" not in err and "Writing model shards" not in err
    # the switch is undone afterwards: a plain load still reports the new head
    from transformers.utils import logging as hf_logging

    assert hf_logging.get_verbosity() == hf_logging.WARNING and hf_logging.is_progress_bar_enabled()


def test_fine_tune_gives_the_same_model_whatever_ran_before(tiny_encoder_dir, binary_df):
    settings = dict(model_name=tiny_encoder_dir, num_train_epochs=1, bf16=False, disable_tqdm=True, check=False)
    first = mlmap.fine_tune(binary_df, **settings).predict_proba(binary_df)
    torch.rand(1000)  # other work moves the global random state, as a longer session or `cv` would
    np.testing.assert_allclose(mlmap.fine_tune(binary_df, **settings).predict_proba(binary_df), first, atol=1e-6)
