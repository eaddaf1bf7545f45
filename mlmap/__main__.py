"""``python -m mlmap``: the command line of :mod:`mlmap.cli` (one module per command, imported when it runs)."""

from __future__ import annotations

import sys

from .cli import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
