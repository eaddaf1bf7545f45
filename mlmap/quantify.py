"""How many documents have a label: counts with intervals, by quantification rather than classify-and-count.

A map reports how many documents fall in each category. Counting the documents whose probability
passes a threshold (classify and count, CC) inherits the threshold's errors, and they do not
cancel when the corpus holds more or fewer relevant documents than the labelled set did (prior
shift). The methods here correct for that with labelled documents the model never trained on
(the *calibration* set: out-of-fold or held-out predictions with their labels):

- ``CC``: documents at or above the threshold;   ``PCC``: the sum of the probabilities
- ``ACC``: CC adjusted by the true and false positive rates measured on the calibration set
- ``PACC``: PCC adjusted by the mean probability of the calibration set's positives and negatives
- ``EMQ``: the probabilities re-weighted to a new prevalence until it agrees with them (Saerens et
  al. 2002, "SLD")
- ``EMQ-Platt``: EMQ on probabilities first recalibrated on the calibration set by Platt scaling.
  EM assumes calibrated probabilities; a map cell's product of three models' probabilities is not
  one, and EM then runs away. Calibrating first is what Alexandari et al. (2020) found hard to beat.

These are the definitions of QuaPy (``quapy.method.aggregative``); the tests check each point
estimate against QuaPy's own. They are written here, vectorised over bootstrap replicates, because
an interval needs each one refitted hundreds of times. The interval is a percentile bootstrap that
resamples the calibration set and the corpus together: it carries the uncertainty of the rates
that the adjustment divides by, and that of the corpus's own documents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

METHODS = ("CC", "PCC", "ACC", "PACC", "EMQ", "EMQ-Platt")
LEVELS = (0.90, 0.95)


class QuantificationError(ValueError):
    """Labels or scores that no count can be estimated from (the message says which and why)."""


def _checked(name: str, scores: np.ndarray, labels: np.ndarray | None = None) -> None:
    if scores.size == 0:
        raise QuantificationError(f"{name}: no documents to count")
    if np.isnan(scores).any() or (scores < 0).any() or (scores > 1).any():
        raise QuantificationError(f"{name}: probabilities must lie in [0, 1], without blanks")
    if labels is not None:
        positives = int(labels.sum())
        if positives == 0 or positives == labels.size:
            kind = "no positive" if positives == 0 else "no negative"
            raise QuantificationError(
                f"{name}: the calibration set has {kind} documents (prevalence {positives / labels.size:g}), so the "
                "rates that correct the count cannot be measured: label documents of both kinds, or drop the label")


def _resampling_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Row 0 weighs every document once (the point estimate); rows 1..n_boot are bootstrap resamples."""
    weights = np.ones((n_boot + 1, n))
    if n_boot:
        weights[1:] = rng.multinomial(n, np.full(n, 1 / n), size=n_boot)
    return weights


def _emq(train_prevalence: np.ndarray, scores: np.ndarray, weights: np.ndarray,
         tolerance: float = 1e-6, max_iter: int = 1000) -> np.ndarray:
    """Saerens-Latinne-Decaestecker EM, one prevalence per row of ``weights`` (and of ``train_prevalence``)."""
    return _emq_rows(train_prevalence, np.broadcast_to(scores, weights.shape), weights, tolerance, max_iter)


def _emq_rows(train_prevalence: np.ndarray, scores: np.ndarray, weights: np.ndarray,
              tolerance: float = 1e-6, max_iter: int = 1000) -> np.ndarray:
    """:func:`_emq` with a row of probabilities per row of ``weights`` (recalibrated per bootstrap replicate)."""
    p0 = np.clip(train_prevalence, 1e-9, 1 - 1e-9)[:, None]
    prevalence = p0[:, 0].copy()
    total = weights.sum(axis=1)
    for _ in range(max_iter):
        q = prevalence[:, None]
        positive = q * scores / p0
        adjusted = positive / (positive + (1 - q) * (1 - scores) / (1 - p0))
        new = (weights * adjusted).sum(axis=1) / total
        if np.max(np.abs(new - prevalence)) < tolerance:
            return new
        prevalence = new
    return prevalence


