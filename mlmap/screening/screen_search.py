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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import fingerprints
from ..caching import frame_hash
from ..io import DocumentsError, document_texts, find_text_columns, read_documents
from ..paths import PROJECT_ROOT
from ..progress import show_progress, ticking
from ..recipe import SEED
from .loop import features_for, fit_and_score
from .screen_labels import ranking_problem, screening_labels
from .screen_settings import DEFAULT_SCREEN_BATCH, ScreenSettings
from .simulation import FineTunedRanker, training_sample
from .verdict import StoppingVerdict, stopping_verdict

DEFAULT_SCREEN_CACHE = PROJECT_ROOT / ".cache" / "screen"


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
    #: where the labels were read from, in words (see :func:`~mlmap.screening.screen_labels.read_labels`)
    labels_from: str = ""

    def next_batch(self, size: int = DEFAULT_SCREEN_BATCH) -> pd.DataFrame:
        """The ``size`` documents to read next."""
        return self.ranking.head(size)


class NoRankingError(DocumentsError):
    """No ranking can be made from these labels, though the stopping rule's verdict can (``verdict``).

    ``nothing_left``: every document is screened (there is nothing to rank, rather than too little to learn from).
    """

    def __init__(self, message: str, verdict: StoppingVerdict, nothing_left: bool) -> None:
        super().__init__(message)
        self.verdict, self.nothing_left = verdict, nothing_left


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
    read too, see :func:`~mlmap.screening.screen_labels.read_labels`) and optionally an ``order`` column (the place of each screened
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
