"""The commands of ``python -m mlmap``: each one's module under :mod:`mlmap.cli` and its one-line help.

``mlmap --help`` lists them from this table alone, importing no command's module. Adding a command
is one module here (``add_parser(subparsers)`` and ``run(args)``) and one line in :data:`COMMANDS`.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    """A command's module (``mlmap.cli.<module>``) and its help in the list of commands."""

    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "fetch-data": Command("fetch_data", "fetch and verify data/labels.feather"),
    "cv": Command("cv", "nested cross-validation of the fine-tuned model and two baselines (resumable)"),
    "simulate": Command("simulate", "simulate prioritised screening with a model in the loop (resumable)"),
    "train": Command("train", "train a final model on all labelled documents and save it as a model folder"),
    "predict": Command("predict", "predict a corpus file with saved models (chunked, resumable)"),
    "screen": Command("screen", "rank what is not screened yet, and the stopping rule's verdict on what is"),
    "demo-corpus": Command("demo_corpus", "the map chapter's predictions of the labelled documents (results/map)"),
    "count": Command("count", "documents per label of a predicted corpus, with intervals (quantification)"),
    "count-coverage": Command("count_coverage", "test the count intervals under prior shift (results/quantification)"),
    "learning-curve": Command("learning_curve", "learning curves: would more labels help? (results/learning-curves)"),
}
