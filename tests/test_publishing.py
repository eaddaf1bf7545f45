"""Publishing: a valid GitHub Pages workflow that builds with CPU PyTorch, and one place for the repository URL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_workflow_is_valid_against_the_github_workflow_schema():
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_builds_on_main_keeps_the_execution_cache_and_deploys_to_pages():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    build = workflow["jobs"]["build"]["steps"]
    cached = [s for s in build if s.get("uses", "").startswith("actions/cache@")]
    # the folder Jupyter Book 1 executes into (the Makefile's JUPYTER_CACHE), not a look-alike
    jupyter_cache = re.search(r"^JUPYTER_CACHE := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert jupyter_cache == "_build/.jupyter_cache"
    assert cached and jupyter_cache in cached[0]["with"]["path"].split()
    runs = " ".join(s.get("run", "") for s in build)
    assert "make book REQUIREMENTS=binder/requirements.txt" in runs, "build as Binder does, with CPU PyTorch"
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") and s["with"]["path"] == "_build/html" for s in build)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_repository_url_is_set_in_one_place():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert url.startswith("https://github.com/")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    elsewhere = [f for f in tracked if f != "_config.yml" and (ROOT / f).is_file()
                 and not f.endswith((".png", ".feather")) and url in (ROOT / f).read_text(errors="ignore")]
    assert not elsewhere, f"{url} is written in {elsewhere} too; the buttons and docs should take it from _config.yml"
    assert "repository.url" in (ROOT / "README.md").read_text(), "the README should say where to change it"


def test_a_changed_package_makes_every_chapter_execute_again(tmp_path):
    """`make stale-chapters` after mlmap/ changed: the execution cache and Sphinx's doctrees both go, so that
    Sphinx reads (and myst-nb executes) every chapter, not only the ones whose text changed."""
    import shutil
    import subprocess

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for folder in ("results", "mlmap", "_build/.jupyter_cache", "_build/.doctrees", "_build/html"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "requirements.txt").write_text("x==1\n")
    (tmp_path / "mlmap" / "a.py").write_text("A = 1\n")

    def stale() -> None:
        subprocess.run(["make", "-s", "stale-chapters"], cwd=tmp_path, check=True, capture_output=True)

    stale()  # records the stamp; a first build has nothing to compare with
    (tmp_path / "_build/.jupyter_cache").mkdir(exist_ok=True)
    (tmp_path / "_build/.doctrees").mkdir(exist_ok=True)
    stale()  # nothing changed: both kept
    assert (tmp_path / "_build/.jupyter_cache").is_dir() and (tmp_path / "_build/.doctrees").is_dir()
    (tmp_path / "mlmap" / "a.py").write_text("A = 2\n")
    stale()
    assert not (tmp_path / "_build/.jupyter_cache").exists() and not (tmp_path / "_build/.doctrees").exists()
    assert (tmp_path / "_build/html").is_dir()
