"""Screening your own search: the next batch to read, and whether you may stop (``python -m mlmap screen``).

Given a file of search results with a 0/1 label for the documents screened so far (blank for the
rest), :func:`screen` ranks the unscreened documents and applies the stopping rule of Callaghan &
Müller-Hansen (2020) to the labels in the order they were screened. The default ranker
(``minilm_tfidf_svm``, :data:`~mlmap.screening.loop.DEFAULT_RANKER`) is the loop that saved more
work than ASReview's default in the simulations of ``results/screening``: TF-IDF and frozen MiniLM embeddings (each
text embedded once, cached by content), a linear SVM (hinge loss) weighted as ASReview balances it; a round
takes seconds once the embeddings are cached. ``fine_tuned`` fine-tunes the pretrained model every
round instead (:class:`~mlmap.FineTunedRanker`: minutes a round, and it saved less
work). The ranking is cached under a key of everything that makes it, so asking again with the
same labels is instant. The rule needs no model: its verdict is there even when no ranking can be
made (:class:`NoRankingError`).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import fingerprints
from ..caching import frame_hash
from ..io import DocumentsError, document_texts, find_text_columns, is_missing, label_values, read_documents
from ..paths import PROJECT_ROOT
from ..progress import show_progress, ticking
from ..recipe import SEED
from .loop import DEFAULT_RANKER, RankerSettings, features_for, fit_and_score
from .simulation import LOOP_SETTINGS, FineTunedRanker, LoopSettings, training_sample

#: Fewest relevant and irrelevant screened documents to train on: with fewer, a ranking means little.
MIN_PER_CLASS = 5
#: The widest line of a printed verdict: the book's code box.
VERDICT_WIDTH = 78
#: The lowest recall the verdict's recall frontier tries.
_LOWEST_RECALL = 0.005
DEFAULT_SCREEN_CACHE = PROJECT_ROOT / ".cache" / "screen"
#: The rankers ``screen`` offers: fixed-feature designs of :mod:`mlmap.screening.loop` by name, and
#: ``fine_tuned`` (the pretrained model fine-tuned every round, :class:`~mlmap.FineTunedRanker`).
SCREEN_RANKERS: dict[str, RankerSettings | None] = {
    "minilm_tfidf_svm": DEFAULT_RANKER,
    "tfidf_svm": DEFAULT_RANKER.with_(features="tfidf"),
    "fine_tuned": None,
}
#: The ranker ``screen`` uses unless told otherwise: of those offered here, the one that saved the most work in the simulations.
DEFAULT_SCREEN_RANKER = "minilm_tfidf_svm"
#: Documents in the next batch unless told otherwise. On the development seed sets (full, 5% relevant),
#: retraining the default ranker after every document gave WSS@95 0.340 and 0.455; every 10: 0.336, 0.464;
#: every 25: 0.333 and 0.457, within the seed sets' spread; every 50: 0.334, 0.440; every 100: 0.331, 0.422
#: (results/screening/exploration.md, rows 38 and 42-45). 25 keeps a round's reading worth a rerun of the command.
DEFAULT_SCREEN_BATCH = 25


@dataclass(frozen=True)
class ScreenSettings:
    """The ranker of a screening round, its settings, and the stopping rule's.

    ``ranker`` names one of :data:`SCREEN_RANKERS`. A fixed-feature ranker (the default,
    ``minilm_tfidf_svm``) embeds every document once with the pretrained encoder (its first
    ``max_length`` tokens; cached by content) and fits a linear SVM on the screened documents, all
    of them, weighted so that the irrelevant ones together count about a tenth of the relevant
    ones. ``fine_tuned`` trains as the simulated fine-tuned loop did (:data:`mlmap.LOOP_SETTINGS`):
    from the pretrained model every round, on a class-balanced sample of the screened documents
    drawn afresh: every relevant one (up to a quarter of ``max_train``) and up to
    ``irrelevant_per_relevant`` irrelevant ones per relevant one (at most ``max_train`` in all), for
    ``epochs`` epochs or more when that gives fewer than ``min_steps`` steps, on the first
    ``max_length`` tokens; the other settings are its alone. The stopping rule asks for
    ``recall_target`` with ``confidence``.
    """

    ranker: str = DEFAULT_SCREEN_RANKER
    learning_rate: float = LOOP_SETTINGS.learning_rate
    epochs: int = LOOP_SETTINGS.epochs
    min_steps: int = LOOP_SETTINGS.min_steps
    max_length: int = LOOP_SETTINGS.max_length
    batch_size: int = LOOP_SETTINGS.batch_size
    irrelevant_per_relevant: float = LOOP_SETTINGS.irrelevant_per_relevant
    max_train: int = LOOP_SETTINGS.max_train
    recall_target: float = 0.95
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.ranker not in SCREEN_RANKERS:
            raise ValueError(f"unknown ranker {self.ranker!r}: choose {', '.join(SCREEN_RANKERS)}")

    @property
    def fine_tuned(self) -> bool:
        """Whether the ranker fine-tunes the pretrained model every round."""
        return SCREEN_RANKERS[self.ranker] is None

    @property
    def score_column(self) -> str:
        """The ranking's score column: ``p_relevant`` (a probability) or ``svm_score`` (a distance: higher, read sooner)."""
        return "p_relevant" if self.fine_tuned else "svm_score"

    def loop_settings(self) -> LoopSettings:
        """The training part of ``fine_tuned``, as the simulation's :class:`~mlmap.LoopSettings`."""
        names = {f.name for f in fields(LoopSettings)}
        return replace(LOOP_SETTINGS, **{k: v for k, v in asdict(self).items() if k in names})

    def ranker_settings(self) -> RankerSettings:
        """The design of a fixed-feature ranker, with this ``max_length`` for its embeddings."""
        design = SCREEN_RANKERS[self.ranker]
        if design is None:
            raise ValueError(f"the ranker {self.ranker!r} fine-tunes: it has no fixed-feature design")
        return design.with_(max_length=self.max_length)

    def describe(self) -> str:
        """What the ranker is, in a few words (for a report)."""
        if self.fine_tuned:
            s = self.loop_settings()
            return (f"fine_tuned: the pretrained model fine-tuned afresh every round (learning rate {s.learning_rate:g}, "
                    f"{s.epochs} epochs or at least {s.min_steps} steps, {s.max_length} tokens) on a class-balanced sample")
        d = self.ranker_settings()
        features = {"tfidf": "TF-IDF", "embeddings": "frozen embeddings",
                    "both": f"TF-IDF and frozen embeddings (weight {d.embedding_weight:g}, {d.max_length} tokens)"}
        balance = "not balanced" if d.balance_ratio is None else f"balanced (ratio {d.balance_ratio:g})"
        loss = {"hinge": "hinge loss", "squared_hinge": "squared hinge loss"}[d.loss]
        return (f"{self.ranker}: {features[d.features]}, a linear SVM ({loss}, C {d.c:g}) fitted on every screened "
                f"document, {balance}")


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
    #: the highest recall reached with ``confidence``, in steps of 0.5% (None: not even 0.5%)
    recall_at_least: float | None
    #: relevant documents that can still be unscreened, at ``confidence`` (from ``recall_at_least``)
    relevant_left_at_most: int | None
    #: irrelevant documents screened since the last relevant one
    since_last_relevant: int

    def lines(self) -> list[str]:
        """The verdict as short sentences, one a line, each at most :data:`VERDICT_WIDTH` characters; the first
        says whether you may stop."""
        target, confidence = _percent(self.recall_target), _percent(self.confidence)
        unscreened = self.total - self.screened
        if unscreened == 0:
            decision = "You may stop: every document is screened."
        elif self.may_stop:
            decision = f"You may stop: recall is at least {target}, with {confidence} confidence."
        else:
            decision = f"Keep screening: recall {target} is not shown, at {confidence} confidence."
        found = {0: "none is", 1: "1 is"}.get(self.relevant_found, f"{self.relevant_found:,} are")
        lines = [decision, f"{self.screened:,} of {self.total:,} documents are screened; {found} relevant."]
        if self.relevant_found and self.since_last_relevant == 0:
            lines.append("The last document screened was relevant.")
        elif self.relevant_found:
            since = "1 was" if self.since_last_relevant == 1 else f"{self.since_last_relevant:,} were"
            lines.append(f"{since} screened since the last relevant one.")
        if unscreened == 0:
            return lines
        lines.append(f"The p-value of 'recall {target} not yet reached' is {self.p_value:.3g}.")
        if self.recall_at_least is None:
            lines.append(f"With {confidence} confidence, recall is not shown to be even {_percent(_LOWEST_RECALL)}.")
        else:
            left = self.relevant_left_at_most
            lines += [f"With {confidence} confidence, recall is at least {self.recall_at_least:.1%}.",
                      f"So none of the {unscreened:,} unscreened documents is relevant." if left == 0 else
                      f"So at most {left:,} of the {unscreened:,} unscreened documents {'is' if left == 1 else 'are'} "
                      "relevant."]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _percent(share: float) -> str:
    """95% for 0.95, 97.5% for 0.975."""
    return f"{share:.1%}".replace(".0%", "%")


