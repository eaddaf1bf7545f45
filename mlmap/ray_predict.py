"""``python -m mlmap predict --ray [ADDRESS]``: the same prediction on a Ray cluster, with Ray Data.

Ray Data reads the Parquet input in blocks, a pool of actors (each loads the models once) predicts
them chunk by chunk, and the driver writes the chunks, in input order, into the same output as the
single-process path (:func:`mlmap.predict_file`). A worker that dies is restarted and its chunk is
predicted again; nothing is lost or written twice. Ray is an optional extra: ``pip install -e .[scale]``.

On a cluster, every node needs this environment, and the input and the model folders must be at
paths every node can read (a shared file system).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from .corpus import PredictionSummary, _predict_chunk, input_text_columns, prepare_run, warn_without_text
from .corpus_chunks import assemble, documents_without_text, save_chunk
from .io import DocumentsError, count_documents, input_format
from .progress import show_progress
from .saved_models import load_saved_classifier

#: How often a dead worker is restarted, and how often its chunk is tried again, before the run fails.
MAX_RESTARTS = 3


class _ChunkPredictor:
    """A Ray actor: loads the models once, then predicts one chunk (an Arrow table) per call."""

    def __init__(self, folders: list[str], threshold: str | float, title: str | None, abstract: str | None,
                 batch_size: int, engine: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.models = [load_saved_classifier(folder) for folder in folders]
        self.thresholds = [m.thresholds(threshold) for m in self.models]
        self.title, self.abstract, self.batch_size, self.engine = title, abstract, batch_size, engine

    def __call__(self, table: pa.Table) -> pa.Table:
        import pandas as pd

        # the same conversion as the single-process path, so the output is the same
        chunk = table.to_pandas(types_mapper=pd.ArrowDtype)
        predicted, _ = _predict_chunk(chunk, self.models, self.thresholds, self.title, self.abstract,
                                      self.batch_size, self.engine)
        return pa.Table.from_pandas(predicted, preserve_index=False)


def ray_available() -> bool:
    """Whether Ray Data is installed (``pip install -e .[scale]``)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def predict_file_with_ray(
    input_path: str | os.PathLike,
    models: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    address: str | None = None,
    workers: int | None = None,
    threads_per_worker: int = 1,
    threshold: str | float = "f1",
    chunk_size: int = 2000,
    batch_size: int = 16,
    title_column: str | None = None,
    abstract_column: str | None = None,
    engine: str = "auto",
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> PredictionSummary:
    """:func:`mlmap.predict_file` on a Ray cluster: a Parquet ``input_path``, any output format, the same output.

    ``address``: a running cluster's (``ray://host:10001``, ``host:6379`` or ``"auto"``); ``None``
    starts a local cluster. ``workers``: actors predicting at once, each with ``threads_per_worker``
    threads (default: one per CPU of the cluster, but one CPU kept for reading the input). ``on_chunk`` is
    called with each chunk's index as the driver receives it (in input order).
    """
    if not ray_available():
        raise RuntimeError("--ray needs Ray Data: pip install -e .[scale]  (or predict without --ray)")
    import ray
    from ray.data import ActorPoolStrategy, DataContext

    input_path, output = Path(input_path), Path(output)
    if input_format(input_path) != "parquet":
        raise DocumentsError(f"--ray reads Parquet, and {input_path} is not a .parquet file: predict without --ray, or "
                             "convert it first (e.g. pandas.read_csv(...).to_parquet(...))")
    # bad paths and model folders fail here, before the cluster starts
    out_format, loaded, columns, _, engine = prepare_run(input_path, models, output, threshold, engine)
    total = count_documents(input_path)
    if total == 0:
        raise DocumentsError(f"{input_path} holds no documents")
    title, abstract = input_text_columns(input_path, pq.read_schema(input_path).names, columns, title_column,
                                         abstract_column)

    started_here = not ray.is_initialized()
    if started_here:
        if address is None:
            # one CPU slot more than the workers use: Ray Data's file listing and reading need one to start
            ray.init(num_cpus=(workers or max(1, (os.cpu_count() or 1) // threads_per_worker)) * threads_per_worker + 1,
                     include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    work = output.with_name(f".{output.name}.mlmap-ray")  # not predict's resumable chunks: those stay
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start, without_text, written = time.perf_counter(), 0, 0
    try:
        context = DataContext.get_current()
        context.execution_options.preserve_order = True  # chunks reach the driver in input order
        # our bar shows documents done; Ray Data's own bars and progress log would repeat it
        # (its full log stays in /tmp/ray/session_latest/logs/ray-data)
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        if workers is None:  # every CPU slot but the one kept for reading
            workers = max(1, (int(ray.cluster_resources().get("CPU", 2)) - 1) // threads_per_worker)
        # blocks of at most one chunk, so that a file of a single row group still feeds every worker
        dataset = ray.data.read_parquet(str(input_path.resolve())).repartition(target_num_rows_per_block=chunk_size)
        with warnings.catch_warnings():
            # Ray 2.60 takes actor restarts only among **ray_remote_args, which it marks deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            predicted = dataset.map_batches(
                _ChunkPredictor, batch_size=chunk_size, batch_format="pyarrow", zero_copy_batch=True,
                fn_constructor_kwargs={"folders": [str(m.folder.resolve()) for m in loaded], "threshold": threshold,
                                       "title": title, "abstract": abstract, "batch_size": batch_size,
                                       "engine": engine, "threads": threads_per_worker},
                compute=ActorPoolStrategy(size=workers), num_cpus=threads_per_worker,
                # a dead worker is restarted and its chunk run again, a few times: a chunk that kills
                # every worker (out of memory) fails the run instead of looping
                max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS,
            )
        with tqdm(total=total, disable=not show_progress(progress), unit="doc", desc="predict (ray)") as bar:
            for index, table in enumerate(predicted.iter_batches(batch_size=None, batch_format="pyarrow")):
                save_chunk(table, work / f"chunk-{index:06d}.parquet")
                without_text += documents_without_text(table, loaded)
                written += table.num_rows
                bar.update(table.num_rows)
                if on_chunk is not None:
                    on_chunk(index)
        if written != total:
            raise RuntimeError(f"Ray returned {written} documents of {total}: nothing was written")
        warn_without_text(without_text)
        positives = assemble(work, output, out_format, columns)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if started_here:
            ray.shutdown()
    return PredictionSummary(output, total, without_text, positives, time.perf_counter() - start, 0)
