"""Command line: ``python -m mlmap fetch-data``, ``cv``, ``simulate``, ``train``, ``predict``, ``screen``, ``demo-corpus``,
``count``, ``count-coverage`` and ``learning-curve``.

One module per command (``mlmap.cli.<module>``, named in :data:`~mlmap.cli.commands.COMMANDS`), each
with ``add_parser(subparsers)`` and ``run(args)``. Only the command that runs is imported, and its
module imports the heavy libraries only in ``run``: ``mlmap --help`` and ``mlmap COMMAND --help``
load no torch, transformers or scikit-learn.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from types import ModuleType

from .commands import COMMANDS

__all__ = ["COMMANDS", "build_parser", "main"]


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _module(command: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{COMMANDS[command].module}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: every command listed, and only ``command``'s options built (none when None).

    A command's options import the constants their defaults come from; building only the one that
    runs keeps ``mlmap --help`` and every other command free of the rest.
    """
    parser = argparse.ArgumentParser(prog="mlmap", description="Helpers of the mlmap book.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, entry in COMMANDS.items():
        if name == command:
            _module(name).add_parser(commands)
        else:
            commands.add_parser(name, help=entry.help)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    # `kill` (and a shell closing) stops a long run as Ctrl-C does: finished work kept, the part recorded
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return _module(args.command).run(args)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to continue", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, RuntimeError) as exc:  # DataError is a RuntimeError
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
