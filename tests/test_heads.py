"""The mean-pooled head: padding never counts, pretrained weights load into it, a saved folder loads as itself."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, BertModel

import mlmap
from mlmap.heads import pooling_of, register_mean_pooled


def test_mean_pool_averages_only_the_real_tokens():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
                           [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert mlmap.mean_pool(hidden, mask).tolist() == [[2.0, 3.0], [7.0, 8.0]]


def test_a_documents_probabilities_do_not_depend_on_its_batch(make_tiny_model, tokenizer, binary_df, fp32):
    model = make_tiny_model(3, multilabel=True, pooling="mean")
    dataset = mlmap.hf_tokenize_data(binary_df[["text"]], tokenizer, 64)
    alone = mlmap.predict_proba(model, dataset, tokenizer, batch_size=1)
    batched = mlmap.predict_proba(model, dataset, tokenizer, batch_size=8)  # mixed lengths: padding in most rows
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    # and they are the head on the masked mean, computed here by hand
    batch = tokenizer(binary_df["text"].tolist()[:4], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model.bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        by_hand = torch.sigmoid(model.classifier((hidden * mask).sum(1) / mask.sum(1))).numpy()
    np.testing.assert_allclose(alone[:4], by_hand, atol=1e-5)


def test_load_classifier_puts_the_mean_head_on_the_pretrained_encoder(tiny_encoder_dir):
    model = mlmap.load_classifier(tiny_encoder_dir, num_labels=3, multilabel=True, pooling="mean")
    encoder = BertModel.from_pretrained(tiny_encoder_dir)
    assert pooling_of(model.config) == "mean" and model.bert.pooler is None  # no unused pooler to train
    assert torch.equal(model.bert.encoder.layer[1].output.dense.weight, encoder.encoder.layer[1].output.dense.weight)
    assert model.config.problem_type == "multi_label_classification" and model.config.attention_probs_dropout_prob == 0
    assert pooling_of(mlmap.load_classifier(tiny_encoder_dir).config) == "cls"
    with pytest.raises(ValueError, match="pooling must be one of"):
        mlmap.load_classifier(tiny_encoder_dir, pooling="max")
    with pytest.raises(ValueError, match="no mean-pooled head for 'not-a-model' models; use pooling='cls'"):
        register_mean_pooled("not-a-model")


def test_a_saved_mean_pooled_folder_loads_as_itself_after_import_mlmap_heads(make_tiny_model, tokenizer, binary_df, tmp_path):
    model = make_tiny_model(2, pooling="mean").eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "mlmap-mean-bert"
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    batch = tokenizer(binary_df["text"].tolist(), padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(loaded(**batch).logits, model(**batch).logits)
    # in a new process: transformers alone refuses the type (never a silent [CLS] model); after import mlmap.heads
    # (the registration contract: mlmap's loaders register a folder's type themselves, plain transformers needs it)
    script = (f"from transformers import AutoModelForSequenceClassification as A\n"
              f"try:\n    A.from_pretrained({str(tmp_path)!r}); print('loaded without mlmap')\n"
              f"except (ValueError, KeyError): print('refused')\n"
              f"import mlmap.heads\nprint(type(A.from_pretrained({str(tmp_path)!r})).__name__)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["refused", "MeanPooledBertForSequenceClassification"]


def test_fine_tune_trains_the_mean_head_and_keys_its_cache_apart(tiny_encoder_dir, binary_df, tmp_path):
    args = dict(model_name=tiny_encoder_dir, max_length=32, num_train_epochs=30, learning_rate=1e-3, seed=0,
                output_dir=str(tmp_path / "out"), disable_tqdm=True, logging_strategy="no", cache_dir=tmp_path / "cache")
    trainer = mlmap.fine_tune(binary_df, pooling="mean", **args)
    assert pooling_of(trainer.model.config) == "mean" and trainer.learning["learned"]
    proba = trainer.predict_proba(binary_df["text"].tolist())
    assert proba[binary_df["labels"] == 1].mean() > proba[binary_df["labels"] == 0].mean() + 0.3
    mlmap.fine_tune(binary_df, pooling="cls", **args)
    assert len(list((tmp_path / "cache").iterdir())) == 2  # a [CLS] model is never taken for the mean one
    again = mlmap.fine_tune(binary_df, pooling="mean", **args)  # from the cache: the same class and answer
    assert type(again.model) is type(trainer.model)
    np.testing.assert_array_equal(again.predict_proba(binary_df["text"].tolist()), proba)


@pytest.mark.parametrize("config_class", ["RobertaConfig", "DistilBertConfig"])
def test_other_encoder_families_get_the_mean_head_and_reload(config_class, tmp_path):
    import transformers

    from mlmap.heads import mean_pooled_config

    small = (dict(dim=32, n_layers=1, n_heads=2, hidden_dim=64) if config_class == "DistilBertConfig"
             else dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64))
    config = getattr(transformers, config_class)(vocab_size=100, num_labels=3, **small)
    torch.manual_seed(0)
    model = register_mean_pooled(config.model_type)[1](mean_pooled_config(config)).eval()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    ids = torch.randint(5, 90, (2, 9))
    mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4])
    with torch.no_grad():
        logits = loaded(input_ids=ids, attention_mask=mask).logits
        assert torch.equal(logits, model(input_ids=ids, attention_mask=mask).logits)
        # the short document alone gives what it gave padded
        alone = loaded(input_ids=ids[1:, :5], attention_mask=mask[1:, :5]).logits
    torch.testing.assert_close(alone, logits[1:], atol=1e-5, rtol=1e-5)
    assert pooling_of(loaded.config) == "mean"