@dataclass
class ScreeningResult:
    """What :func:`screen` returns: the ranking of the unscreened documents and the stopping rule's verdict."""

    #: every unscreened document with all its fields, the ranker's score (``settings.score_column``) and ``rank``
    #: (1 = read first)
    ranking: pd.DataFrame
    verdict: StoppingVerdict
    settings: ScreenSettings
    #: whether the model and ranking came from the cache
    cached: bool
    seconds: float
    #: where the labels were read from, in words (see :func:`read_labels`)
    labels_from: str = ""

    def next_batch(self, size: int = DEFAULT_SCREEN_BATCH) -> pd.DataFrame:
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
    at_least = next((t / 1000 for t in range(995, int(_LOWEST_RECALL * 1000) - 1, -5)
                     if calculate_h0(labels, N=total, recall_target=t / 1000) < 1 - confidence), None)
    left = None if at_least is None else int(np.floor(found / at_least - found + 1e-9))
    last = np.flatnonzero(labels == 1)
    since = len(labels) - 1 - int(last[-1]) if len(last) else len(labels)
    return StoppingVerdict(len(labels), total, found, p, p < 1 - confidence, recall_target, confidence, at_least,
                           left, since)


#: The label column taken when ``--label`` is not given, and after it the label columns of ASReview LAB
#: (its CSV export writes ``asreview_label`` from version 2 on, ``included`` before), where -1 means
#: "not seen", as version 1 writes it.
DEFAULT_LABEL = "label"
ASREVIEW_LABEL_COLUMNS = ("asreview_label", "included", "label_included", "final_included")
#: ASReview LAB's labels in a RIS export: N1 notes, which rispy reads into the ``notes`` column.
NOTES_COLUMN = "notes"
ASREVIEW_NOTES = {"ASReview_relevant": 1, "ASReview_irrelevant": 0, "ASReview_not_seen": None}
_ASREVIEW_NOTE = re.compile(r"\b(" + "|".join(ASREVIEW_NOTES) + r")\b")


