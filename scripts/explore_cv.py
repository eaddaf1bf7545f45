"""Exploration before freezing the fine-tuning recipe and mlmap.cv.SEARCH_SPACES: inner splits only.

    .venv/bin/python scripts/explore_cv.py TARGET --lr 5e-5 --min-steps 300 --max-length 256 [--pos-weight] [--pooling mean]

Trains one configuration on the inner training part of outer fold ``--fold``'s training set and
prints, after every epoch, the inner-validation F1 (at its own best thresholds), the lowest
per-label ROC AUC, the Brier score and expected vs labelled counts; with ``--log`` it appends one
JSON line per epoch to that file (for ``results/cv/exploration.md``). It reads only outer fold
``--fold``'s training documents: the outer test folds stay untouched.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np
from sklearn.metrics import roc_auc_score

import mlmap
from mlmap import cv, trials
from mlmap.development import exploration_split
from mlmap.metrics import best_thresholds, f1_at_thresholds


def label_scores(truth: np.ndarray, proba: np.ndarray) -> dict[str, object]:
    """F1 at the best thresholds, per-label AUC, Brier score and expected vs labelled counts."""
    truth2, proba2 = truth.reshape(len(truth), -1), proba.reshape(len(proba), -1)
    aucs = [roc_auc_score(truth2[:, j], proba2[:, j]) if 0 < truth2[:, j].sum() < len(truth2) else float("nan")
            for j in range(truth2.shape[1])]
    return {"f1": f1_at_thresholds(truth, proba, best_thresholds(truth, proba)),
            "auc": [round(a, 3) for a in aucs], "brier": float(np.mean((proba2 - truth2) ** 2)),
            "expected": [round(float(v), 1) for v in proba2.sum(axis=0)],
            "labelled": [int(v) for v in truth2.sum(axis=0)],
            "spread": [round(float(v), 3) for v in proba2.std(axis=0)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=list(cv.TARGETS))
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--min-steps", type=int, default=0, help="at least this many optimizer steps")
    parser.add_argument("--epochs", type=int, default=4, help="at least this many epochs")
    parser.add_argument("--warmup", type=float, default=0.0, help="warm-up share of the steps")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--pos-weight", action="store_true", help="weight positives by negatives/positives")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--seed", type=int, default=mlmap.SEED)
    parser.add_argument("--pooling", choices=["cls", "mean"], default="cls",
                        help="the head reads [CLS] through BERT's pooler or the mean of the tokens (mlmap.heads)")
    parser.add_argument("--log", help="append one JSON line per epoch to this file")
    args = parser.parse_args()

    frame = cv.target_frame(mlmap.load_labels(), args.target)
    inner_train, inner_val = exploration_split(frame, args.fold)
    steps_per_epoch = math.ceil(len(inner_train) / 16)
    epochs = max(args.epochs, math.ceil(args.min_steps / steps_per_epoch))
    tokenizer = mlmap.load_tokenizer(mlmap.resolve_model())
    callback = trials.EpochProbabilities(mlmap.hf_tokenize_data(inner_val.drop(columns="labels"), tokenizer, args.max_length))
    start = time.perf_counter()
    mlmap.fine_tune(inner_train, max_length=args.max_length, learning_rate=args.lr, num_train_epochs=epochs,
                    warmup_steps=args.warmup, pos_weight="auto" if args.pos_weight else None, seed=args.seed,
                    pooling=args.pooling,
                    callbacks=[callback], disable_tqdm=True, logging_strategy="no", output_dir=".cache/explore-trainer")
    seconds = time.perf_counter() - start
    truth = cv.label_matrix(inner_val)
    config = {"target": args.target, "fold": args.fold, "lr": args.lr, "epochs": epochs, "warmup": args.warmup,
              "min_steps": args.min_steps, "max_length": args.max_length, "pos_weight": args.pos_weight,
              "pooling": args.pooling,
              "seed": args.seed, "train_docs": len(inner_train), "val_docs": len(inner_val),
              "bf16": mlmap.use_bf16(), "machine": platform.processor() or platform.machine()}
    for epoch, proba in callback.by_epoch.items():
        scores = label_scores(truth, proba)
        print(f"{args.target} lr={args.lr:g} epoch {epoch}/{epochs}: F1 {scores['f1']:.3f}, lowest AUC "
              f"{np.nanmin(scores['auc']):.3f}, Brier {scores['brier']:.4f}, expected {scores['expected']} "
              f"vs labelled {scores['labelled']}", flush=True)
        if args.log:
            with open(args.log, "a") as log:
                log.write(json.dumps({**config, "epoch": epoch, **scores}) + "\n")
    print(f"{args.target}: {len(inner_train)} training docs x {epochs} epochs in {seconds:.0f} s "
          f"({len(inner_train) * epochs / seconds:.1f} ex/s, validation included)")
    if args.log:
        with open(args.log, "a") as log:
            log.write(json.dumps({**config, "seconds": round(seconds)}) + "\n")


if __name__ == "__main__":
    main()
