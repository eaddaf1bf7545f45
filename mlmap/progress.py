"""Whether to show a progress bar: the one rule every long-running helper follows."""

from __future__ import annotations

import os
import sys


def show_progress(progress: bool | None = None) -> bool:
    """``progress`` if given; else a bar on a terminal, unless ``TQDM_DISABLE`` is set (as tqdm's own bars honour it)."""
    if progress is not None:
        return progress
    return sys.stderr.isatty() and os.environ.get("TQDM_DISABLE", "").lower() not in ("1", "true", "yes")
