"""Command line: ``python -m mlmap fetch-data [--source SRC] [--dest PATH]``."""

from __future__ import annotations

import argparse
import sys

from .data import DataError, fetch_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlmap")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch-data", help="fetch and verify data/labels.feather")
    fetch.add_argument("--source", help="path or URL (default: $MLMAP_DATA_SOURCE, else the upstream file)")
    fetch.add_argument("--dest", help="where to put it (default: $MLMAP_DATA_PATH, else data/labels.feather)")
    args = parser.parse_args(argv)
    try:
        path = fetch_data(args.source, args.dest)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"verified {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