class NoRankingError(DocumentsError):
    """No ranking can be made from these labels, though the stopping rule's verdict can (``verdict``).

    ``nothing_left``: every document is screened (there is nothing to rank, rather than too little to learn from).
    """

    def __init__(self, message: str, verdict: StoppingVerdict, nothing_left: bool) -> None:
        super().__init__(message)
        self.verdict, self.nothing_left = verdict, nothing_left


def _note_text(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):  # N1 given several times: rispy's list of notes
        return " ".join(_note_text(v) for v in value)
    return "" if is_missing(value) else str(value)


def _asreview_notes(notes: pd.Series) -> pd.Series:
    """The ASReview labels each cell of a notes column names (a set, empty where none)."""
    return notes.map(lambda v: set(_ASREVIEW_NOTE.findall(_note_text(v))))


def read_labels(frame: pd.DataFrame, label: str | None = None) -> tuple[pd.Series, str]:
    """The labels (0/1 ``Int64``, NA where not screened) and where they were read from, in words.

    ``label`` names the column. Without it: ``label``, else ASReview LAB's ``asreview_label`` or
    ``included`` column (its CSV exports; also ``label_included``, ``final_included``; any case),
    else its labels in RIS N1 notes (``ASReview_relevant``, ``ASReview_irrelevant``;
    ``ASReview_not_seen`` or none: not seen).
    """
    columns = list(frame.columns)
    if label is None:
        lower = {str(c).lower(): c for c in reversed(columns)}
        label = next((lower[c] for c in (DEFAULT_LABEL, *ASREVIEW_LABEL_COLUMNS) if c in lower), None)
        if label is None and NOTES_COLUMN in frame and _asreview_notes(frame[NOTES_COLUMN]).astype(bool).any():
            label = NOTES_COLUMN
        if label is None:
            raise DocumentsError(
                f"no label column {DEFAULT_LABEL!r}, nor ASReview LAB's 'asreview_label' or 'included' column or "
                f"N1 notes (ASReview_relevant...); the columns are: {', '.join(map(str, columns))}. "
                "Say which column holds the 0/1 labels with --label")
    elif label not in columns:
        raise DocumentsError(f"no label column {label!r}; the columns are: {', '.join(map(str, columns))}. "
                             "Say which column holds the 0/1 labels with --label")
    if label == NOTES_COLUMN:
        return _labels_from_notes(frame[label])
    asreview = str(label).lower() in ASREVIEW_LABEL_COLUMNS
    column = frame[label]
    if asreview:  # ASReview writes -1 for a record not seen yet
        column = column.map(lambda v: None if not is_missing(v) and str(v).strip() in ("-1", "-1.0") else v)
    labels, bad = label_values(column)
    if bad:
        raise DocumentsError(f"label column {label!r} holds values other than 0, 1 or blank: {bad}")
    if asreview:
        return labels, f"ASReview LAB's column {label!r} (1 relevant, 0 irrelevant, -1 or blank not seen)"
    return labels, f"column {label!r}"


