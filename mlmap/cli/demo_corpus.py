"""``python -m mlmap demo-corpus``: the map chapter's predictions (:mod:`mlmap.evidence_map`)."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import COMMANDS
from .options import pretrained_model_option

NAME = "demo-corpus"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..paths import RESULTS_DIR
    from ..recipe import SEED

    demo = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="P(relevant) from the cross-validation's out-of-fold probabilities, codes out-of-fold for coded "
                    "documents and from final code models (trained on all coded documents) for the rest. Writes ids, "
                    "probabilities and decisions, never texts.")
    demo.add_argument("--out", default=str(RESULTS_DIR / "map"), help="results folder (default results/map)")
    demo.add_argument("--cv-dir", default=str(RESULTS_DIR / "cv"), help="the cross-validation results (default results/cv)")
    demo.add_argument("--models-dir", default=".cache/final-models", help="where the final code models are kept or trained")
    pretrained_model_option(demo)
    demo.add_argument("--seed", type=int, default=SEED, help=f"seed of the final models' selection and training (default {SEED})")
    return demo


def run(args: argparse.Namespace) -> int:
    from ..evidence_map import build_demo_corpus

    predictions = build_demo_corpus(args.out, args.cv_dir, args.models_dir, args.model, args.seed)
    print(f"{len(predictions)} documents, {int(predictions['pred_INCLUDE'].sum())} predicted relevant; results in {args.out}")
    return 0
