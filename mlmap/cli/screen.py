"""``python -m mlmap screen``: one round of screening your own search (:mod:`mlmap.screening.screen_search`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .commands import COMMANDS
from .options import pretrained_model_option, text_column_options

NAME = "screen"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..screening.screen_settings import DEFAULT_SCREEN_BATCH, DEFAULT_SCREEN_RANKER, SCREEN_RANKERS

    screen = commands.add_parser(
        NAME, help=COMMANDS[NAME].help,
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
    pretrained_model_option(screen)
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
    text_column_options(screen)
    return screen


def run(args: argparse.Namespace) -> int:
    import textwrap
    from pathlib import Path

    from ..io import DocumentsError, check_outputs, output_format, read_documents, same_file, write_documents
    from ..screening.screen_labels import screening_labels
    from ..screening.screen_search import NoRankingError, screen
    from ..screening.screen_settings import ScreenSettings

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


def _screen_description() -> str:
    """What ``screen`` does, wrapped by hand (its epilog needs a formatter that keeps line breaks)."""
    import textwrap

    from ..screening.designs import LOOP_SETTINGS as s

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
