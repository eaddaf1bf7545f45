"""``CustomTrainer``: a ``Trainer`` whose loss matches the target, evaluating in input order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from datasets import Dataset
from torch.nn import functional as F
from transformers import Trainer

from . import labels as labels_
from .metrics import compute_pos_weight
from .predicting import as_dataset, predict_proba, probabilities_from_logits
from .tokenizing import BERT_MAX_LENGTH


class CustomTrainer(Trainer):
    """A ``Trainer`` whose loss matches the target, with ``predict_proba`` consistent with that loss.

    - One target (int class ids): cross-entropy over the logits, with optional ``class_weights``;
      probabilities are the softmax, and for two classes ``predict_proba`` returns P(class 1).
    - Multilabel (float 0/1 vectors): BCE-with-logits, with optional ``pos_weight`` (a tensor, or
      ``"auto"`` for negatives / positives of the training labels); probabilities are the sigmoid.

    ``max_length`` is the input length the model is trained on (give the one its training Dataset
    was tokenized with): ``predict_proba`` on texts or a DataFrame tokenizes to it, so the trainer
    predicts what it was trained on, whatever the tokenizer's ``model_max_length`` says.

    Which one is read from the training Dataset's ``labels`` feature (:mod:`mlmap.labels`) and
    written into the model's ``problem_type``. Unlike the plain ``Trainer`` with length-grouped
    training batches, ``evaluate`` and ``predict`` keep the dataset's order.
    """

    # the loss below is a per-batch mean, so the Trainer still divides it for gradient accumulation
    loss_is_scaled_for_ga = False

    def __init__(
        self,
        *args: Any,
        class_weights: Sequence[float] | torch.Tensor | None = None,
        pos_weight: Sequence[float] | torch.Tensor | Literal["auto"] | None = None,
        max_length: int = BERT_MAX_LENGTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        #: the input length the model trains on; ``predict_proba`` tokenizes texts to it
        self.max_length = int(max_length)
        train = self.train_dataset
        has_labels = train is not None and "labels" in getattr(train, "column_names", [])
        if has_labels:
            self.model.config.problem_type = labels_.problem_type(train)
        if isinstance(pos_weight, str):
            if pos_weight != "auto" or not has_labels:
                raise ValueError('pos_weight="auto" needs a train_dataset with multilabel "labels"')
            pos_weight = compute_pos_weight(train["labels"])
        self.class_weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
        self.pos_weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float32)

    def _get_eval_sampler(self, eval_dataset: Dataset) -> torch.utils.data.Sampler | None:
        # transformers 5 evaluates in length-grouped, shuffled order when training groups by length,
        # so Trainer.predict would return rows out of input order; evaluation needs no grouping
        if eval_dataset is None or not hasattr(eval_dataset, "__len__") or self.args.world_size > 1:
            return super()._get_eval_sampler(eval_dataset)
        return torch.utils.data.SequentialSampler(eval_dataset)

    @property
    def is_multilabel(self) -> bool:
        """Whether the model is trained as multilabel (sigmoid per label) rather than softmax."""
        return self.model.config.problem_type == labels_.MULTILABEL_PROBLEM

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Cross-entropy for class ids, BCE-with-logits for multilabel vectors (see the class doc)."""
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        if labels.is_floating_point():
            if labels.shape != logits.shape:
                raise ValueError(f"multilabel targets of shape {tuple(labels.shape)} do not fit logits {tuple(logits.shape)}")
            weight = None if self.pos_weight is None else self.pos_weight.to(logits.device)
            loss = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=weight)
        else:
            weight = None if self.class_weights is None else self.class_weights.to(logits.device)
            loss = F.cross_entropy(logits, labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def probabilities(self, logits: np.ndarray | torch.Tensor) -> np.ndarray:
        """Logits to the probabilities the loss was trained for (sigmoid or softmax; P(class 1) for two classes)."""
        return probabilities_from_logits(logits, self.is_multilabel)

    def predict_proba(
        self,
        data: Dataset | pd.DataFrame | Sequence[str],
        batch_size: int | None = None,
        progress: bool | None = None,
        engine: str = "pytorch",
    ) -> np.ndarray:
        """Probabilities for every document, in the input order; labels are not needed.

        ``data`` is a tokenized Dataset, or a list of texts or a DataFrame (its ``text`` column, or
        its title and abstract columns), tokenized with the trainer's ``processing_class`` to its
        ``max_length``. See :func:`mlmap.predicting.predict_proba`: batches of similar length, the
        precision of ``MLMAP_PRECISION``, flat memory; ``engine="openvino"`` converts the model to
        OpenVINO first (:mod:`mlmap.openvino_engine`).
        """
        dataset = as_dataset(data, self.processing_class, self.max_length)
        return predict_proba(
            self.model, dataset, self.processing_class,
            batch_size=batch_size or self.args.per_device_eval_batch_size,
            progress=progress, engine=engine,
            collate=None if self.processing_class is not None else self.data_collator,
        )
