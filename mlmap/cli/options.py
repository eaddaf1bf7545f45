"""Options and output shared by several commands."""

from __future__ import annotations

import argparse
import sys
import warnings
from contextlib import contextmanager


def pretrained_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="pretrained model to fine-tune (default: $MLMAP_MODEL, else the bundled all-MiniLM-L6-v2)")


def text_column_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title-column", help="the title column (default: found by name: title, TI, display_name...)")
    parser.add_argument("--abstract-column", help="the abstract column (default: found by name: abstract, AB...)")


@contextmanager
def warnings_on_stderr():
    """Warnings as one ``warning: ...`` line each on stderr, after the command's own output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
