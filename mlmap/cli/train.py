"""``python -m mlmap train``: a final model on all labelled documents (:mod:`mlmap.final_models`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .commands import COMMANDS
from .options import pretrained_model_option, text_column_options, warnings_on_stderr

NAME = "train"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..recipe import CV_MAX_LENGTH, RECIPE, SEED

    train = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="Settings and thresholds are chosen as the cross-validation chooses them, on a stratified quarter "
                    "of the labelled documents held out; the chosen model itself is saved (no refit), with its label "
                    "names, thresholds fitted on its own predictions of that quarter, and how it was trained. Train on the book's data (--target) or on your "
                    "own labelled file (--data, --label).")
    train.add_argument("--target", choices=["include", "instruments", "sectors"], help="one of the book's targets")
    train.add_argument("--data", metavar="FILE", help="your own labelled documents: CSV, Parquet, Feather, RIS or OpenAlex JSON Lines")
    train.add_argument("--label", metavar="COLUMN", action="append",
                       help="a 0/1 label column of --data (blank: not labelled yet); repeat it for a multilabel model")
    train.add_argument("--out", required=True, metavar="DIR", help="the model folder to write")
    pretrained_model_option(train)
    train.add_argument("--learning-rate", type=float, action="append", help="learning rate(s) to choose from (default: the cross-validation's)")
    train.add_argument("--epochs", type=int, help="most epochs; the model after each is a candidate (default: enough "
                       f"for {RECIPE.min_steps} optimizer steps, at least {RECIPE.min_epochs})")
    train.add_argument("--max-length", type=int, help=f"tokens per document (default {CV_MAX_LENGTH}, as in the cross-validation)")
    train.add_argument("--seed", type=int, default=SEED, help=f"seed of the held-out split and training (default {SEED})")
    text_column_options(train)
    return train


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..search_space import SEARCH_SPACES

    if (args.target is None) == (args.data is None):
        raise ValueError("give either --target (the book's data) or --data FILE with --label COLUMN")
    if args.data is not None and not args.label:
        raise ValueError("--data needs --label COLUMN (once for a screening model, once per label for a multilabel one)")
    if args.data is None:
        space = SEARCH_SPACES[args.target]
    else:
        space = SEARCH_SPACES["include" if len(args.label) == 1 else "instruments"]
    overrides = {k: v for k, v in {"learning_rates": tuple(args.learning_rate) if args.learning_rate else None,
                                   "max_epochs": args.epochs, "max_length": args.max_length}.items() if v is not None}
    space = replace(space, **overrides)
    with warnings_on_stderr():
        folder = _train_folder(args, space)
    print(f"model saved in {folder}")
    return 0


def _train_folder(args: argparse.Namespace, space: Any) -> Path:
    from .. import final_models, labelled_files
    from ..data import sha256_of

    if args.target is not None:
        return final_models.train_target(args.target, args.out, args.model, args.seed, space)
    frame, names, note = labelled_files.training_frame_from_file(args.data, args.label, args.title_column, args.abstract_column)
    print(note, file=sys.stderr)
    return final_models.train_final_model(frame, names, args.out, space, args.model, args.seed,
                                          {"file": str(args.data), "sha256": sha256_of(args.data), "labels": names})
