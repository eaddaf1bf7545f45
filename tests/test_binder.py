"""The Binder environment: a fresh virtualenv from exactly the files repo2docker reads, running a chapter.

With a `binder/` folder, repo2docker reads only it: it installs `binder/requirements.txt` (the root's
pins, which install this repository with `-e .`, plus PyTorch's CPU wheel index) from the repository
root on the Python of `binder/runtime.txt`, runs `binder/postBuild`, and opens the paired `.ipynb`.
This test does the same in a new virtualenv and executes one chapter notebook with nbclient, as the
Binder kernel would. PyTorch's index cannot be reached from here, so torch resolves from the local
wheel cache, which holds the same CPU build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.binder]


def test_runtime_matches_this_python():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_binder_files_live_in_one_place_and_name_a_cpu_torch():
    # repo2docker ignores the root's files once binder/ exists: copies there would only mislead
    assert not (ROOT / "runtime.txt").exists() and not (ROOT / "postBuild").exists()
    lines = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert "-r ../requirements.txt" in lines, "Binder must take the root's pins, not a second copy"
    assert not [line for line in lines if line.startswith("torch")], "torch is pinned once, in requirements.txt"


def test_binder_environment_runs_a_chapter(tmp_path):
    env_dir = tmp_path / "binder-env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(env_dir)}
    env.pop("PYTHONPATH", None)
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--retries", "1", "-r", "binder/requirements.txt"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-4000:]
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], env=env, capture_output=True,
                               text=True, check=True).stdout.lower().splitlines()
    assert not [p for p in installed if p.startswith("nvidia-")], "a CUDA torch pulled in NVIDIA packages"
    assert "torch==2.13.0+cpu" in installed

    # postBuild fetches the data; here from the local copy that `make data` verified
    data = tmp_path / "labels.feather"
    env_post = {**env, "MLMAP_DATA_SOURCE": str(ROOT / "data" / "labels.feather"), "MLMAP_DATA_PATH": str(data)}
    post = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT, env=env_post, capture_output=True, text=True)
    assert post.returncode == 0, post.stderr[-4000:]
    assert data.is_file()

    executed = tmp_path / "data.ipynb"
    script = (
        "import nbformat, nbclient, sys\n"
        "nb = nbformat.read('book/data.ipynb', as_version=4)\n"
        "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': 'book'}}).execute()\n"
        f"nbformat.write(nb, {str(executed)!r})\n"
    )
    run = subprocess.run([str(python), "-c", script], cwd=ROOT, env={**env, "MLMAP_DATA_PATH": str(data)},
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert "(1500, 16)" in str(nb.cells[[c.cell_type for c in nb.cells].index("code")].outputs)
