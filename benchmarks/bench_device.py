"""Training and prediction throughput of mlmap's own code on this machine's accelerator (or CPU).

    .venv/bin/python benchmarks/bench_device.py [--train-docs 1000] [--epochs 1] [--predict-docs 1500]

The same calls the chapters make: ``mlmap.fine_tune`` (bf16 where supported, length-grouped
batches of 16, the first 512 tokens) on real abstracts, then ``predict_proba`` on all 1,500 with
batches of 16 and of 64. Prints one JSON object: device, examples/s, docs/s and held-out F1.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from sklearn.metrics import f1_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-docs", type=int, default=1000)
    parser.add_argument("--test-docs", type=int, default=300)
    parser.add_argument("--epochs", type=float, default=1)
    args = parser.parse_args()

    import mlmap

    df = mlmap.prepare_targets(mlmap.load_labels(), "INCLUDE")
    train_df, test_df = mlmap.screening_split(df, test_size=args.test_docs, train_size=args.train_docs)
    start = time.perf_counter()
    trainer = mlmap.fine_tune(train_df, num_train_epochs=args.epochs, learning_rate=1e-4, disable_tqdm=True)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    train_s = time.perf_counter() - start  # model loading included: a second or two
    result = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__, "bf16": trainer.args.bf16,
        "train_examples_per_s": args.epochs * len(train_df) / train_s,
        "f1": float(f1_score(test_df["labels"], trainer.predict_proba(test_df) >= 0.5)),
    }
    everything = mlmap.hf_tokenize_data(mlmap.prepare_targets(mlmap.load_labels(), "INCLUDE")[["text"]],
                                        trainer.processing_class)
    for batch_size in (16, 64):
        trainer.predict_proba(everything.select(range(64)), batch_size=batch_size)  # warm-up: kernels for these shapes
        start = time.perf_counter()
        proba = trainer.predict_proba(everything, batch_size=batch_size)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        result[f"predict_docs_per_s_batch{batch_size}"] = len(everything) / (time.perf_counter() - start)
        assert np.isfinite(proba).all()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
