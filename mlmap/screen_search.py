"""Screening your own search: the next batch to read, and whether you may stop (``python -m mlmap screen``).

Given a file of search results with a 0/1 label for the documents screened so far (blank for the
rest), :func:`screen` fine-tunes the pretrained model on the screened documents, ranks the others by
P(relevant), and applies the stopping rule of Callaghan & Müller-Hansen (2020) to the labels in the
order they were screened. A round trains as a round of the simulations in ``results/screening``
does (:class:`~mlmap.simulation.FineTunedRanker`), so their results say what to expect of it. The
ranking is cached under a key of everything that makes it, so asking again with the same labels is
instant.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .caching import fingerprint, frame_hash
from .documents import DocumentsError, document_texts, find_text_columns, is_missing, label_values, read_documents
from .paths import PROJECT_ROOT
from .progress import show_progress
from .recipe import SEED
from .simulation import LOOP_SETTINGS, FineTunedRanker, LoopSettings

#: Fewest relevant and irrelevant screened documents to train on: with fewer, a ranking means little.
MIN_PER_CLASS = 5
DEFAULT_SCREEN_CACHE = PROJECT_ROOT / ".cache" / "screen"


@dataclass(frozen=True)
class ScreenSettings:
    """Fine-tuning and stopping-rule settings of a screening round.

    The training defaults are those of the simulated screening loop (:data:`mlmap.LOOP_SETTINGS`):
    from the pretrained model every round, on every relevant screened document and up to
    ``irrelevant_per_relevant`` irrelevant ones per relevant one (at most ``max_train``), for
    ``epochs`` epochs or more when that gives fewer than ``min_steps`` steps, on the first
    ``max_length`` tokens. The stopping rule asks for ``recall_target`` with ``confidence``.
    """

    learning_rate: float = LOOP_SETTINGS.learning_rate
    epochs: int = LOOP_SETTINGS.epochs
    min_steps: int = LOOP_SETTINGS.min_steps
    max_length: int = LOOP_SETTINGS.max_length
    batch_size: int = LOOP_SETTINGS.batch_size
    irrelevant_per_relevant: float = LOOP_SETTINGS.irrelevant_per_relevant
    max_train: int = LOOP_SETTINGS.max_train
    recall_target: float = 0.95
    confidence: float = 0.95

    def loop_settings(self) -> LoopSettings:
        """The training part, as the simulation's :class:`~mlmap.LoopSettings`."""
        names = {f.name for f in fields(LoopSettings)}
        return replace(LOOP_SETTINGS, **{k: v for k, v in asdict(self).items() if k in names})


@dataclass
class StoppingVerdict:
    """The stopping rule on the labels screened so far, in screening order."""

    screened: int
    total: int
    relevant_found: int
    p_value: float
    may_stop: bool
    recall_target: float
    confidence: float
    #: the highest recall reached with ``confidence`` (None: not even 5%)
    recall_at_least: float | None
    #: relevant documents that can still be unscreened, at ``confidence`` (from ``recall_at_least``)
    relevant_left_at_most: int | None
    #: irrelevant documents screened since the last relevant one
    since_last_relevant: int

    def __str__(self) -> str:
        target, confidence = f"{self.recall_target:.0%}", f"{self.confidence:.0%}"
        lines = [
            f"screened {self.screened} of {self.total} documents, {self.relevant_found} relevant",
            f"{self.since_last_relevant} screened since the last relevant one",
            f"p-value of 'recall {target} not yet reached': {self.p_value:.3g}",
            (f"you may stop: recall is at least {target} ({confidence} confidence)" if self.may_stop
             else f"keep screening: recall {target} is not shown ({confidence} confidence)"),
        ]
        if self.recall_at_least is not None:
            lines += [f"recall is at least {self.recall_at_least:.1%} ({confidence} confidence): at most",
                      f"{self.relevant_left_at_most} relevant left among the {self.total - self.screened} unscreened"]
        return "\n".join(lines)


