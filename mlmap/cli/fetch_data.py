"""``python -m mlmap fetch-data``: the book's labelled documents, fetched and verified (:mod:`mlmap.data`)."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import COMMANDS

NAME = "fetch-data"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    fetch = commands.add_parser(NAME, help=COMMANDS[NAME].help)
    fetch.add_argument("--source", help="path or URL (default: $MLMAP_DATA_SOURCE, else the upstream file)")
    fetch.add_argument("--dest", help="where to put it (default: $MLMAP_DATA_PATH, else data/labels.feather)")
    return fetch


def run(args: argparse.Namespace) -> int:
    from ..data import fetch_data

    path = fetch_data(args.source, args.dest)
    print(f"verified {path}")
    return 0