def platt_replicates(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Platt scaling ``sigmoid(a + b logit(p))`` fitted per row of ``weights`` (Newton steps, all rows at once).

    Targets are Platt's smoothed ones ((positives + 1) / (positives + 2) and 1 / (negatives + 2)), so a
    separable calibration set still has a finite fit. Returns (rows x 2) of (a, b).
    """
    logit = np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))
    # standardised, and started from the constant model, Newton's steps stay where the fit is well defined
    centre, scale = logit.mean(), logit.std() or 1.0
    x = (logit - centre) / scale
    positives, negatives = weights @ labels, weights @ (1 - labels)
    target = np.where(labels[None, :] == 1, ((positives + 1) / (positives + 2))[:, None], (1 / (negatives + 2))[:, None])
    theta = np.zeros((weights.shape[0], 2))
    base = (weights * target).sum(1) / weights.sum(1)
    theta[:, 0] = np.log(base / (1 - base))
    for _ in range(iterations):
        mu = 1 / (1 + np.exp(-(theta[:, :1] + theta[:, 1:] * x[None, :])))
        r, v = weights * (target - mu), weights * mu * (1 - mu) + 1e-9
        g0, g1 = r.sum(1), (r * x).sum(1)
        h00, h01, h11 = v.sum(1) + 1e-6, (v * x).sum(1), (v * x * x).sum(1) + 1e-6
        det = h00 * h11 - h01**2
        step = np.stack([(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det], axis=1)
        theta += np.clip(step, -5, 5)
        if np.abs(step).max() < 1e-8:
            break
    return np.stack([theta[:, 0] - theta[:, 1] * centre / scale, theta[:, 1] / scale], axis=1)


def prevalence_replicates(cal_scores: np.ndarray, cal_labels: np.ndarray, scores: np.ndarray, threshold: float,
                          methods: Sequence[str] = METHODS, n_boot: int = 500, seed: int = 0, *,
                          cal_decisions: np.ndarray | None = None,
                          decisions: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per method, the estimated prevalence in ``scores``: entry 0 the point estimate, then ``n_boot`` replicates.

    ``cal_scores``/``cal_labels`` are the calibration set (probabilities and 0/1 labels of documents
    the model never trained on); ``threshold`` is the decision threshold that CC and ACC count with,
    unless 0/1 ``cal_decisions`` and ``decisions`` are given (a map cell is decided by three thresholds).
    """
    cal_scores, scores = np.asarray(cal_scores, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    cal_labels = np.asarray(cal_labels, dtype=np.float64)
    _checked("calibration set", cal_scores, cal_labels)
    _checked("corpus", scores)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise QuantificationError(f"unknown method(s) {unknown}: choose from {', '.join(METHODS)}")
    rng = np.random.default_rng(seed)
    w_cal = _resampling_weights(cal_scores.size, n_boot, rng)
    w = _resampling_weights(scores.size, n_boot, rng)
    hit = np.asarray(decisions if decisions is not None else scores >= threshold, dtype=np.float64)
    cal_hit = np.asarray(cal_decisions if cal_decisions is not None else cal_scores >= threshold, dtype=np.float64)
    positives, negatives = w_cal @ cal_labels, w_cal @ (1 - cal_labels)
    # a resample can draw no positive (or no negative) document: its rates are undefined, and it is dropped
    defined = (positives > 0) & (negatives > 0)
    positives, negatives = np.where(defined, positives, 1), np.where(defined, negatives, 1)

    def adjusted(observed: np.ndarray, values: np.ndarray) -> np.ndarray:
        tpr, fpr = (w_cal @ (cal_labels * values)) / positives, (w_cal @ ((1 - cal_labels) * values)) / negatives
        gap = tpr - fpr
        # no better than chance on the calibration set: nothing to adjust by, so the count stays unadjusted
        return np.clip(np.where(gap > 1e-9, (observed - fpr) / np.where(gap > 1e-9, gap, 1), observed), 0, 1)

    out = {}
    cc, pcc = (w @ hit) / scores.size, (w @ scores) / scores.size
    for method in methods:
        if method == "CC":
            estimate = cc
        elif method == "PCC":
            estimate = pcc
        elif method == "ACC":
            estimate = adjusted(cc, cal_hit)
        elif method == "PACC":
            estimate = adjusted(pcc, cal_scores)
        elif method == "EMQ":
            estimate = _emq(positives / (positives + negatives), scores, w)
        else:
            a, b = platt_replicates(cal_scores, cal_labels, w_cal).T
            logit = np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))
            recalibrated = 1 / (1 + np.exp(-(a[:, None] + b[:, None] * logit[None, :])))
            estimate = _emq_rows(positives / (positives + negatives), recalibrated, w)
        out[method] = np.concatenate([estimate[:1], estimate[1:][defined[1:]]])
    return out