@dataclass
class ScreeningResult:
    """What :func:`screen` returns: the ranking of the unscreened documents and the stopping rule's verdict."""

    #: every unscreened document with all its fields, ``p_relevant`` and ``rank`` (1 = read first)
    ranking: pd.DataFrame
    verdict: StoppingVerdict
    settings: ScreenSettings
    #: whether the model and ranking came from the cache
    cached: bool
    seconds: float

    def next_batch(self, size: int = 100) -> pd.DataFrame:
        """The ``size`` documents to read next."""
        return self.ranking.head(size)


def stopping_verdict(labels_in_order: np.ndarray, total: int, recall_target: float = 0.95,
                     confidence: float = 0.95) -> StoppingVerdict:
    """The stopping rule (``buscarpy``) on 0/1 labels in the order they were screened, out of ``total`` documents."""
    from buscarpy import calculate_h0

    labels = np.asarray(labels_in_order).astype(np.int64)
    found = int(labels.sum())
    p = float(calculate_h0(labels, N=total, recall_target=recall_target))
    # the recall frontier: the highest target whose null hypothesis the labels reject
    at_least = next((t / 1000 for t in range(995, 0, -5)
                     if calculate_h0(labels, N=total, recall_target=t / 1000) < 1 - confidence), None)
    left = None if at_least is None else int(np.floor(found / at_least - found + 1e-9))
    last = np.flatnonzero(labels == 1)
    since = len(labels) - 1 - int(last[-1]) if len(last) else len(labels)
    return StoppingVerdict(len(labels), total, found, p, p < 1 - confidence, recall_target, confidence, at_least,
                           left, since)