def _labels_from_notes(notes: pd.Series) -> tuple[pd.Series, str]:
    found = _asreview_notes(notes)
    both = found.map(lambda tags: "ASReview_relevant" in tags and "ASReview_irrelevant" in tags)
    if both.any():
        raise DocumentsError(f"{int(both.sum())} record(s) hold both ASReview_relevant and ASReview_irrelevant in "
                             f"their N1 notes (the first is record {int(np.flatnonzero(both)[0]) + 1}): keep one")
    labels = found.map(lambda tags: next((ASREVIEW_NOTES[t] for t in ("ASReview_relevant", "ASReview_irrelevant")
                                          if t in tags), None))
    return (pd.Series(labels.tolist(), index=notes.index, dtype="Int64"),
            "ASReview LAB's N1 notes (ASReview_relevant, ASReview_irrelevant; else not seen)")


def screening_labels(frame: pd.DataFrame, label: str | None = None,
                     order: str | None = None) -> tuple[pd.Series, np.ndarray, str]:
    """The labels (0/1, NA where not screened), the positions of the screened documents in screening order,
    and where the labels were read from (see :func:`read_labels`): all the stopping rule needs.

    Without ``order`` the screened documents are taken in file order. Raises
    :class:`~mlmap.io.DocumentsError` when the labels or the order cannot be read, saying how to fix it.
    """
    labels, source = read_labels(frame, label)
    screened = labels.notna().to_numpy()
    if not screened.any():
        raise DocumentsError(f"no document has a label yet ({source}): screen a first random sample by hand "
                             f"(at least {MIN_PER_CLASS} relevant and {MIN_PER_CLASS} irrelevant documents)")
    positions = np.flatnonzero(screened)
    if order is None:
        return labels, positions, source
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
    return labels, positions[np.argsort(places, kind="stable")], source


