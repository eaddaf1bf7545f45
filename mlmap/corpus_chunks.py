"""The finished chunks of a prediction run on disk: each saved whole, then assembled into the output file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .io import DocumentWriter

if TYPE_CHECKING:
    from .saved_models import SavedClassifier

#: Columns the predictions add, per label: the probability and the 0/1 decision at the chosen threshold.
PROBABILITY_PREFIX, DECISION_PREFIX = "p_", "pred_"


def save_chunk(table: pa.Table, path: Path) -> None:
    """Write one predicted chunk under a temporary name and rename it, so a saved chunk is always whole."""
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def documents_without_text(table: pa.Table, models: Sequence[SavedClassifier]) -> int:
    """How many documents of a predicted chunk had no text: their decisions are empty."""
    return table.column(DECISION_PREFIX + models[0].label_names[0]).null_count


def assemble(work: Path, output: Path, out_format: str, columns: list[tuple[str, str]]) -> dict[str, int]:
    """Write the output from the chunk files in order; the positive decisions per label."""
    files = sorted(work.glob("chunk-*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    # the same field can arrive as null in one chunk and as text in another (RIS, JSON Lines)
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    names = [f.name for f in schema]
    notes = None
    if out_format == "ris":
        def notes(row: dict[str, Any]) -> list[str]:
            return [f"mlmap: {p.removeprefix(PROBABILITY_PREFIX)} p={row[p]:.4f} decision={row[d]}"
                    for p, d in columns if not pd.isna(row[p])]
    writer = DocumentWriter(output, [n for n in names if n not in {c for pair in columns for c in pair}]
                            if out_format == "ris" else names, schema, notes)
    positives = {p.removeprefix(PROBABILITY_PREFIX): 0 for p, _ in columns}
    try:
        for f in files:
            table = pq.read_table(f)
            for p, d in columns:
                positives[p.removeprefix(PROBABILITY_PREFIX)] += int(pc.sum(table.column(d)).as_py() or 0)
            if out_format == "ris":
                frame = table.to_pandas(types_mapper=pd.ArrowDtype)
                writer.write(frame)
            else:
                writer.write(table)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    return positives
