"""The map's counts with intervals, and how often those intervals hold when the corpus differs from the labels.

A map's numbers are counts of documents that are relevant *and* have a code (a margin), or relevant
and have an instrument type and a sector (a cell). Each is a binary label of its own: its
probability is the product of the models' probabilities, its decision the product of their
decisions, and its truth is known on every labelled document whose codes are known. So the
quantifiers of :mod:`mlmap.quantify` count each with its interval.

:func:`shifted_draws` tests those intervals as a statistician would: it splits the labelled
documents into a calibration half and a pool, draws test corpora from the pool at prevalences
other than the labelled set's (keeping P(score | label): prior shift), and records whether each
method's interval covers the true count of each draw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .quantify import LEVELS, METHODS, count_intervals, prevalence_replicates

INCLUDE = "INCLUDE"
#: How far the test corpora's prevalence moves from the labelled set's (multiples of it).
PREVALENCE_FACTORS = (0.5, 0.75, 1.0, 1.5, 2.0)
#: The fewest positive (and negative) labelled documents a label needs for :func:`shifted_draws`.
MIN_POSITIVES = 10


def short_name(column: str) -> str:
    """``"4 - 1. Economic instruments"`` -> ``"Economic instruments"``."""
    return column.split(". ", 1)[-1]


def map_labels(predictions: pd.DataFrame, labels: pd.DataFrame | None, instruments: Sequence[str],
               sectors: Sequence[str], cells: bool = True) -> pd.DataFrame:
    """One column triple per map label (``p_<name>``, ``pred_<name>`` and, if ``labels`` is given, ``<name>``).

    Labels: ``INCLUDE``; each code among the included documents (``code: <code>``: its truth is blank
    for excluded documents, and its probability is the code model's alone); each margin
    (``included & <code>``) and, if ``cells``, each cell (``included & <instrument> & <sector>``),
    whose probabilities and decisions multiply those of their parts. A truth is blank where a
    code it needs was not coded; rows align with ``predictions``.
    """
    out: dict[str, pd.Series] = {}

    def add(name: str, parts: Sequence[str], within_included: bool = False) -> None:
        out[f"p_{name}"] = np.prod([predictions[f"p_{c}"].to_numpy(dtype=np.float64) for c in parts], axis=0)
        out[f"pred_{name}"] = np.prod([predictions[f"pred_{c}"].to_numpy(dtype=np.float64) for c in parts], axis=0)
        if labels is None:
            return
        truth = np.prod([labels[c].to_numpy(dtype=np.float64) for c in parts], axis=0)
        if within_included:
            truth = np.where(labels[INCLUDE].to_numpy() == 1, truth, np.nan)
        else:
            # an excluded document is in no cell, whatever its (possibly blank) codes
            truth = np.where(labels[INCLUDE].to_numpy() == 0, 0.0, truth)
        out[name] = truth

    add(INCLUDE, [INCLUDE])
    for code in [*instruments, *sectors]:
        add(f"code: {short_name(code)}", [code], within_included=True)
    for code in [*instruments, *sectors]:
        add(f"included & {short_name(code)}", [INCLUDE, code])
    if cells:
        for a in instruments:
            for b in sectors:
                add(f"included & {short_name(a)} & {short_name(b)}", [INCLUDE, a, b])
    return pd.DataFrame(out, index=predictions.index)


def label_names(frame: pd.DataFrame) -> list[str]:
    """The labels of a :func:`map_labels` frame, in order."""
    return [c.removeprefix("p_") for c in frame.columns if c.startswith("p_")]


def cross_fitted_counts(frame: pd.DataFrame, names: Sequence[str], methods: Sequence[str] = METHODS,
                        n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Counts with intervals for labelled documents, each half counted with the other half as calibration.

    For a corpus that is itself labelled (the book's demonstration corpus), counting it with its own
    labels as calibration would be circular. The documents are split in two at random; each half is
    counted from the other's rates, and the two halves' bootstrap replicates are added. A label
    with no positive (or negative) document in a half gets no estimate (NaN, and a ``note``).
    """
    rng = np.random.default_rng(seed)
    half = rng.permutation(len(frame)) % 2 == 0
    rows = []
    for k, name in enumerate(names):
        known = frame[name].notna().to_numpy()
        truth = frame.loc[known, name].sum()
        row = {"label": name, "documents": int(known.sum()), "true": truth}
        labels = frame[name].to_numpy()
        if any(min((labels[known & ~side] == 1).sum(), (labels[known & ~side] == 0).sum()) == 0
               for side in (half, ~half)):
            # a half without a positive (or negative) document cannot calibrate the other: no estimate, said so
            rows += [{**row, "method": m, "estimate": np.nan, "note": "too few labelled documents to calibrate"}
                     for m in methods]
            continue
        estimates: dict[str, list[np.ndarray]] = {m: [] for m in methods}
        for side in (half, ~half):
            cal, test = known & ~side, known & side
            reps = _replicates(frame, name, cal, test, methods, n_boot, seed + 2 * k + int(side[0]))
            for method in methods:
                estimates[method].append(reps[method])
        for method in methods:
            total = estimates[method][0] + estimates[method][1]
            counted = {**row, "method": method, "estimate": total[0]}
            for level in LEVELS:
                tail = (1 - level) / 2 * 100
                counted[f"low_{level * 100:.0f}"], counted[f"high_{level * 100:.0f}"] = np.percentile(
                    total[1:], [tail, 100 - tail])
            rows.append(counted)
    return pd.DataFrame(rows)


def _replicates(frame: pd.DataFrame, name: str, cal: np.ndarray, test: np.ndarray, methods: Sequence[str],
                n_boot: int, seed: int) -> dict[str, np.ndarray]:
    """Counts (point estimate, then ``n_boot`` replicates; same length for every method) of ``test`` from ``cal``."""
    table = {}
    p, pred, truth = (frame[c].to_numpy(dtype=np.float64) for c in (f"p_{name}", f"pred_{name}", name))
    reps = prevalence_replicates(p[cal], truth[cal], p[test], 0.5, methods, n_boot, seed,
                                 cal_decisions=pred[cal], decisions=pred[test])
    for method, values in reps.items():
        # replicates without a positive calibration document were dropped: pad by resampling the kept ones
        rest = values[1:]
        if rest.size < n_boot:
            rest = np.r_[rest, np.random.default_rng(seed).choice(rest, n_boot - rest.size)]
        table[method] = np.r_[values[0], rest] * test.sum()
    return table


def shifted_draws(frame: pd.DataFrame, names: Sequence[str], n_draws: int = 200, n_boot: int = 300,
                  factors: Sequence[float] = PREVALENCE_FACTORS, methods: Sequence[str] = METHODS, seed: int = 0,
                  progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per label, draw and method: the true count of a prior-shifted test corpus, the estimate, the intervals.

    Each draw splits a label's labelled documents in two, stratified: half calibrates, half is the
    pool a test corpus of the pool's size is drawn from (with replacement, per class) at the
    labelled prevalence times one of ``factors`` (cycled over draws, kept within [0.01, 0.95]).
    """
    rows = []
    for k, name in enumerate(names):
        # each label its own stream, so labels can run in separate processes and give the same draws
        rng = np.random.default_rng([seed, _stable_key(name)])
        known = frame[name].notna().to_numpy()
        p, pred, truth = (frame[c].to_numpy(dtype=np.float64)[known] for c in (f"p_{name}", f"pred_{name}", name))
        fewest = int(min(truth.sum(), truth.size - truth.sum()))
        if fewest < MIN_POSITIVES:
            kind = "positive" if truth.sum() == fewest else "negative"
            raise ValueError(f"label {name!r} has {fewest} {kind} documents: splitting them into a calibration half and "
                             f"a pool needs at least {MIN_POSITIVES}")
        natural = truth.mean()
        for draw in range(n_draws):
            side = np.zeros(truth.size, bool)
            for value in (0, 1):
                members = np.flatnonzero(truth == value)
                side[rng.choice(members, members.size // 2, replace=False)] = True
            cal, pool = ~side, side
            prevalence = float(np.clip(natural * factors[draw % len(factors)], 0.01, 0.95))
            n = int(pool.sum())
            n_pos = int(round(prevalence * n))
            picked = np.r_[rng.choice(np.flatnonzero(pool & (truth == 1)), n_pos),
                           rng.choice(np.flatnonzero(pool & (truth == 0)), n - n_pos)]
            table = count_intervals(p[cal], truth[cal], p[picked], 0.5, methods, LEVELS, n_boot,
                                    int(rng.integers(2**31)), cal_decisions=pred[cal], decisions=pred[picked])
            table.insert(0, "label", name)
            table.insert(1, "draw", draw)
            table.insert(2, "prevalence", round(prevalence, 4))
            table.insert(3, "documents", n)
            table.insert(4, "true", n_pos)
            rows.append(table)
        if progress:
            progress(k + 1, len(names))
    return pd.DataFrame(rows and pd.concat(rows, ignore_index=True))


def _stable_key(name: str) -> int:
    """A number for a label name that is the same in every process (``hash`` of a string is not)."""
    import zlib

    return zlib.crc32(name.encode())


def coverage_summary(draws: pd.DataFrame) -> pd.DataFrame:
    """Per label and method: coverage of the 90% and 95% intervals, mean absolute error, and MAE relative to CC's."""
    d = draws.assign(error=(draws["estimate"] - draws["true"]).abs(),
                     covered_90=(draws["low_90"] <= draws["true"]) & (draws["true"] <= draws["high_90"]),
                     covered_95=(draws["low_95"] <= draws["true"]) & (draws["true"] <= draws["high_95"]))
    summary = d.groupby(["label", "method"], sort=False).agg(
        draws=("draw", "size"), coverage_90=("covered_90", "mean"), coverage_95=("covered_95", "mean"),
        mae=("error", "mean"), mean_true=("true", "mean")).reset_index()
    cc = summary[summary["method"] == "CC"].set_index("label")["mae"]
    summary["mae_vs_cc"] = summary["mae"] / summary["label"].map(cc)
    return summary