def count_intervals(cal_scores: np.ndarray, cal_labels: np.ndarray, scores: np.ndarray, threshold: float,
                    methods: Sequence[str] = METHODS, levels: Sequence[float] = LEVELS, n_boot: int = 500,
                    seed: int = 0, **decisions: np.ndarray | None) -> pd.DataFrame:
    """One row per method: the estimated number of documents in ``scores`` with the label, and its intervals.

    Columns ``method``, ``estimate``, then ``low_90``/``high_90`` and so on for each level. Takes the
    keywords of :func:`prevalence_replicates`.
    """
    replicates = prevalence_replicates(cal_scores, cal_labels, scores, threshold, methods, n_boot, seed, **decisions)
    n = len(scores)
    rows = []
    for method, values in replicates.items():
        row = {"method": method, "estimate": values[0] * n}
        for level in levels:
            tail = (1 - level) / 2 * 100
            low, high = np.percentile(values[1:] * n, [tail, 100 - tail]) if values.size > 1 else (np.nan, np.nan)
            row[f"low_{level * 100:.0f}"], row[f"high_{level * 100:.0f}"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)


def count_labels(calibration: pd.DataFrame, corpus: pd.DataFrame, labels: Sequence[str],
                 thresholds: dict[str, float] | None = None, methods: Sequence[str] = METHODS,
                 levels: Sequence[float] = LEVELS, n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Counts with intervals for several labels: ``calibration`` has ``p_<label>`` and ``<label>`` (0/1, blank =
    not labelled, skipped) columns, ``corpus`` has ``p_<label>``.

    CC and ACC count the ``pred_<label>`` decisions where both files have them (as ``mlmap predict``
    writes them), else the probabilities at ``thresholds`` (default 0.5).
    """
    rows = []
    for k, label in enumerate(labels):
        for frame, column, what in ((calibration, f"p_{label}", "calibration"), (calibration, label, "calibration"),
                                    (corpus, f"p_{label}", "corpus")):
            if column not in frame.columns:
                raise QuantificationError(f"the {what} file has no column {column!r} for label {label!r}")
        known = calibration[label].notna()
        cal = calibration.loc[known]
        values = set(pd.unique(cal[label]))
        if not values <= {0, 1}:
            raise QuantificationError(f"label {label!r}: the calibration labels must be 0 or 1 (found {sorted(values)[:5]})")
        decided = f"pred_{label}" in cal.columns and f"pred_{label}" in corpus.columns and not thresholds
        # CC and ACC count the files' own decisions where both have them, else the thresholds given (or 0.5)
        decisions = ({"cal_decisions": cal[f"pred_{label}"].to_numpy(), "decisions": corpus[f"pred_{label}"].to_numpy()}
                     if decided else {})
        try:
            table = count_intervals(cal[f"p_{label}"].to_numpy(), cal[label].to_numpy(), corpus[f"p_{label}"].to_numpy(),
                                    (thresholds or {}).get(label, 0.5), methods, levels, n_boot, seed + k, **decisions)
        except QuantificationError as error:
            raise QuantificationError(f"label {label!r}: {error}") from None
        table.insert(0, "label", label)
        table.insert(2, "documents", len(corpus))
        table.insert(3, "calibration_positives", int(cal[label].sum()))
        rows.append(table)
    return pd.concat(rows, ignore_index=True)
