"""``python -m mlmap predict``: a corpus file predicted with saved models (:mod:`mlmap.corpus`)."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import COMMANDS
from .options import text_column_options, warnings_on_stderr

NAME = "predict"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..engines import ENGINES

    predict = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
        description="Adds, per label of each model, p_<label> (the probability) and pred_<label> (0/1 at the model's "
                    "threshold) to every document of INPUT and writes OUTPUT; every field of the input is kept. "
                    "Interrupted, the same command continues from the last finished chunk.")
    predict.add_argument("input", metavar="INPUT", help="CSV, Parquet, Feather, RIS (.ris) or OpenAlex works (.jsonl)")
    predict.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="CSV, Parquet or RIS, by extension")
    predict.add_argument("--model", required=True, action="append", metavar="DIR",
                         help="a model folder from `python -m mlmap train` (repeat for several)")
    predict.add_argument("--threshold", default="f1",
                         help="the models' saved threshold to decide at: f1 (default) or recall95 (screening models), or a number")
    predict.add_argument("--chunk-size", type=int, default=2000, help="documents per saved chunk (default 2000)")
    predict.add_argument("--batch-size", type=int, default=16, help="documents per forward pass (default 16)")
    predict.add_argument("--engine", choices=ENGINES, default="auto",
                         help="inference engine: auto (default: OpenVINO on a CPU where it is installed, else PyTorch), "
                              "openvino or pytorch")
    predict.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                         help="predict with Ray Data (pip install -e .[scale]; Parquet input): on a local Ray cluster, "
                              "or on the running cluster at ADDRESS (host:6379, ray://host:10001 or auto)")
    predict.add_argument("--workers", type=int, help="with --ray: models predicting at once (default: one per CPU)")
    text_column_options(predict)
    return predict


def run(args: argparse.Namespace) -> int:
    from ..corpus import predict_file

    common = dict(threshold=args.threshold, chunk_size=args.chunk_size, batch_size=args.batch_size,
                  title_column=args.title_column, abstract_column=args.abstract_column, engine=args.engine)
    with warnings_on_stderr():
        if args.ray is None:
            summary = predict_file(args.input, args.model, args.output, **common)
        else:
            from ..ray_predict import predict_file_with_ray

            summary = predict_file_with_ray(args.input, args.model, args.output,
                                            address=None if args.ray == "local" else args.ray, workers=args.workers,
                                            **common)
    print(summary)
    return 0
