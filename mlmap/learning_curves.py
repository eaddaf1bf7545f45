"""How many labels do I need? Learning curves, an inverse power law fitted to them, and a backtest of that fit.

A learning curve scores a model trained on growing numbers of labelled documents, on the same
held-out documents, several times per size (a different random subset each time). Its shape is
close to an inverse power law, ``F1(n) = a - b * n ** -c`` (Figueroa et al. 2012): ``a`` is where
more labels stop helping. Fitted to the sizes one has, it predicts what twice the labels would
give, with an interval from refitting to resampled repeats, and how many labels (and positives)
a code needs before doubling them would add less than 0.01 F1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

#: Regularisation strengths a logistic regression chooses from, inside each training subset.
LOGISTIC_C = (0.1, 1.0, 10.0, 100.0)
#: A code has enough labels where doubling them would add less F1 than this (on the fitted curve). The
#: plateau itself is a poor guide: it is extrapolated far beyond the data, and the curve nears it slowly.
DOUBLING_GAIN = 0.01


def subset_sizes(pool: int, smallest: int = 40, count: int = 8) -> list[int]:
    """``count`` sizes from ``smallest`` to ``pool``, evenly spaced on a log scale."""
    if pool < smallest:
        raise ValueError(f"only {pool} labelled documents to learn from: a learning curve needs at least {smallest}")
    return sorted({int(round(v)) for v in np.geomspace(smallest, pool, count)})


def _scores(labels: np.ndarray, proba: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label: F1 at the thresholds and ROC AUC (NaN where the test documents hold one class only)."""
    from sklearn.metrics import f1_score, roc_auc_score

    f1, auc = [], []
    for j in range(labels.shape[1]):
        y, p = labels[:, j], proba[:, j]
        f1.append(f1_score(y, p >= thresholds[j], zero_division=0.0))
        auc.append(roc_auc_score(y, p) if 0 < y.sum() < y.size else np.nan)
    return np.array(f1), np.array(auc)


