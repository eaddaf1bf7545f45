"""Provenance shared by every run (cv, simulate, train, the map): its files, its command, commit and machine.

A run writes each finished unit as JSON (:class:`Store`), and its record starts with
:func:`invocation`; :func:`recorded_if_interrupted` records a part that Ctrl-C (or ``kill``) ended.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .caching import atomic_write_text
from .paths import PROJECT_ROOT


class Store:
    """JSON files of finished units under one folder, written atomically."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def get(self, *parts: str) -> Any | None:
        path = self.path(*parts)
        return json.loads(path.read_text()) if path.is_file() else None

    def put(self, value: Any, *parts: str) -> Any:
        atomic_write_text(self.path(*parts), json.dumps(value, indent=1))
        return value



def machine_description() -> dict[str, Any]:
    """CPU, cores, whether the run trains in bf16 (and whether the machine could), and library versions, for the record of a run."""
    import sklearn
    import torch
    import transformers

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    from .hardware import bf16_supported, use_bf16

    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "bf16": use_bf16(),
            "bf16_units": bf16_supported(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "scikit-learn": sklearn.__version__}


def current_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "mlmap"], capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.strip()
        return head + ("+uncommitted changes in mlmap/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def invocation(command: str, function: str, started: datetime, commit: str, interrupted: bool = False) -> dict[str, Any]:
    """What every run record starts with: the command (``python -m mlmap COMMAND ...`` or the Python
    call), the commit, start and finish times, wall seconds, the machine, and whether it was interrupted."""
    finished = datetime.now(timezone.utc)
    return {
        "command": f"python -m mlmap {command} " + " ".join(sys.argv[2:]) if sys.argv[1:2] == [command] else f"mlmap.{function}(...)",
        "commit": commit, "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"), "wall_seconds": round((finished - started).total_seconds()),
        "machine": machine_description(),
        **({"interrupted": True} if interrupted else {}),
    }


@contextmanager
def recorded_if_interrupted(record: Callable[..., None]) -> Iterator[None]:
    """Call ``record(interrupted=True)`` when the block is interrupted (Ctrl-C, or ``kill`` under the CLI),
    so that a run continued later lists every part of it: when, where and with which commit."""
    try:
        yield
    except KeyboardInterrupt:
        record(interrupted=True)
        raise

