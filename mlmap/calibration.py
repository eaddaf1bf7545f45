"""Probabilities that mean what they say: Platt scaling per label, fitted on documents the model never saw.

A model trained with ``pos_weight`` (the multilabel default) ranks rare labels better but multiplies
each label's odds by its weight, so its probabilities over-count. Platt scaling (Platt 1999) fits,
per label, ``P = sigmoid(slope * logit(p) + intercept)`` to held-out labels: a monotone map, so
rankings, AUC and F1 at matching thresholds stay as they were. :func:`calibrate_head` writes the
map into the classification head itself, so every prediction path (the trainer, a saved folder,
OpenVINO, the CLI) gives the calibrated probabilities without knowing about it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import minimize

#: A slope is kept at least this: a label the held-out documents do not rank keeps its (weak) ranking
#: with probabilities close to its base rate, instead of being reversed.
MIN_SLOPE = 0.01
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class PlattScaling:
    """Per label, ``sigmoid(slope * logit(p) + intercept)``; one entry for a one-target model."""

    slope: tuple[float, ...]
    intercept: tuple[float, ...]

    def apply(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the same shape as ``proba``."""
        p = np.asarray(proba, dtype=np.float64)
        z = _logit(p.reshape(len(p), -1)) * np.asarray(self.slope) + np.asarray(self.intercept)
        return (1 / (1 + np.exp(-z))).reshape(p.shape)

    def as_dict(self) -> dict[str, Any]:
        return {k: [round(v, 6) for v in values] for k, values in asdict(self).items()}


def _fit_one(y: np.ndarray, x: np.ndarray, min_slope: float) -> tuple[float, float]:
    positives, negatives = y.sum(), len(y) - y.sum()
    # Platt's targets: (N+ + 1) / (N+ + 2) and 1 / (N- + 2), so a few held-out positives cannot push
    # probabilities to 0 or 1
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * x + params[1]
        p = 1 / (1 + np.exp(-z))
        value = np.sum(np.logaddexp(0, z) - target * z)
        residual = p - target
        return float(value), np.array([np.sum(residual * x), np.sum(residual)])

    prior = np.log((positives + 1) / (negatives + 1))
    result = minimize(loss, np.array([1.0, prior]), jac=True, method="L-BFGS-B",
                      bounds=[(min_slope, None), (None, None)])
    return float(result.x[0]), float(result.x[1])


def fit_platt(labels: np.ndarray, proba: np.ndarray, min_slope: float = MIN_SLOPE) -> PlattScaling:
    """Fit Platt scaling per label to 0/1 ``labels`` and a model's ``proba`` for the same held-out documents.

    The documents must be ones the model never trained on (an inner validation split); each label
    needs positives and negatives among them.
    """
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
    if y2.shape != p2.shape or len(y2) == 0:
        raise ValueError(f"labels {y.shape} and probabilities {p.shape} do not describe the same documents")
    lonely = [j for j in range(y2.shape[1]) if not 0 < y2[:, j].sum() < len(y2)]
    if lonely:
        raise ValueError(f"label(s) {lonely} have only one class among the {len(y2)} held-out documents: "
                         "calibration needs both; hold out more documents")
    fitted = [_fit_one(y2[:, j], _logit(p2[:, j]), min_slope) for j in range(y2.shape[1])]
    return PlattScaling(tuple(a for a, _ in fitted), tuple(b for _, b in fitted))


def calibrate_and_threshold(labels: np.ndarray, proba: np.ndarray
                            ) -> tuple[PlattScaling, np.ndarray, list[float]]:
    """Platt scaling fitted on held-out ``proba``, those probabilities calibrated, and F1-best thresholds on them.

    The map is monotone, so the thresholds make the same decisions on these documents as the
    uncalibrated ones did.
    """
    from .metrics import best_thresholds

    scaling = fit_platt(labels, proba)
    calibrated = scaling.apply(proba)
    return scaling, calibrated, [float(t) for t in best_thresholds(labels, calibrated)]


def _head(model: torch.nn.Module) -> torch.nn.Linear:
    """The classification head's last linear layer (``classifier`` in BERT, ``classifier.out_proj`` in RoBERTa)."""
    outputs = model.config.num_labels
    layers = [m for _, m in model.named_modules() if isinstance(m, torch.nn.Linear) and m.out_features == outputs]
    if not layers:
        raise ValueError(f"found no linear layer with {outputs} outputs to calibrate in {type(model).__name__}")
    return layers[-1]


@torch.no_grad()
def calibrate_head(model: torch.nn.Module, scaling: PlattScaling, multilabel: bool) -> None:
    """Write ``scaling`` into the model's head, so that its own probabilities are the calibrated ones.

    Multilabel (a sigmoid per label): label k's logit becomes ``slope_k * z_k + intercept_k``. Two
    classes (softmax): both logits are multiplied by the slope and the intercept is added to class
    1's, which maps ``z1 - z0``, the logit of P(class 1), exactly as Platt scaling does.
    """
    head = _head(model)
    slope = torch.tensor(scaling.slope, dtype=head.weight.dtype)
    intercept = torch.tensor(scaling.intercept, dtype=head.weight.dtype)
    if head.bias is None:
        raise ValueError("the classification head has no bias to calibrate")
    if multilabel:
        if len(slope) != head.out_features:
            raise ValueError(f"{len(slope)} calibrated labels for a head of {head.out_features} outputs")
        head.weight.mul_(slope[:, None])
        head.bias.mul_(slope).add_(intercept)
    else:
        if head.out_features != 2 or len(slope) != 1:
            raise ValueError("a one-target model is calibrated with one slope and a two-class head")
        head.weight.mul_(slope[0])
        head.bias.mul_(slope[0])
        head.bias[1] += intercept[0]
