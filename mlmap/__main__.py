"""Command line: ``python -m mlmap fetch-data``, ``cv``, ``simulate``, ``train``, ``predict``, ``screen`` and ``demo-corpus``."""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any



def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _cv(args: argparse.Namespace) -> int:
    from . import cv, cv_results

    targets = list(cv.TARGETS) if args.target == "all" else [args.target]
    summary = cv.run_cv(targets, out=args.out, n_folds=args.folds, seed=args.seed, only_fold=args.fold,
                        models=args.models.split(","), model_name=args.model)
    table = summary.groupby(["target", "model"], sort=False)["f1"].agg(["mean", "std", "count"]).round(3)
    print(table.to_string())
    print(f"results in {args.out}")
    if args.compare_with:
        diff = cv_results.compare_runs(args.compare_with, args.out)
        print(f"\nagainst {args.compare_with}:\n" + (diff.round(4).to_string(index=False) if len(diff) else "nothing in common"))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .screening import simulation_runs as runs

    if args.summary_only:
        df = runs.load_labels()
        df = df if args.half is None else runs.corpus_half(df, args.half, args.seed)
        summary = runs.write_summary(args.out, df, args.seed, reuse=args.reuse_summary)
    else:
        variants = list(runs.DEFAULT_VARIANTS) if args.variant == "all" else [args.variant]
        summary = runs.run_simulations(variants, args.models.split(","), n_seed_sets=args.seed_sets, out=args.out,
                                       seed=args.seed, model_name=args.model, summarise=not args.no_summary,
                                       half=args.half)
        if summary is None:
            print(f"runs in {args.out}; summarise with --summary-only")
            return 0
    table = summary.groupby(["variant", "model"], sort=False)[["wss95", "docs_for_95_recall", "recall_at_stop"]].mean()
    print(table.round(3).to_string())
    print(f"results in {args.out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .cv import SEARCH_SPACES

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
    with _warnings_on_stderr():
        folder = _train_folder(args, space)
    print(f"model saved in {folder}")
    return 0


def _train_folder(args: argparse.Namespace, space: Any) -> Path:
    from . import final_models
    from .data import sha256_of

    if args.target is not None:
        return final_models.train_target(args.target, args.out, args.model, args.seed, space)
    frame, names, note = final_models.training_frame_from_file(args.data, args.label, args.title_column, args.abstract_column)
    print(note, file=sys.stderr)
    return final_models.train_final_model(frame, names, args.out, space, args.model, args.seed,
                                          {"file": str(args.data), "sha256": sha256_of(args.data), "labels": names})


@contextmanager
def _warnings_on_stderr():
    """Warnings as one ``warning: ...`` line each on stderr, after the command's own output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)


def _predict(args: argparse.Namespace) -> int:
    from .corpus import predict_file

    common = dict(threshold=args.threshold, chunk_size=args.chunk_size, batch_size=args.batch_size,
                  title_column=args.title_column, abstract_column=args.abstract_column, engine=args.engine)
    with _warnings_on_stderr():
        if args.ray is None:
            summary = predict_file(args.input, args.model, args.output, **common)
        else:
            from .ray_predict import predict_file_with_ray

            summary = predict_file_with_ray(args.input, args.model, args.output,
                                            address=None if args.ray == "local" else args.ray, workers=args.workers,
                                            **common)
    print(summary)
    return 0


def _screen(args: argparse.Namespace) -> int:
    import textwrap
    from pathlib import Path

    from .documents import DocumentsError, check_outputs, output_format, read_documents, same_file, write_documents
    from .screening.screen_labels import screening_labels
    from .screening.screen_search import NoRankingError, screen
    from .screening.screen_settings import ScreenSettings

    output = Path(args.output)
    output_format(output)  # an unknown extension fails before any training
    ranking_path = Path(args.ranking) if args.ranking else output.with_name(f"{output.stem}-ranking{output.suffix}")
    output_format(ranking_path)
    # -o naming the input once replaced 1,500 documents and their labels by the 100 of the next batch
    if not args.ranking and same_file(ranking_path, args.input):
        raise DocumentsError(f"the whole ranking goes to {ranking_path} by default (NEXT-ranking), which is the input "
                             "file: give --ranking another file name, or -o another NEXT")
    check_outputs(args.input, {"-o": output, "--ranking": ranking_path})
    fine_tuning = {"--learning-rate": args.learning_rate, "--epochs": args.epochs}
    if args.ranker != "fine_tuned" and any(v is not None for v in fine_tuning.values()):
        given = " and ".join(k for k, v in fine_tuning.items() if v is not None)
        raise ValueError(f"{given} set(s) how the fine_tuned ranker trains; the {args.ranker} ranker does not "
                         "fine-tune: add --ranker fine_tuned, or leave them out")
    given = {"learning_rate": args.learning_rate, "epochs": args.epochs, "max_length": args.max_length}
    settings = ScreenSettings(ranker=args.ranker, **{k: v for k, v in given.items() if v is not None},
                              recall_target=args.recall_target, confidence=args.confidence)
    frame = read_documents(args.input)
    _, _, labels_from = screening_labels(frame, args.label, args.order)  # said before a round that takes minutes
    print(f"labels: {labels_from}", file=sys.stderr, flush=True)
    print(textwrap.fill(f"ranker: {settings.describe()}", 78, subsequent_indent="  "), file=sys.stderr, flush=True)
    try:
        result = screen(frame, label=args.label, order=args.order, settings=settings, model_name=args.model,
                        title_column=args.title_column, abstract_column=args.abstract_column, cache_dir=args.cache_dir)
    except NoRankingError as no_ranking:
        # the verdict needs no model: print it whenever the labels allow, then why there is no ranking
        print(no_ranking.verdict)
        if no_ranking.nothing_left:
            print("Nothing is left to rank, so no file is written.")
            return 0
        print(f"error: {no_ranking}; no ranking is made and no file is written", file=sys.stderr)
        return 1
    write_documents(result.next_batch(args.batch), output)
    write_documents(result.ranking, ranking_path)
    print(result.verdict)
    batch = min(args.batch, len(result.ranking))
    print(f"{'If you screen on, read' if result.verdict.may_stop else 'Read'} these {batch} next: {output}")
    print(f"The whole ranking: {ranking_path}")
    print(f"The round took {result.seconds:.0f} s{' (from the cache)' if result.cached else ''}.")
    return 0


def _demo_corpus(args: argparse.Namespace) -> int:
    from .evidence_map import build_demo_corpus

    predictions = build_demo_corpus(args.out, args.cv_dir, args.models_dir, args.model, args.seed)
    print(f"{len(predictions)} documents, {int(predictions['pred_INCLUDE'].sum())} predicted relevant; results in {args.out}")
    return 0


def _screen_description() -> str:
    """What ``screen`` does, wrapped by hand (its epilog needs a formatter that keeps line breaks)."""
    import textwrap

    from .screening.designs import LOOP_SETTINGS as s

    paragraphs = [
        "Ranks the documents not screened yet from the labels of those screened so far (label 1 or 0; blank: "
        "not screened), writes the next batch to read and the whole ranking, and prints the verdict of the "
        "stopping rule (Callaghan & Mueller-Hansen 2020): its first line says whether you may stop.",
        "The default ranker, minilm_tfidf_svm, saved more work than ASReview's default in the book's simulations: TF-IDF and the "
        "pretrained model's embeddings (each text embedded once, then cached), and a linear SVM (hinge loss) fitted on every "
        "screened document, balanced as ASReview balances it. A round takes seconds once the embeddings are "
        "cached; the first round on a new search embeds it (about a minute per 1,000 documents on 2 cores). "
        "tfidf_svm leaves out the embeddings. fine_tuned fine-tunes the pretrained model every round on a "
        f"class-balanced sample (every relevant one, up to {s.max_relevant}, and at most "
        f"{s.irrelevant_per_relevant:g} irrelevant ones per relevant one, {s.max_train} in all): minutes a round, "
        "and it saved less work in the simulations. Rankings are cached: the same labels again answer at once.",
        "The verdict needs no model. When every document is screened, it is printed and the command ends "
        "(exit 0) without writing a file. When the labels hold too few of one class to learn from, it is printed "
        "and the command fails (exit 1). NEXT and the ranking may not be FILE: the command refuses to overwrite "
        "its input.",
    ]
    return "\n\n".join(textwrap.fill(p, 78) for p in paragraphs)


def _screen_epilog() -> str:
    """How labels are found, and the column names RIS tags are read under (rispy's, as the code reads them)."""
    import textwrap

    from rispy import TAG_KEY_MAPPING

    tags = ", ".join(f"{tag}={name}" for tag, name in sorted(TAG_KEY_MAPPING.items()))
    paragraphs = [
        "Labels: without --label, the column 'label' is read if there is one, else ASReview LAB's exports as they "
        "are: the column 'asreview_label' of its CSV export ('included' before version 2; 1 relevant, 0 irrelevant, "
        "-1 or blank not seen), or the N1 notes of its RIS export (ASReview_relevant, ASReview_irrelevant, "
        "ASReview_not_seen). Which labels were read is said on stderr. The screened documents are taken in file order, unless --order names a column that numbers them.",
        "RIS tags are read as columns under rispy's names: a label in C1 is --label custom1, and LB is the "
        "column label, read without --label. The names: " + tags
        + ". Other tags (U1...) are kept, as JSON, in the column unknown_tag.",
    ]
    return "\n\n".join(textwrap.fill(p, 78) for p in paragraphs)


def _pretrained_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="pretrained model to fine-tune (default: $MLMAP_MODEL, else the bundled all-MiniLM-L6-v2)")


def _text_column_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title-column", help="the title column (default: found by name: title, TI, display_name...)")
    parser.add_argument("--abstract-column", help="the abstract column (default: found by name: abstract, AB...)")


#: Each command and its one-line help: ``--help`` lists them without building (or importing) any command.
COMMANDS = {
    "fetch-data": "fetch and verify data/labels.feather",
    "cv": "nested cross-validation of the fine-tuned model and two baselines (resumable)",
    "simulate": "simulate prioritised screening with a model in the loop (resumable)",
    "train": "train a final model on all labelled documents and save it as a model folder",
    "predict": "predict a corpus file with saved models (chunked, resumable)",
    "screen": "rank what is not screened yet, and the stopping rule's verdict on what is",
    "demo-corpus": "the map chapter's predictions of the labelled documents (results/map)",
}


def _add_fetch_data(commands: Any) -> None:
    fetch = commands.add_parser("fetch-data", help=COMMANDS["fetch-data"])
    fetch.add_argument("--source", help="path or URL (default: $MLMAP_DATA_SOURCE, else the upstream file)")
    fetch.add_argument("--dest", help="where to put it (default: $MLMAP_DATA_PATH, else data/labels.feather)")


def _add_cv(commands: Any) -> None:
    from .paths import RESULTS_DIR
    from .recipe import SEED

    cv = commands.add_parser(
        "cv", help=COMMANDS["cv"],
        description="Outer stratified folds for honest scores; learning rate, epochs and thresholds chosen inside "
                    "each outer training set. Finished units are saved as they come: rerun the same command to resume.")
    cv.add_argument("--target", default="all", choices=["include", "instruments", "sectors", "all"])
    cv.add_argument("--folds", type=int, default=3, help="outer folds (default 3)")
    cv.add_argument("--seed", type=int, default=SEED, help=f"seed of the folds and of training (default {SEED})")
    cv.add_argument("--fold", type=int, help="run only this outer fold (to check a rerun against committed results)")
    cv.add_argument("--models", default="minilm,tfidf,minilm_frozen", help="comma-separated subset of minilm,tfidf,minilm_frozen")
    _pretrained_model_option(cv)
    cv.add_argument("--out", default=str(RESULTS_DIR / "cv"), help="results folder (default results/cv)")
    cv.add_argument("--compare-with", metavar="DIR",
                    help="afterwards, compare the probabilities and F1 of every fold in both folders (e.g. results/cv)")


def _add_simulate(commands: Any) -> None:
    from .paths import RESULTS_DIR
    from .recipe import SEED

    simulate = commands.add_parser(
        "simulate", help=COMMANDS["simulate"],
        description="From a small seed set, a model trained on the labels revealed so far ranks the rest; the next "
                    "batch is revealed and the model retrained, until every relevant document is found. Each run is "
                    "saved after every round: rerun the same command to resume.")
    simulate.add_argument("--variant", default="all", choices=["full", "low_prevalence", "low2", "all"],
                          help="all: full and low_prevalence; low2 (2%% relevant) only by name")
    simulate.add_argument("--models", default="minilm,tfidf", help="comma-separated subset of minilm,tfidf and the fixed-feature rankers "
                          "(mlmap.screening.loop.RANKER_MODELS)")
    simulate.add_argument("--seed-sets", type=int, default=None,
                          help="seed sets per variant and model (default: 5, and 10 for low2)")
    simulate.add_argument("--seed", type=int, default=SEED, help=f"seed of the subset, seed sets and training (default {SEED})")
    _pretrained_model_option(simulate)
    simulate.add_argument("--out", default=str(RESULTS_DIR / "screening"), help="results folder (default results/screening)")
    simulate.add_argument("--summary-only", action="store_true",
                          help="only recompute summary.csv from the saved runs (e.g. after scripts/asreview/simulate.py)")
    simulate.add_argument("--reuse-summary", action="store_true",
                          help="with --summary-only: keep the rows of runs whose files are unchanged since summary.csv")
    simulate.add_argument("--half", choices=["a", "b"], default=None,
                          help="only one stratified half of the labelled documents: a, where a design is tuned "
                               "(scripts/screening/explore_ranker.py --half a), or b, where it is reported")
    simulate.add_argument("--no-summary", action="store_true",
                          help="run and record, but leave summary.csv to a later --summary-only")


def _add_train(commands: Any) -> None:
    from .recipe import CV_MAX_LENGTH, RECIPE, SEED

    train = commands.add_parser(
        "train", help=COMMANDS["train"],
        description="Settings and thresholds are chosen as the cross-validation chooses them, on a stratified quarter "
                    "of the labelled documents held out; the chosen model itself is saved (no refit), with its label "
                    "names, thresholds fitted on its own predictions of that quarter, and how it was trained. Train on the book's data (--target) or on your "
                    "own labelled file (--data, --label).")
    train.add_argument("--target", choices=["include", "instruments", "sectors"], help="one of the book's targets")
    train.add_argument("--data", metavar="FILE", help="your own labelled documents: CSV, Parquet, Feather, RIS or OpenAlex JSON Lines")
    train.add_argument("--label", metavar="COLUMN", action="append",
                       help="a 0/1 label column of --data (blank: not labelled yet); repeat it for a multilabel model")
    train.add_argument("--out", required=True, metavar="DIR", help="the model folder to write")
    _pretrained_model_option(train)
    train.add_argument("--learning-rate", type=float, action="append", help="learning rate(s) to choose from (default: the cross-validation's)")
    train.add_argument("--epochs", type=int, help="most epochs; the model after each is a candidate (default: enough "
                       f"for {RECIPE.min_steps} optimizer steps, at least {RECIPE.min_epochs})")
    train.add_argument("--max-length", type=int, help=f"tokens per document (default {CV_MAX_LENGTH}, as in the cross-validation)")
    train.add_argument("--seed", type=int, default=SEED, help=f"seed of the held-out split and training (default {SEED})")
    _text_column_options(train)


def _add_predict(commands: Any) -> None:
    from .openvino_engine import ENGINES

    predict = commands.add_parser(
        "predict", help=COMMANDS["predict"],
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
    _text_column_options(predict)


def _add_screen(commands: Any) -> None:
    from .screening.screen_settings import DEFAULT_SCREEN_BATCH, DEFAULT_SCREEN_RANKER, SCREEN_RANKERS

    screen = commands.add_parser(
        "screen", help=COMMANDS["screen"],
        description=_screen_description(), epilog=_screen_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    screen.add_argument("input", metavar="FILE", help="your search results: CSV, Parquet, Feather, RIS or OpenAlex JSON Lines")
    screen.add_argument("-o", "--output", required=True, metavar="NEXT", help="the next batch to read: CSV, RIS or Parquet")
    screen.add_argument("--batch", type=int, default=DEFAULT_SCREEN_BATCH,
                        help=f"documents in the next batch (default {DEFAULT_SCREEN_BATCH}: with the default ranker, "
                             "as good as retraining after each document in the simulations)")
    screen.add_argument("--label", metavar="COLUMN",
                        help="the column of 0/1 labels, blank where not screened (default: label, else ASReview LAB's "
                             "labels: see below)")
    screen.add_argument("--order", metavar="COLUMN",
                        help="the column numbering the screened documents in the order they were screened (default: file order)")
    screen.add_argument("--ranking", metavar="FILE", help="where the whole ranking goes (default: NEXT-ranking with NEXT's extension)")
    _pretrained_model_option(screen)
    screen.add_argument("--ranker", choices=list(SCREEN_RANKERS), default=DEFAULT_SCREEN_RANKER,
                        help=f"how the documents are ranked (default {DEFAULT_SCREEN_RANKER}: see above)")
    screen.add_argument("--learning-rate", type=float,
                        help="fine_tuned only: default 1e-4, as in the simulations (mlmap.LOOP_SETTINGS)")
    screen.add_argument("--epochs", type=int, help="fine_tuned only: default 2 (more when there are few screened documents)")
    screen.add_argument("--max-length", type=int, help="tokens per document the model reads (default 256)")
    screen.add_argument("--cache-dir", metavar="DIR",
                        help="where embeddings and rankings are cached (default .cache/screen in the project)")
    screen.add_argument("--recall-target", type=float, default=0.95, help="the stopping rule's recall target (default 0.95)")
    screen.add_argument("--confidence", type=float, default=0.95, help="the stopping rule's confidence (default 0.95)")
    _text_column_options(screen)


def _add_demo_corpus(commands: Any) -> None:
    from .paths import RESULTS_DIR
    from .recipe import SEED

    demo = commands.add_parser(
        "demo-corpus", help=COMMANDS["demo-corpus"],
        description="P(relevant) from the cross-validation's out-of-fold probabilities, codes out-of-fold for coded "
                    "documents and from final code models (trained on all coded documents) for the rest. Writes ids, "
                    "probabilities and decisions, never texts.")
    demo.add_argument("--out", default=str(RESULTS_DIR / "map"), help="results folder (default results/map)")
    demo.add_argument("--cv-dir", default=str(RESULTS_DIR / "cv"), help="the cross-validation results (default results/cv)")
    demo.add_argument("--models-dir", default=".cache/final-models", help="where the final code models are kept or trained")
    _pretrained_model_option(demo)
    demo.add_argument("--seed", type=int, default=SEED, help=f"seed of the final models' selection and training (default {SEED})")


#: The function that adds each command's parser with its options (the only one built for a run).
_BUILDERS = {"fetch-data": _add_fetch_data, "cv": _add_cv, "simulate": _add_simulate, "train": _add_train,
             "predict": _add_predict, "screen": _add_screen, "demo-corpus": _add_demo_corpus}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: every command listed, and only ``command``'s options built (none when None).

    A command's options import the constants their defaults come from; building only the one that
    runs keeps ``mlmap --help`` and every other command free of the rest.
    """
    parser = argparse.ArgumentParser(prog="mlmap", description="Helpers of the mlmap book.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, add in _BUILDERS.items():
        if name == command:
            add(commands)
        else:
            commands.add_parser(name, help=COMMANDS[name])
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in _BUILDERS else None)
    args = parser.parse_args(argv)
    # `kill` (and a shell closing) stops a long run as Ctrl-C does: finished work kept, the part recorded
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        if args.command == "cv":
            return _cv(args)
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "train":
            return _train(args)
        if args.command == "predict":
            return _predict(args)
        if args.command == "screen":
            return _screen(args)
        if args.command == "demo-corpus":
            return _demo_corpus(args)
        from .data import fetch_data

        path = fetch_data(args.source, args.dest)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to continue", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, RuntimeError) as exc:  # DataError is a RuntimeError
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"verified {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
