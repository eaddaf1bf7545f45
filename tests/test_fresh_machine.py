"""The README's two commands on a fresh machine: every prerequisite named, and `make test` stops at once without Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

README = ROOT / "README.md"


def _two_commands() -> str:
    text = README.read_text()
    return re.search(r"^## Two commands\n(.*?)^## ", text, re.M | re.S).group(1)


def test_the_two_commands_section_names_every_prerequisite():
    section = _two_commands()
    for needed in ("Python 3.11", "venv", "`make`", "npm", "chromium", "MLMAP_DATA_SOURCE", "make test-unit", "GB"):
        assert needed in section, f"the README's 'Two commands' does not name {needed!r}"


def _check_tools(env: dict) -> subprocess.CompletedProcess:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run([make, "-s", "check-test-tools"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_make_test_stops_before_setup_when_chromium_is_missing():
    result = _check_tools({"MLMAP_CHROMIUM": "/nonexistent/chromium"})
    assert result.returncode != 0
    assert "apt-get install chromium" in result.stderr and "make test-unit" in result.stderr
    # the check runs before anything long: it is the first prerequisite of `make test`
    test_rule = re.search(r"^test: (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    assert test_rule[0] == "check-test-tools", test_rule


def test_make_test_goes_on_when_chromium_is_there(tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    result = _check_tools({"MLMAP_CHROMIUM": str(browser)})
    assert "Chromium is missing" not in result.stderr
