"""predict_proba on many documents: throughput, memory over time, and input order.

    .venv/bin/python benchmarks/bench_predict_scale.py [--docs 6000]

The 1,500 real abstracts are repeated to the requested number of documents and scored with the
bundled model (its new head is untrained: this measures speed and memory, not accuracy). A thread
samples the process's memory (RSS) while predict_proba runs; flat memory means the RSS after 10% of
the documents is about the RSS at the end.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
import pandas as pd
import psutil


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the trainer's eval batch size")
    args = parser.parse_args()

    import mlmap

    texts = mlmap.make_text(mlmap.load_labels())
    frame = pd.DataFrame({"text": np.resize(texts.to_numpy(), args.docs)})
    model_name = mlmap.resolve_model()
    tokenizer = mlmap.load_tokenizer(model_name)
    trainer = mlmap.CustomTrainer(model=mlmap.load_classifier(model_name), args=mlmap.make_training_args(),
                                  processing_class=tokenizer)
    dataset = mlmap.hf_tokenize_data(frame, tokenizer)

    process = psutil.Process()
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), process.memory_info().rss / 2**20))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    sampler.start()
    proba = trainer.predict_proba(dataset, batch_size=args.batch_size, progress=True)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()

    alone = trainer.predict_proba(dataset.select(range(0, args.docs, 97)))
    in_order = np.allclose(proba[::97], alone, atol=1e-2)
    times = np.array([t - start for t, _ in samples])
    rss = np.array([m for _, m in samples])
    early = rss[times <= 0.1 * elapsed].max()
    tokens = sum(len(ids) for ids in dataset["input_ids"])  # real tokens, before any padding
    print(f"{args.docs} documents in {elapsed:.0f} s: {args.docs / elapsed:.1f} docs/s ({tokens / elapsed:.0f} tokens/s), bf16={trainer.args.bf16}")
    print(f"RSS: {rss[0]:.0f} MiB before, {early:.0f} MiB peak in the first 10% of the time, {rss.max():.0f} MiB peak overall, {rss[-1]:.0f} MiB at the end")
    print(f"results in input order (checked on every 97th document scored alone): {in_order}")


if __name__ == "__main__":
    main()