def screening_state(frame: pd.DataFrame, label: str, order: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """The labels (0/1, NA where not screened) and the positions of the screened documents in screening order.

    Without ``order`` the screened documents are taken in file order. Raises
    :class:`~mlmap.documents.DocumentsError` for every state a round cannot start from, saying how to fix it.
    """
    if label not in frame.columns:
        raise DocumentsError(f"no label column {label!r}; the columns are: {', '.join(map(str, frame.columns))}. "
                             "Say which column holds the 0/1 labels with --label")
    labels, bad = label_values(frame[label])
    if bad:
        raise DocumentsError(f"label column {label!r} holds values other than 0, 1 or blank: {bad}")
    screened = labels.notna().to_numpy()
    relevant, irrelevant = int((labels == 1).sum()), int((labels == 0).sum())
    if not screened.any():
        raise DocumentsError(f"no document has a label in {label!r} yet: screen a first random sample by hand "
                             f"(at least {MIN_PER_CLASS} relevant and {MIN_PER_CLASS} irrelevant documents)")
    if relevant == 0 or irrelevant == 0:
        only = "relevant (1)" if irrelevant == 0 else "irrelevant (0)"
        raise DocumentsError(f"all {relevant + irrelevant} labelled documents are {only}: a model needs both classes, "
                             f"at least {MIN_PER_CLASS} of each")
    if min(relevant, irrelevant) < MIN_PER_CLASS:
        raise DocumentsError(f"{relevant} relevant and {irrelevant} irrelevant documents are labelled: screen more by hand "
                             f"first, until there are at least {MIN_PER_CLASS} of each")
    if screened.all():
        raise DocumentsError(f"every document has a label in {label!r}: there is nothing left to rank")
    positions = np.flatnonzero(screened)
    if order is None:
        return labels, positions
    if order not in frame.columns:
        raise DocumentsError(f"no order column {order!r}; the columns are: {', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[order].map(lambda v: np.nan if is_missing(v) or str(v).strip() == "" else v),
                           errors="coerce")
    given = values.notna().to_numpy()
    if (given & ~screened).any():
        raise DocumentsError(f"order column {order!r} gives a position to {int((given & ~screened).sum())} unlabelled "
                             "document(s); only screened documents have a place in the screening order")
    if (screened & ~given).any():
        raise DocumentsError(f"order column {order!r} is blank or not a number for {int((screened & ~given).sum())} "
                             "labelled document(s); every screened document needs its place (1, 2, 3, ...)")
    places = values[screened].to_numpy()
    if (places != np.round(places)).any():
        raise DocumentsError(f"order column {order!r} holds numbers that are not whole: it should number the screened "
                             "documents 1, 2, 3, ...")
    counts = pd.Series(places.astype(int)).value_counts()
    duplicates = sorted(counts[counts > 1].index.tolist())
    if duplicates:
        raise DocumentsError(f"order column {order!r} repeats the place(s) {duplicates[:5]}: every screened document "
                             "needs its own place")
    expected = set(range(1, len(places) + 1))
    if set(places.astype(int)) != expected:
        missing = sorted(expected - set(places.astype(int)))[:5]
        raise DocumentsError(f"order column {order!r} has gaps: the {len(places)} screened documents should be numbered "
                             f"1 to {len(places)}, but {missing} are missing")
    return labels, positions[np.argsort(places, kind="stable")]


def screen(
    documents: pd.DataFrame | str | os.PathLike,
    label: str = "label",
    order: str | None = None,
    settings: ScreenSettings = ScreenSettings(),
    model_name: str | None = None,
    seed: int = SEED,
    title_column: str | None = None,
    abstract_column: str | None = None,
    cache_dir: str | os.PathLike = DEFAULT_SCREEN_CACHE,
    progress: bool | None = None,
) -> ScreeningResult:
    """One round of screening: train on the screened documents, rank the rest, and the stopping rule's verdict.

    ``documents`` is a DataFrame or a file in any format ``predict`` reads, with a ``label`` column
    (1 relevant, 0 irrelevant, blank not screened yet) and optionally an ``order`` column (the place
    of each screened document in the screening order: 1, 2, 3, ...; without it, file order).
    """
    from .models import resolve_model

    started = time.perf_counter()
    frame = documents.reset_index(drop=True) if isinstance(documents, pd.DataFrame) else read_documents(documents)
    labels, screened_positions = screening_state(frame, label, order)
    texts = document_texts(frame, *find_text_columns(frame.columns, title_column, abstract_column))
    verdict = stopping_verdict(labels.to_numpy()[screened_positions].astype(int), len(frame), settings.recall_target,
                               settings.confidence)

    screened = labels.notna().to_numpy()
    has_text = (texts != "").to_numpy()
    trained = np.flatnonzero(screened & has_text)
    rest = np.flatnonzero(~screened)
    ranked = rest[has_text[rest]]
    model_name = resolve_model(model_name)
    key = fingerprint(model=model_name, settings=asdict(settings.loop_settings()), seed=seed,
                      train=frame_hash(pd.DataFrame({"text": texts.iloc[trained], "labels": labels.iloc[trained]})),
                      rank=frame_hash(pd.DataFrame({"text": texts.iloc[ranked], "labels": 0})))
    saved = Path(cache_dir) / "rankings" / f"{key}.npy"
    cached = saved.is_file()
    if cached:
        scores = np.load(saved)
    else:
        show = show_progress(progress)
        train_labels = labels.iloc[trained].to_numpy(dtype=int)
        if show:
            print(f"training on the {len(trained)} screened documents ({train_labels.sum()} relevant), then ranking "
                  f"{len(ranked)}", file=sys.stderr, flush=True)
        ranker = FineTunedRanker(model_name, settings.loop_settings(), output_dir=str(Path(cache_dir) / "trainer"))
        scores = ranker(texts.iloc[trained].tolist(), train_labels, texts.iloc[ranked].tolist(), seed)
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_name(f"{saved.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, scores)
        os.replace(tmp, saved)
    proba = pd.Series(np.nan, index=frame.index[rest])
    proba[frame.index[ranked]] = scores
    ranking = frame.iloc[rest].copy()
    ranking["p_relevant"] = proba.round(6)
    # documents without text cannot be ranked: they go last, to be read by hand
    ranking = ranking.sort_values("p_relevant", ascending=False, na_position="last", kind="stable")
    ranking["rank"] = np.arange(1, len(ranking) + 1)
    return ScreeningResult(ranking, verdict, settings, cached, time.perf_counter() - started)

