"""Training and prediction speed: the naive fine-tuning recipe against mlmap's path, side by side.

    make bench                      # or: .venv/bin/python benchmarks/bench_training.py [--train-docs N ...]

Both recipes fine-tune the bundled all-MiniLM-L6-v2 on the same real abstracts (same split, same
seed, same number of epochs) and predict the same held-out abstracts:

(a) naive:  padding="max_length" (512), fp32, a default Trainer (random batches);
(b) mlmap:  truncation + dynamic padding, length-grouped batches, bf16 autocast where the CPU has
            bf16 units, no attention dropout (the fused attention kernel), predict_proba (sorted by
            length, bf16 weights);
(b-fp32):   (b) in fp32, the control that isolates what bf16 does to F1.

Then (b)'s fine-tuned model is saved and predicts the same held-out abstracts (512-token limit) on
each inference engine, each in a fresh process: PyTorch fp32, PyTorch bf16 (where the CPU has
bf16), OpenVINO (bf16 inference precision where the CPU has it, else f32) and OpenVINO with int8
weights (``nncf.compress_weights``). The table gives docs/s, the speed-up over the naive recipe's
prediction, the largest probability difference from PyTorch fp32 and F1.

Each recipe runs in its own process, so its peak memory (max RSS) is its own. The script prints a
table, the ratios (b)/(a), and the achieved training GFLOP/s against the matmul peak measured here.
Last, it profiles a few of (b)'s training and prediction batches and prints where the time goes:
how much goes to matmuls and to the fused attention kernel, and the GFLOP/s each of them reaches.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RECIPES = ("naive", "mlmap", "mlmap-fp32")
ENGINES = ("pytorch-fp32", "pytorch-bf16", "openvino", "openvino-int8")
MODEL_DIR = Path(__file__).resolve().parent.parent / ".cache" / "bench" / "mlmap-model"


def split(train_docs: int, test_docs: int):
    """The book's screening split (mlmap.screening_split), with the benchmark's sizes."""
    import mlmap

    df = mlmap.prepare_targets(mlmap.load_labels(), "INCLUDE")
    return mlmap.screening_split(df, test_size=test_docs, train_size=train_docs)


def forward_flops(config, length: int) -> tuple[float, float]:
    """Forward FLOPs (2 per multiply-add) of one document of ``length`` tokens: (dense layers, attention).

    The dense layers (Q, K, V and output projections, feed-forward) cost the same for every token;
    attention (QK^T and attention x V) grows with the document's length. Training is 3x forward.
    """
    d, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    return 2 * layers * length * (4 * d * d + 2 * d * ffn), 2 * layers * 2 * length * length * d


def time_breakdown(step, batches, shapes, config, passes: int) -> dict:
    """Profile ``step`` on ``batches``: share of time of matmuls, fused attention, dropout and the rest.

    Also the GFLOP/s the matmul and attention kernels reach on the (documents, padded width)
    ``shapes`` they were given; ``passes`` is 3 for forward + backward, 1 for forward only.
    """
    from torch.profiler import ProfilerActivity, profile

    dense_flops = attention_flops = 0.0
    for docs, width in shapes:
        dense, attention = forward_flops(config, width)
        dense_flops += passes * docs * dense
        attention_flops += passes * docs * attention
    for batch in batches:  # warm-up outside the profile: kernel selection for each shape
        step(batch)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in batches:
            step(batch)
    seconds = {"matmul": 0.0, "attention": 0.0, "dropout": 0.0, "other": 0.0}
    for event in prof.key_averages():
        if event.key in ("aten::mm", "aten::addmm", "aten::bmm"):
            group = "matmul"
        elif "scaled_dot_product" in event.key:
            group = "attention"
        elif event.key == "aten::bernoulli_":
            group = "dropout"
        else:
            group = "other"
        # an op's self time is its wall time on the calling thread (intra-op threads add no events)
        seconds[group] += event.self_cpu_time_total / 1e6
    total = sum(seconds.values())
    return {
        "share": {k: v / total for k, v in seconds.items()},
        "matmul_gflops": dense_flops / seconds["matmul"] / 1e9,
        "attention_gflops": attention_flops / seconds["attention"] / 1e9,
    }


def run_recipe(recipe: str, args) -> dict:
    import torch
    from datasets import Dataset
    from sklearn.metrics import f1_score
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    import mlmap

    torch.manual_seed(0)
    train_df, test_df = split(args.train_docs, args.test_docs)
    name = mlmap.resolve_model()
    tokenizer = AutoTokenizer.from_pretrained(name)
    if recipe == "naive":
        model = AutoModelForSequenceClassification.from_pretrained(name, num_labels=2)
    else:
        model = mlmap.load_classifier(name, num_labels=2)  # attention dropout off: the fused attention kernel
    common = dict(num_train_epochs=args.epochs, learning_rate=args.lr, per_device_train_batch_size=args.batch_size,
                  per_device_eval_batch_size=16, save_strategy="no", report_to="none", disable_tqdm=True,
                  seed=mlmap.SEED, use_cpu=not torch.cuda.is_available())

    if recipe == "naive":
        def tokenize(batch):
            return tokenizer(batch["text"], padding="max_length", truncation=True, max_length=mlmap.BERT_MAX_LENGTH)
        train = Dataset.from_pandas(train_df[["text", "labels"]], preserve_index=False).map(tokenize, batched=True)
        test = Dataset.from_pandas(test_df[["text"]], preserve_index=False).map(tokenize, batched=True)
        trainer = Trainer(model=model, args=TrainingArguments(output_dir="/tmp/mlmap-bench", **common),
                          train_dataset=train, processing_class=tokenizer)
        bf16 = False
    else:
        bf16 = recipe == "mlmap" and mlmap.bf16_supported()
        train = mlmap.hf_tokenize_data(train_df, tokenizer)
        test = mlmap.hf_tokenize_data(test_df.drop(columns="labels"), tokenizer)
        trainer = mlmap.CustomTrainer(model=model, args=mlmap.make_training_args("/tmp/mlmap-bench", bf16=bf16, **common),
                                      train_dataset=train, processing_class=tokenizer,
                                      data_collator=DataCollatorWithPadding(tokenizer))

    lengths = [min(len(ids), mlmap.BERT_MAX_LENGTH) for ids in tokenizer(train_df["text"].tolist())["input_ids"]]
    start = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - start

    start = time.perf_counter()
    if recipe == "naive":
        logits = trainer.predict(test).predictions
        proba = torch.softmax(torch.tensor(logits), -1)[:, 1].numpy()
    else:
        proba = trainer.predict_proba(test)
    predict_s = time.perf_counter() - start

    result = {
        "recipe": recipe,
        "bf16": bf16,
        "train_examples_per_s": args.epochs * len(train_df) / train_s,
        "train_s": train_s,
        "predict_docs_per_s": len(test_df) / predict_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "f1": float(f1_score(test_df["labels"], (proba >= 0.5).astype(int))),
        # useful work only: every document's real (unpadded) tokens, 3x forward for training
        "train_gflops": args.epochs * sum(3 * sum(forward_flops(model.config, n)) for n in lengths) / train_s / 1e9,
    }
    if recipe == "mlmap":
        result["train_breakdown"], result["predict_breakdown"] = breakdowns(trainer, test, bf16)
        mlmap.save_classifier(trainer, MODEL_DIR, label_names=["INCLUDE"], max_length=mlmap.BERT_MAX_LENGTH,
                              thresholds={"f1": [0.5]}, training={"note": "benchmark model (make bench)"})
    return result


def run_engine(engine: str, args) -> dict:
    """(b)'s saved model predicts the held-out documents on one engine; probabilities are kept for the comparison."""
    import numpy as np
    from sklearn.metrics import f1_score

    import mlmap
    from mlmap.openvino_engine import OpenVINOClassifier, convert_classifier

    _, test_df = split(args.train_docs, args.test_docs)
    saved = mlmap.load_saved_classifier(MODEL_DIR)
    test = mlmap.hf_tokenize_data(test_df.drop(columns="labels"), saved.tokenizer, saved.max_length)
    names = tuple(n for n in mlmap.predicting.MODEL_INPUTS if n in test.column_names)
    precision = "bf16" if mlmap.bf16_supported() else "f32"
    start = time.perf_counter()
    if engine.startswith("pytorch"):
        model, bf16 = saved.model, engine == "pytorch-bf16"
    elif engine == "openvino":
        model, bf16 = mlmap.openvino_classifier(saved.model, names, precision=precision), False
    else:
        import nncf

        compressed = nncf.compress_weights(convert_classifier(saved.model, names), mode=nncf.CompressWeightsMode.INT8_ASYM)
        model, bf16 = OpenVINOClassifier(compressed, saved.model.config, precision), False
    prepare_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = mlmap.predict_proba(model, test, saved.tokenizer, batch_size=16, bf16=bf16, progress=False)
    predict_s = time.perf_counter() - start
    return {
        "engine": engine + (f" ({precision})" if engine.startswith("openvino") else ""),
        "predict_docs_per_s": len(test_df) / predict_s,
        "prepare_s": prepare_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "f1": float(f1_score(test_df["labels"], (proba >= 0.5).astype(int))),
        "proba": np.asarray(proba, dtype=float).tolist(),
        # useful work only: the real (unpadded) tokens of every document
        "gflop": sum(sum(forward_flops(saved.model.config, n)) for n in test["length"]) / 1e9,
    }


