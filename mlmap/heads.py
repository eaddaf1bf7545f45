"""Classification heads: the [CLS] head transformers builds, and a head on the mean of the token vectors.

``AutoModelForSequenceClassification`` puts its head on the first token, [CLS], through BERT's pooler.
Sentence encoders such as all-MiniLM-L6-v2 were trained to be read as the mean of their last hidden
states over the real (unpadded) tokens; their [CLS] vector and pooler were not part of that objective.
On fold 0's inner split the mean-pooled head ranked and calibrated better on every target
(``results/cv/exploration.md``).

A mean-pooled model is its encoder's own family with a model type of its own (``mlmap-mean-bert`` for
BERT), registered with the ``Auto`` classes. The contract: mlmap's loaders (:func:`mlmap.models.load_fine_tuned`,
and through it the training cache, :func:`mlmap.load_saved_classifier`, OpenVINO and the CLI) register
the type a folder needs themselves; plain ``AutoModelForSequenceClassification.from_pretrained`` on a
saved folder needs ``import mlmap.heads`` first (it registers BERT's; :func:`register_folder` any
other). ``import mlmap`` alone registers nothing (it imports nothing until a name is used), and
without the registration transformers refuses the unknown type rather than silently reading [CLS].
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from transformers import MODEL_MAPPING, AutoConfig, AutoModelForSequenceClassification, PretrainedConfig
from transformers.modeling_outputs import SequenceClassifierOutput

Pooling = Literal["cls", "mean"]
#: The heads :func:`mlmap.load_classifier` can put on an encoder.
POOLINGS: tuple[str, ...] = ("cls", "mean")
_PREFIX = "mlmap-mean-"
# the model types registered so far, by the encoder's model type
_REGISTERED: dict[str, tuple[type, type]] = {}


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``hidden`` (batch, tokens, dim) over the tokens the mask marks real.

    Padding never counts, so a document's vector does not depend on what it was batched with.
    """
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def _make_classes(encoder_type: str) -> tuple[type, type]:
    """A config and a model class for a mean-pooled classifier on the ``encoder_type`` family."""
    base_config = type(AutoConfig.for_model(encoder_type))
    encoder_class = MODEL_MAPPING[base_config]
    family = next(c for c in encoder_class.__mro__[1:] if hasattr(c, "base_model_prefix")
                  and c.base_model_prefix == encoder_class.base_model_prefix and c is not encoder_class)
    model_type = _PREFIX + encoder_type
    name = "MeanPooled" + base_config.__name__.removesuffix("Config")
    config_class = type(name + "Config", (base_config,), {"model_type": model_type, "__module__": __name__})
    takes_pooling_flag = "add_pooling_layer" in inspect.signature(encoder_class.__init__).parameters

    def __init__(self, config):
        family.__init__(self, config)
        self.num_labels = config.num_labels
        encoder = encoder_class(config, add_pooling_layer=False) if takes_pooling_flag else encoder_class(config)
        setattr(self, self.base_model_prefix, encoder)  # the family's prefix, so pretrained weights load into it
        dropout = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(dropout if dropout is not None else getattr(config, "hidden_dropout_prob", 0.1))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                **kwargs: Any) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask, **kwargs}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = getattr(self, self.base_model_prefix)(**inputs, return_dict=True).last_hidden_state
        logits = self.classifier(self.dropout(mean_pool(hidden, attention_mask)))
        loss = None
        if labels is not None:  # what BertForSequenceClassification computes; CustomTrainer computes its own
            if self.config.problem_type == "multi_label_classification":
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            else:
                loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)

    model_class = type(name + "ForSequenceClassification", (family,), {
        "config_class": config_class, "__init__": __init__, "forward": forward, "__module__": __name__,
        "__doc__": f"A {encoder_type} encoder with a classification head on the mean of its token vectors."})
    return config_class, model_class


def register_mean_pooled(encoder_type: str) -> tuple[type, type]:
    """Register (once) and return the config and model classes of a mean-pooled ``encoder_type`` classifier."""
    if encoder_type.startswith(_PREFIX):
        encoder_type = encoder_type[len(_PREFIX):]
    if encoder_type not in _REGISTERED:
        try:
            classes = _make_classes(encoder_type)
        except (KeyError, ValueError, StopIteration) as exc:
            raise ValueError(f"mlmap has no mean-pooled head for {encoder_type!r} models; "
                             "use pooling='cls' for this model") from exc
        AutoConfig.register(classes[0].model_type, classes[0])
        AutoModelForSequenceClassification.register(classes[0], classes[1])
        _REGISTERED[encoder_type] = classes
    return _REGISTERED[encoder_type]


def register_folder(folder: str | os.PathLike) -> None:
    """Register the mean-pooled type a saved model folder needs, if any, so the ``Auto`` classes load it."""
    config_file = Path(folder) / "config.json"
    if config_file.is_file():
        model_type = json.loads(config_file.read_text()).get("model_type", "")
        if model_type.startswith(_PREFIX):
            register_mean_pooled(model_type)


def pooling_of(config: PretrainedConfig) -> str:
    """``"mean"`` for a mean-pooled classifier's config, else ``"cls"``."""
    return "mean" if str(getattr(config, "model_type", "")).startswith(_PREFIX) else "cls"


def mean_pooled_config(config: PretrainedConfig) -> PretrainedConfig:
    """The config of a mean-pooled classifier with every setting of the encoder's ``config``."""
    config_class, _ = register_mean_pooled(config.model_type)
    fields = config.to_dict()
    fields.pop("model_type", None)
    return config_class(**fields)


# the shipped model's family, so that its saved folders load without a call first
register_mean_pooled("bert")