def ranking_problem(labels: pd.Series, source: str = "the label column") -> str | None:
    """Why no model can rank the unscreened documents from these labels (None: it can)."""
    relevant, irrelevant = int((labels == 1).sum()), int((labels == 0).sum())
    if labels.notna().all():
        return f"every document has a label ({source}): there is nothing left to rank"
    if relevant == 0 or irrelevant == 0:
        only = "relevant (1)" if irrelevant == 0 else "irrelevant (0)"
        return (f"all {relevant + irrelevant} labelled documents are {only}: a model needs both classes, "
                f"at least {MIN_PER_CLASS} of each")
    if min(relevant, irrelevant) < MIN_PER_CLASS:
        return (f"{relevant} relevant and {irrelevant} irrelevant documents are labelled: screen more by hand "
                f"first, until there are at least {MIN_PER_CLASS} of each")
    return None


def screening_state(frame: pd.DataFrame, label: str | None = None,
                    order: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """The labels and the screening order of :func:`screening_labels`, for a round that trains a model.

    Raises :class:`~mlmap.io.DocumentsError` for every state a round cannot start from, saying how to fix it.
    """
    labels, positions, source = screening_labels(frame, label, order)
    problem = ranking_problem(labels, source)
    if problem is not None:
        raise DocumentsError(problem)
    return labels, positions


def screen(
    documents: pd.DataFrame | str | os.PathLike,
    label: str | None = None,
    order: str | None = None,
    settings: ScreenSettings = ScreenSettings(),
    model_name: str | None = None,
    seed: int = SEED,
    title_column: str | None = None,
    abstract_column: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> ScreeningResult:
    """One round of screening: fit a ranker on the screened documents, rank the rest, and the stopping rule's verdict.

    ``documents`` is a DataFrame or a file in any format ``predict`` reads, with a ``label`` column
    (1 relevant, 0 irrelevant, blank not screened yet; without ``label``, ASReview LAB's labels are
    read too, see :func:`read_labels`) and optionally an ``order`` column (the place of each screened
    document in the screening order: 1, 2, 3, ...; without it, file order). ``settings.ranker``
    chooses the ranker (see :class:`ScreenSettings`); the ranking's score column is
    ``settings.score_column``. Embeddings and rankings are cached in ``cache_dir`` (default
    ``.cache/screen`` in the project).

    Raises :class:`NoRankingError`, which holds the verdict, when the labels allow a verdict but no
    ranking: every document screened, or too few of one class to learn from.
    """
    from ..models import resolve_model

    started = time.perf_counter()
    cache_dir = DEFAULT_SCREEN_CACHE if cache_dir is None else cache_dir  # looked up now, so that it can be moved
    frame = documents.reset_index(drop=True) if isinstance(documents, pd.DataFrame) else read_documents(documents)
    labels, screened_positions, labels_from = screening_labels(frame, label, order)
    # the verdict needs only the labels: it is there even when no model can be trained
    verdict = stopping_verdict(labels.to_numpy()[screened_positions].astype(int), len(frame), settings.recall_target,
                               settings.confidence)
    problem = ranking_problem(labels, labels_from)
    if problem is not None:
        raise NoRankingError(problem, verdict, nothing_left=bool(labels.notna().all()))
    texts = document_texts(frame, *find_text_columns(frame.columns, title_column, abstract_column))

    screened = labels.notna().to_numpy()
    has_text = (texts != "").to_numpy()
    trained = np.flatnonzero(screened & has_text)
    rest = np.flatnonzero(~screened)
    ranked = rest[has_text[rest]]
    model_name = resolve_model(model_name)
    if settings.fine_tuned:
        made_by = {"ranker": settings.ranker, "settings": asdict(settings.loop_settings())}
    else:
        made_by = {"ranker": settings.ranker, "settings": asdict(settings.ranker_settings()),
                   # TF-IDF's vocabulary comes from every document: the unscreened ones make the ranking too
                   "corpus": frame_hash(pd.DataFrame({"text": texts.iloc[np.flatnonzero(has_text)], "labels": 0}))}
    # the model by its files' content, with the precision and library versions: another model or machine ranks anew
    key = fingerprints.digest(fingerprints.run_fingerprint(
        model_name, seed=seed, **made_by,
        train=frame_hash(pd.DataFrame({"text": texts.iloc[trained], "labels": labels.iloc[trained]})),
        rank=frame_hash(pd.DataFrame({"text": texts.iloc[ranked], "labels": 0}))))
    saved = Path(cache_dir) / "rankings" / f"{key}.npy"
    cached = saved.is_file()
    if cached:
        scores = np.load(saved)
    else:
        train_labels = labels.iloc[trained].to_numpy(dtype=int)
        if settings.fine_tuned:
            scores = _fine_tuned_scores(texts, trained, train_labels, ranked, settings, model_name, seed, cache_dir,
                                        show_progress(progress))
        else:
            scores = _fixed_feature_scores(texts, has_text, trained, train_labels, ranked, settings, model_name, seed,
                                           cache_dir, show_progress(progress))
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_name(f"{saved.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, scores)
        os.replace(tmp, saved)
    score = pd.Series(np.nan, index=frame.index[rest])
    score[frame.index[ranked]] = scores
    ranking = frame.iloc[rest].copy()
    ranking[settings.score_column] = score.round(6)
    # documents without text cannot be ranked: they go last, to be read by hand
    ranking = ranking.sort_values(settings.score_column, ascending=False, na_position="last", kind="stable")
    ranking["rank"] = np.arange(1, len(ranking) + 1)
    return ScreeningResult(ranking, verdict, settings, cached, time.perf_counter() - started, labels_from)


def _fine_tuned_scores(texts: pd.Series, trained: np.ndarray, train_labels: np.ndarray, ranked: np.ndarray,
                       settings: ScreenSettings, model_name: str, seed: int, cache_dir: str | os.PathLike,
                       progress: bool) -> np.ndarray:
    """P(relevant) of the ``ranked`` documents from the pretrained model fine-tuned on the ``trained`` ones."""
    # said as it is: the model learns from a class-balanced sample, not from every screened document
    sample = train_labels[training_sample(train_labels, seed, settings.loop_settings())]
    doing = (f"fine-tuning on {len(sample):,} of the {len(trained):,} screened ({int(sample.sum()):,} relevant), "
             f"ranking {len(ranked):,}")
    ranker = FineTunedRanker(model_name, settings.loop_settings(), output_dir=str(Path(cache_dir) / "trainer"))
    with ticking(doing, progress):
        return ranker(texts.iloc[trained].tolist(), train_labels, texts.iloc[ranked].tolist(), seed)


def _fixed_feature_scores(texts: pd.Series, has_text: np.ndarray, trained: np.ndarray, train_labels: np.ndarray,
                          ranked: np.ndarray, settings: ScreenSettings, model_name: str, seed: int,
                          cache_dir: str | os.PathLike, progress: bool) -> np.ndarray:
    """SVM scores of the ``ranked`` documents from the fixed-feature ranker fitted on the ``trained`` ones."""
    design = settings.ranker_settings()
    with_text = np.flatnonzero(has_text)  # the feature rows: a document's row is its place among these
    doing = (f"features of {len(with_text):,} documents (embeddings cached after the first time), "
             f"fitting on {len(trained):,} screened, ranking {len(ranked):,}")
    with ticking(doing, progress):
        features = features_for(texts.iloc[with_text].tolist(), design, model_name,
                                cache_dir=Path(cache_dir) / "embeddings")
        return fit_and_score(features, np.searchsorted(with_text, trained), train_labels,
                             np.searchsorted(with_text, ranked), design, seed)