def breakdowns(trainer, test, bf16: bool) -> tuple[dict, dict]:
    """Where (b)'s time goes: a few training steps (forward + backward, as the Trainer runs them) and prediction batches."""
    import numpy as np
    import torch

    import mlmap

    model = trainer.model.train()
    train_batches = [batch for _, batch in zip(range(6), trainer.get_train_dataloader())]

    def train_step(batch):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = trainer.compute_loss(model, dict(batch))
        loss.backward()
        model.zero_grad(set_to_none=True)

    train_shapes = [tuple(batch["input_ids"].shape) for batch in train_batches]
    training = time_breakdown(train_step, train_batches, train_shapes, model.config, passes=3)

    # six batches spread over the length distribution, as predict_proba forms them (sorted by length)
    size = trainer.args.per_device_eval_batch_size
    order = [int(i) for i in np.argsort(-np.asarray(test["length"]), kind="stable")]
    starts = [k * (len(test) - size) // 5 for k in range(6)]
    chunks = [test.select(order[i : i + size]) for i in starts]
    predict_shapes = [(len(c), -(-max(c["length"]) // mlmap.PAD_MULTIPLE) * mlmap.PAD_MULTIPLE) for c in chunks]
    predicting = time_breakdown(trainer.predict_proba, chunks, predict_shapes, model.config, passes=1)
    return training, predicting


def matmul_peak(dtype_name: str, size: int = 2048, repeats: int = 10) -> float:
    """Best GFLOP/s of a square matmul in this dtype, on this machine's default thread count."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b  # warm-up: kernel selection, page faults
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


def print_engines(engines: dict, naive: dict | None, peaks: dict) -> None:
    """The prediction engines side by side: speed, against the naive recipe, probabilities against PyTorch fp32, F1."""
    import numpy as np

    reference = np.asarray(engines["pytorch-fp32"]["proba"]) if "pytorch-fp32" in engines else None
    print("\nprediction engines, (b)'s model on the same held-out documents (512-token limit), each in a fresh process:")
    header = (f"{'engine':24s} {'docs/s':>7s} {'x naive':>8s} {'max |dp|':>9s} {'F1':>6s} {'peak MiB':>9s} "
              f"{'prepare s':>10s} {'GFLOP/s':>8s}")
    print(header)
    print("-" * len(header))
    for r in engines.values():
        speedup = f"{r['predict_docs_per_s'] / naive['predict_docs_per_s']:.1f}x" if naive else "-"
        diff = f"{np.abs(np.asarray(r['proba']) - reference).max():.1e}" if reference is not None else "-"
        print(f"{r['engine']:24s} {r['predict_docs_per_s']:7.1f} {speedup:>8s} {diff:>9s} {r['f1']:6.3f} "
              f"{r['peak_rss_mib']:9.0f} {r['prepare_s']:10.1f} {r['gflop'] * r['predict_docs_per_s'] / len(r['proba']):8.0f}")
    if naive:
        best = max(engines.values(), key=lambda r: r["predict_docs_per_s"])
        ratio = best["predict_docs_per_s"] / naive["predict_docs_per_s"]
        print(f"fastest: {best['engine']}, {ratio:.1f}x the naive recipe's prediction (target 5x)"
              + ("" if ratio >= 5 else "; missed"))
        if ratio < 5:
            # the limit: the documents' own arithmetic at the best matmul speed this CPU reaches
            dtype = "bfloat16" if "bfloat16" in peaks else "float32"
            ceiling = peaks[dtype] / (best["gflop"] / len(best["proba"]))
            print(f"what limits it: 5x would be {5 * naive['predict_docs_per_s']:.1f} docs/s; the documents' real tokens "
                  f"need {best['gflop'] / len(best['proba']):.1f} GFLOP each, so even every operation at this CPU's "
                  f"{dtype} matmul peak ({peaks[dtype]:.0f} GFLOP/s) gives at most {ceiling:.1f} docs/s "
                  f"({ceiling / naive['predict_docs_per_s']:.1f}x); {best['engine']} reaches "
                  f"{best['gflop'] * best['predict_docs_per_s'] / len(best['proba']) / peaks[dtype]:.0%} of that peak")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-docs", type=int, default=400)
    parser.add_argument("--test-docs", type=int, default=300)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated subset of " + ", ".join(RECIPES))
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated subset of " + ", ".join(ENGINES) + " (needs the mlmap recipe's model); '' for none")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # internal: run one recipe in this process
    args = parser.parse_args()

    if args.run:
        print(json.dumps(run_engine(args.run[len("engine:"):], args) if args.run.startswith("engine:")
                         else run_recipe(args.run, args)))
        return 0

    import torch

    import mlmap

    results = {}
    for recipe in args.recipes.split(","):
        print(f"running {recipe} ...", file=sys.stderr, flush=True)
        command = [sys.executable, __file__, "--run", recipe, *sys.argv[1:]]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr[-4000:], file=sys.stderr)
            return 1
        results[recipe] = json.loads(out.stdout.strip().splitlines()[-1])

    engines = {}
    for engine in [e for e in args.engines.split(",") if e]:
        if engine == "pytorch-bf16" and not mlmap.bf16_supported():
            continue  # no bf16 units: PyTorch would emulate bf16, slower than fp32
        print(f"predicting with {engine} ...", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, __file__, "--run", f"engine:{engine}", *sys.argv[1:]],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr[-4000:], file=sys.stderr)
            return 1
        engines[engine] = json.loads(out.stdout.strip().splitlines()[-1])

    peak_dtype = "bfloat16" if mlmap.bf16_supported() else "float32"
    peaks = {"float32": matmul_peak("float32")}
    if peak_dtype == "bfloat16":
        peaks["bfloat16"] = matmul_peak("bfloat16")

    cpu = platform.processor() or platform.machine()
    print(f"\nmachine: {cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.train_docs} training docs x {args.epochs:g} epoch(s), {args.test_docs} held-out docs, batch {args.batch_size}")
    header = f"{'recipe':12s} {'train ex/s':>10s} {'predict docs/s':>15s} {'peak MiB':>9s} {'F1':>6s} {'train GFLOP/s':>14s}"
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(f"{r['recipe'] + (' (bf16)' if r['bf16'] else ''):12s} {r['train_examples_per_s']:10.2f} {r['predict_docs_per_s']:15.1f} "
              f"{r['peak_rss_mib']:9.0f} {r['f1']:6.3f} {r['train_gflops']:14.1f}")
    if "naive" in results and "mlmap" in results:
        a, b = results["naive"], results["mlmap"]
        print(f"\nratios (b)/(a): training {b['train_examples_per_s'] / a['train_examples_per_s']:.1f}x (target 4x), "
              f"prediction {b['predict_docs_per_s'] / a['predict_docs_per_s']:.1f}x (target 5x), "
              f"peak memory {b['peak_rss_mib'] / a['peak_rss_mib']:.2f}x, F1 {b['f1'] - a['f1']:+.3f}")
    if "mlmap" in results and "mlmap-fp32" in results:
        print(f"bf16 vs fp32 with the same batches: F1 {results['mlmap']['f1'] - results['mlmap-fp32']['f1']:+.3f} "
              f"(limit -0.01), training {results['mlmap']['train_examples_per_s'] / results['mlmap-fp32']['train_examples_per_s']:.2f}x")
    if "mlmap" in results:
        peak = peaks[peak_dtype]
        print(f"matmul peak here: {peaks['float32']:.0f} GFLOP/s fp32" + (f", {peaks['bfloat16']:.0f} GFLOP/s bf16" if "bfloat16" in peaks else "")
              + f"; (b) training reaches {results['mlmap']['train_gflops']:.0f} GFLOP/s = {results['mlmap']['train_gflops'] / peak:.0%} of the {peak_dtype} peak (target 50%)")
    if "mlmap" in results:
        for what, key in (("training (forward + backward)", "train_breakdown"), ("prediction", "predict_breakdown")):
            breakdown = results["mlmap"][key]
            share, matmul, attention = breakdown["share"], breakdown["matmul_gflops"], breakdown["attention_gflops"]
            print(f"(b) {what}, profiled on 6 batches: matmuls {share['matmul']:.0%} of the time at {matmul:.0f} GFLOP/s "
                  f"({matmul / peaks[peak_dtype]:.0%} of peak), fused attention {share['attention']:.0%} at "
                  f"{attention:.0f} GFLOP/s ({attention / peaks[peak_dtype]:.0%}), "
                  f"dropout masks {share['dropout']:.0%}, everything else {share['other']:.0%}")
    if engines:
        print_engines(engines, results.get("naive"), peaks)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "engines": engines, "matmul_peak_gflops": peaks,
                                               "args": vars(args)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
