"""Predicting a whole corpus file with saved models: in chunks, resumable, written atomically (``python -m mlmap predict``).

Each chunk's documents, with a probability and a 0/1 decision per label of every model, are saved
in a work folder beside the output as soon as they are predicted. An interrupted run (Ctrl-C,
killed) rerun with the same arguments skips the finished chunks, so its output equals that of an
uninterrupted run. The output is assembled from the chunks into a temporary file and renamed into
place; the work folder is removed once it is.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from .caching import atomic_write_text, fingerprint
from .data import sha256_of
from .corpus_chunks import DECISION_PREFIX, PROBABILITY_PREFIX, assemble, documents_without_text, save_chunk
from .io import DocumentsError, count_documents, document_texts, find_text_columns, input_format, iter_documents, output_format
from .openvino_engine import resolve_engine
from .progress import show_progress
from .saved_models import MODEL_INFO_FILE, SavedClassifier, load_saved_classifier

DEFAULT_CHUNK_SIZE = 2000


@dataclass
class PredictionSummary:
    """What a ``predict_file`` run did: documents, those without text, positive decisions per label, time."""

    output: Path
    documents: int
    without_text: int
    positives: dict[str, int]
    seconds: float
    resumed_chunks: int

    def __str__(self) -> str:
        rate = self.documents / self.seconds if self.seconds else float("nan")
        positives = ", ".join(f"{name} {count}" for name, count in self.positives.items())
        # one fact per line: a long output path would push the rest off a terminal or a book page
        return (f"{self.documents} documents predicted in {self.seconds:.0f} s ({rate:.1f} docs/s"
                + (f", {self.resumed_chunks} chunk(s) from an interrupted run" if self.resumed_chunks else "")
                + f")\nwritten to {self.output}\ndecisions = 1: {positives}")


def prediction_columns(models: Sequence[SavedClassifier]) -> list[tuple[str, str]]:
    """(probability, decision) column names of every label of every model; a label in two models is an error."""
    seen: dict[str, Path] = {}
    for model in models:
        for name in model.label_names:
            if name in seen:
                raise ValueError(f"label {name!r} is predicted by both {seen[name]} and {model.folder}; give each label one model")
            seen[name] = model.folder
    return [(PROBABILITY_PREFIX + n, DECISION_PREFIX + n) for n in seen]


def _model_digest(model: SavedClassifier) -> str:
    files = sorted(p for p in model.folder.iterdir() if p.is_file())
    return fingerprint(**{p.name: (sha256_of(p) if p.name in (MODEL_INFO_FILE, "config.json") else p.stat().st_size)
                          for p in files})


def _predict_chunk(chunk: pd.DataFrame, models: Sequence[SavedClassifier], thresholds: list[np.ndarray],
                   title: str | None, abstract: str | None, batch_size: int, engine: str = "auto") -> tuple[pd.DataFrame, int]:
    texts = document_texts(chunk, title, abstract)
    has_text = (texts != "").to_numpy()
    out = chunk.copy()
    for model, threshold in zip(models, thresholds):
        proba = np.full((len(chunk), len(model.label_names)), np.nan)
        if has_text.any():
            proba[has_text] = model.predict_proba(texts[has_text].tolist(), batch_size=batch_size, engine=engine)
        for j, name in enumerate(model.label_names):
            out[PROBABILITY_PREFIX + name] = np.round(proba[:, j], 6)
            decision = pd.array(np.where(has_text, proba[:, j] >= threshold[j], 0).astype(int), dtype="Int8")
            decision[~has_text] = pd.NA
            out[DECISION_PREFIX + name] = decision
    return out, int((~has_text).sum())


def input_text_columns(input_path: Path, names: list[str], columns: list[tuple[str, str]], title_column: str | None,
                       abstract_column: str | None) -> tuple[str | None, str | None]:
    """The input's title and abstract columns among ``names``.

    Raises if the input already has prediction ``columns``; warns if it lacks one of the two.
    """
    title, abstract = find_text_columns(names, title_column, abstract_column)
    clashes = [c for pair in columns for c in pair if c in names]
    if clashes:
        raise DocumentsError(f"{input_path} already has the column(s) {', '.join(clashes)} (predicted before?): "
                             "remove them or predict from the original file")
    if abstract is None or title is None:
        warnings.warn(f"{input_path} has no {'abstract' if abstract is None else 'title'} column: the models see "
                      f"{'titles' if abstract is None else 'abstracts'} only", stacklevel=3)
    return title, abstract


def prepare_run(input_path: Path, models: Sequence[str | os.PathLike | SavedClassifier], output: Path,
                threshold: str | float, engine: str
                ) -> tuple[str, list[SavedClassifier], list[tuple[str, str]], list[np.ndarray], str]:
    """Check the paths and load the models, before any document is read.

    Returns the output format, the loaded models, their (probability, decision) columns, their
    thresholds and the engine that will run them.
    """
    input_format(input_path)  # unknown extensions fail before any model loads
    out_format = output_format(output)
    if not input_path.is_file():
        raise DocumentsError(f"{input_path} does not exist")
    if input_path.resolve() == output.resolve():
        raise DocumentsError(f"the output {output} would overwrite the input: choose another output file")
    if not models:
        raise ValueError("give at least one model folder (--model DIR)")
    loaded = [m if isinstance(m, SavedClassifier) else load_saved_classifier(m) for m in models]
    columns = prediction_columns(loaded)
    thresholds = [m.thresholds(threshold) for m in loaded]
    return out_format, loaded, columns, thresholds, resolve_engine(engine, loaded[0].model)


def warn_without_text(count: int) -> None:
    """The warning that documents without text got no prediction (none if there were none)."""
    if count:
        warnings.warn(f"{count} document(s) have neither title nor abstract: they get no prediction "
                      "(empty cells)", stacklevel=3)


def work_folder(output: str | os.PathLike) -> Path:
    """Where the finished chunks of a run into ``output`` wait until the output is written."""
    output = Path(output)
    return output.with_name(f".{output.name}.mlmap-chunks")


def predict_file(
    input_path: str | os.PathLike,
    models: Sequence[str | os.PathLike | SavedClassifier],
    output: str | os.PathLike,
    threshold: str | float = "f1",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    batch_size: int = 16,
    title_column: str | None = None,
    abstract_column: str | None = None,
    progress: bool | None = None,
    engine: str = "auto",
) -> PredictionSummary:
    """Predict every document of ``input_path`` with ``models`` (saved folders) and write ``output``.

    The output keeps every field of the input and adds, per label, ``p_<label>`` (the probability)
    and ``pred_<label>`` (1 if it reaches the model's ``threshold``: a saved one by name, ``"f1"``
    or ``"recall95"``, or a number). A document with neither title nor abstract gets empty cells
    and is counted in a warning. Bad input raises before anything is written; an interrupted run
    resumes (see the module's description). ``progress=None`` shows a bar with ETA on a terminal.
    ``engine``: ``"auto"`` (OpenVINO on a CPU where installed, else PyTorch), ``"openvino"`` or ``"pytorch"``.
    """
    input_path, output = Path(input_path), Path(output)
    out_format, loaded, columns, thresholds, engine = prepare_run(input_path, models, output, threshold, engine)

    chunks = iter_documents(input_path, chunk_size)
    first = next(chunks)
    title, abstract = input_text_columns(input_path, list(first.columns), columns, title_column, abstract_column)

    total = count_documents(input_path)  # a whole pass: input that is bad further on fails here, before any state is kept
    work = work_folder(output)
    settings = {"input": sha256_of(input_path), "models": [_model_digest(m) for m in loaded],
                "threshold": str(threshold), "chunk_size": chunk_size, "title": title, "abstract": abstract,
                "engine": engine}
    manifest = work / "settings.json"
    if work.is_dir() and (not manifest.is_file() or json.loads(manifest.read_text()) != settings):
        print(f"{work} holds chunks of a run with other input, models or settings: starting again", file=sys.stderr)
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    atomic_write_text(manifest, json.dumps(settings, indent=1))
    show = show_progress(progress)
    start, counts = time.perf_counter(), {"resumed": 0, "without_text": 0}
    try:
        _predict_chunks(_chain(first, chunks), work, loaded, thresholds, title, abstract, batch_size, total, show, counts,
                        engine)
    except DocumentsError:  # bad input further on: its chunks are of no use to a rerun, which needs other input
        shutil.rmtree(work)
        raise
    resumed, without_text = counts["resumed"], counts["without_text"]
    warn_without_text(without_text)

    positives = assemble(work, output, out_format, columns)
    shutil.rmtree(work)
    seconds = time.perf_counter() - start
    return PredictionSummary(output, total, without_text, positives, seconds, resumed)


def _predict_chunks(chunks, work: Path, models: list[SavedClassifier], thresholds: list[np.ndarray], title: str | None,
                    abstract: str | None, batch_size: int, total: int, show: bool, counts: dict[str, int],
                    engine: str = "auto") -> None:
    """Predict and save every chunk not saved by an earlier run; ``counts`` gets the resumed chunks and empty documents."""
    with tqdm(total=total, disable=not show, unit="doc", desc="predict", smoothing=0.1) as bar:
        for index, chunk in enumerate(chunks):
            path = work / f"chunk-{index:06d}.parquet"
            if path.is_file():
                counts["resumed"] += 1
                counts["without_text"] += documents_without_text(
                    pq.read_table(path, columns=[DECISION_PREFIX + models[0].label_names[0]]), models)
            else:
                predicted, empty = _predict_chunk(chunk, models, thresholds, title, abstract, batch_size, engine)
                counts["without_text"] += empty
                save_chunk(pa.Table.from_pandas(predicted, preserve_index=False), path)
            bar.update(len(chunk))


def _chain(first: pd.DataFrame, rest):
    yield first
    yield from rest