def fit_and_score(train_x, train_y: np.ndarray, test_x, test_y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Logistic regression per label, C and thresholds chosen by 3-fold cross-validation inside the training subset.

    Returns per-label F1 and AUC on the test documents, and the chosen C. A label with fewer than 3
    positives in the subset cannot be learned: its F1 and AUC are NaN.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold

    from .metrics import best_thresholds

    learnable = (train_y.sum(axis=0) >= 3) & (train_y.sum(axis=0) <= len(train_y) - 3)
    f1, auc = np.full(train_y.shape[1], np.nan), np.full(train_y.shape[1], np.nan)
    if not learnable.any():
        return f1, auc, np.nan
    y = train_y[:, learnable]
    folds = list(KFold(3, shuffle=True, random_state=seed).split(np.zeros(len(y))))
    best = (-1.0, LOGISTIC_C[0], None)
    for c in LOGISTIC_C:
        inner = np.zeros(y.shape)
        for fit_on, score_on in folds:
            if (y[fit_on].sum(axis=0) == 0).any() or (y[fit_on].sum(axis=0) == len(fit_on)).any():
                # a fold without a positive (or negative) of some label: its best guess is the base rate
                inner[score_on] = y[fit_on].mean(axis=0)
            else:
                inner[score_on] = _fit_proba(train_x[fit_on], y[fit_on], train_x[score_on], c, seed)
        thresholds = best_thresholds(y, inner)
        score = float(np.mean([f1_score(y[:, j], inner[:, j] >= thresholds[j], zero_division=0.0)
                               for j in range(y.shape[1])]))
        if score > best[0]:
            best = (score, c, thresholds)
    _, c, thresholds = best
    proba = _fit_proba(train_x, y, test_x, c, seed)
    f1[learnable], auc[learnable] = _scores(test_y[:, learnable], proba, np.asarray(thresholds))
    return f1, auc, c


def _fit_proba(fit_x, fit_y: np.ndarray, score_x, c: float, seed: int) -> np.ndarray:
    """P(label) per label of ``score_x`` from a logistic regression fitted on ``fit_x`` (documents x labels out)."""
    from .baselines import fit_logistic, logistic_proba

    single = fit_y.shape[1] == 1  # one target: a plain binary regression, not one-vs-rest over one column
    model = fit_logistic(fit_x, fit_y[:, 0] if single else fit_y, c, seed)
    return np.asarray(logistic_proba(model, score_x)).reshape(score_x.shape[0], -1)


def learning_curve(features: Callable[[np.ndarray, np.ndarray], tuple], labels: np.ndarray, test: np.ndarray,
                   sizes: Sequence[int], resamples: int = 5, seed: int = 0,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per size, resample and label: ``size``, ``resample``, ``label`` (column index), ``positives``, ``f1``, ``auc``, ``C``.

    ``labels`` is 0/1 (documents, or documents x labels); ``test`` marks the held-out documents
    every point is scored on; the rest is the pool the training subsets are drawn from.
    ``features(train_index, test_index)`` returns (train, test) feature matrices, so a
    vectoriser can learn from the subset alone.
    """
    labels = np.asarray(labels).reshape(len(labels), -1).astype(int)
    pool = np.flatnonzero(~test)
    test_index = np.flatnonzero(test)
    if max(sizes) > pool.size:
        raise ValueError(f"size {max(sizes)} is more than the {pool.size} documents outside the test set")
    rng = np.random.default_rng(seed)
    rows, done = [], 0
    for size in sizes:
        for r in range(resamples):
            train_index = np.sort(rng.choice(pool, size, replace=False))
            train_x, test_x = features(train_index, test_index)
            f1, auc, c = fit_and_score(train_x, labels[train_index], test_x, labels[test_index], seed + r)
            for j in range(labels.shape[1]):
                rows.append({"size": size, "resample": r, "label": j, "positives": int(labels[train_index, j].sum()),
                             "f1": f1[j], "auc": auc[j], "C": c})
            done += 1
            if progress:
                progress(done, len(sizes) * resamples)
    return pd.DataFrame(rows)


def power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """The inverse power law ``a - b * n ** -c``."""
    return a - b * np.power(n, -c)


def fit_power_law(sizes: np.ndarray, scores: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``(a, b, c)`` of :func:`power_law` through the points (NaN scores ignored); ``a`` within [0, 1]."""
    sizes, scores = np.asarray(sizes, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    keep = ~np.isnan(scores)
    if np.unique(sizes[keep]).size < 3:
        raise ValueError("an inverse power law needs scores at 3 or more sizes")
    start = (min(1.0, scores[keep].max() + 0.05), 1.0, 0.5)
    params, _ = curve_fit(power_law, sizes[keep], scores[keep], p0=start, bounds=([0, 0, 0.01], [1, 1e4, 3]), maxfev=20000)
    return tuple(float(v) for v in params)


def predict_with_interval(points: pd.DataFrame, at: float, level: float = 0.9, n_boot: int = 200,
                          seed: int = 0, metric: str = "f1") -> dict[str, float]:
    """The fitted F1 at ``at`` labelled documents, with a percentile interval from refitting to resampled repeats.

    ``points`` holds one label's rows of :func:`learning_curve`. Also returns the plateau ``a`` and
    the documents after which doubling them adds less than :data:`DOUBLING_GAIN` F1.
    """
    a, b, c = fit_power_law(points["size"].to_numpy(), points[metric].to_numpy())
    rng = np.random.default_rng(seed)
    groups = [g[metric].to_numpy() for _, g in points.groupby("size")]
    sizes = np.array(sorted(points["size"].unique()), dtype=np.float64)
    draws = []
    for _ in range(n_boot):
        resampled = [rng.choice(g, g.size) for g in groups]
        try:
            params = fit_power_law(np.repeat(sizes, [g.size for g in resampled]), np.concatenate(resampled))
        except (RuntimeError, ValueError):
            continue
        draws.append(power_law(np.array([at]), *params)[0])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws else (np.nan, np.nan)
    # a - b (2n)^-c - (a - b n^-c) = b n^-c (1 - 2^-c) falls below the gain at this n
    needed = float((b * (1 - 2.0 ** -c) / DOUBLING_GAIN) ** (1 / c)) if b > 0 else float(sizes.min())
    return {"predicted": float(power_law(np.array([at]), a, b, c)[0]), "low": float(low), "high": float(high),
            "plateau": a, "b": b, "c": c, "documents_needed": needed}


def backtest(points: pd.DataFrame, metric: str = "f1") -> dict[str, float]:
    """Fit on the sizes up to half the largest, predict the largest: the prediction, the observed mean, the error.

    This is the question the fit answers in use (what would twice the labels give?), asked where
    the answer is known.
    """
    sizes = np.array(sorted(points["size"].unique()))
    first_half = sizes[sizes <= sizes[-1] / 2]
    fitted = fit_power_law(*points[points["size"].isin(first_half)][["size", metric]].to_numpy().T)
    largest = points[points["size"] == sizes[-1]][metric].mean()
    predicted = float(power_law(np.array([sizes[-1]]), *fitted)[0])
    return {"fitted_up_to": int(first_half[-1]), "largest": int(sizes[-1]), "predicted": predicted,
            "observed": float(largest), "error": predicted - float(largest)}
