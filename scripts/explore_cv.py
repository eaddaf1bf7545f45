"""Exploration before freezing mlmap.cv.SEARCH_SPACES: one inner split (of outer fold 0's training set) per target.

    .venv/bin/python scripts/explore_cv.py TARGET LEARNING_RATE MAX_EPOCHS MAX_LENGTH

Prints the inner-validation F1 (at its best thresholds) after every epoch, and the training speed.
It reads only outer fold 0's training documents: the outer test folds stay untouched.
"""

from __future__ import annotations

import sys
import time

import mlmap
from mlmap import cv
from mlmap.folds import inner_split
from mlmap.metrics import best_thresholds, f1_at_thresholds


def main() -> None:
    target, lr, epochs, max_length = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    frame = cv.target_frame(mlmap.load_labels(), target)
    folds = cv.fold_assignments({target: frame}, 3, mlmap.SEED)["fold"].to_numpy()
    train = frame[folds != 0].reset_index(drop=True)
    is_val = inner_split(cv.label_matrix(train), mlmap.SEED)
    space = cv.SearchSpace(learning_rates=(lr,), max_epochs=epochs, max_length=max_length)
    start = time.perf_counter()
    by_epoch = cv.minilm_trial(train[~is_val], train[is_val], space, lr, mlmap.resolve_model(), mlmap.SEED)
    seconds = time.perf_counter() - start
    truth = cv.label_matrix(train[is_val])
    for epoch, proba in by_epoch.items():
        t = best_thresholds(truth, proba)
        print(f"{target} lr={lr:g} max_length={max_length} epoch {epoch}/{epochs}: inner-validation F1 "
              f"{f1_at_thresholds(truth, proba, t):.3f}")
    print(f"{target}: {int((~is_val).sum())} training docs x {epochs} epochs in {seconds:.0f} s "
          f"({(~is_val).sum() * epochs / seconds:.1f} ex/s, validation included)")


if __name__ == "__main__":
    main()
