"""Whether to show a progress bar: the one rule every long-running helper follows."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def show_progress(progress: bool | None = None) -> bool:
    """``progress`` if given; else a bar on a terminal, unless ``TQDM_DISABLE`` is set (as tqdm's own bars honour it)."""
    if progress is not None:
        return progress
    return sys.stderr.isatty() and os.environ.get("TQDM_DISABLE", "").lower() not in ("1", "true", "yes")


@contextmanager
def ticking(description: str, show: bool, every: float = 1.0) -> Iterator[None]:
    """While the block runs, ``description`` and the time it has taken so far, on stderr, redrawn each ``every``
    seconds: progress for work that reports no steps of its own (a ranker is a black box)."""
    if not show:
        yield
        return
    from tqdm import tqdm

    bar = tqdm(desc=description, bar_format="{desc}: {elapsed}", file=sys.stderr)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()
