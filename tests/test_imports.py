"""``import mlmap`` is light, every public name still resolves, and the mean-pooled head's registration contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mlmap


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_mlmap_and_the_cli_help_load_no_heavy_library():
    heavy = ("torch", "transformers", "datasets", "sklearn", "scipy", "pandas")
    loaded = json.loads(_run(
        "import sys, json, runpy, contextlib, io\n"
        "import mlmap\n"
        f"after_import = [m for m in {heavy!r} if m in sys.modules]\n"
        "sys.argv = ['mlmap', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        runpy.run_module('mlmap', run_name='__main__')\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(json.dumps([after_import, [m for m in {heavy!r} if m in sys.modules]]))"))
    assert loaded == [[], []], f"loaded by import mlmap, then by --help: {loaded}"


def test_every_public_name_resolves_and_unknown_names_are_attribute_errors():
    for name in mlmap.__all__:
        assert getattr(mlmap, name) is not None, name
    assert mlmap.simulation.__name__ == "mlmap.screening.simulation"
    assert mlmap.cv.__name__ == "mlmap.cv"  # a module of the package, imported on first use
    with pytest.raises(AttributeError, match="has no attribute 'fine_tuned'"):
        mlmap.fine_tuned  # noqa: B018


def test_a_saved_mean_pooled_folder_loads_by_mlmaps_loader_or_after_import_mlmap_heads(tmp_path, make_tiny_model,
                                                                                        tokenizer):
    folder = tmp_path / "mean"
    make_tiny_model(2, False, pooling="mean").save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    plain = ("from transformers import AutoModelForSequenceClassification as A\n"
             f"A.from_pretrained({str(folder)!r})\n")
    # plain transformers, with mlmap imported but none of its loaders used: the type is unknown, and refused
    refused = subprocess.run([sys.executable, "-c", "import mlmap\n" + plain], capture_output=True, text=True)
    assert refused.returncode != 0 and "mlmap-mean-bert" in refused.stderr
    assert "Mean" in _run("import mlmap.heads\n" + plain.replace("A.from_pretrained", "print(type(A.from_pretrained") + "))")
    assert "Mean" in _run(f"import mlmap\nprint(type(mlmap.models.load_fine_tuned({str(folder)!r})))")


def test_the_mlmap_command_lists_every_command_and_builds_the_one_asked_for():
    from pathlib import Path

    from mlmap.__main__ import COMMANDS, build_parser

    command = Path(sys.executable).with_name("mlmap")  # [project.scripts], installed by `make setup`
    listing = subprocess.run([str(command), "--help"], capture_output=True, text=True, check=True).stdout
    assert all(name in listing for name in COMMANDS)
    train = build_parser("train")._subparsers._group_actions[0].choices["train"]
    assert any("--learning-rate" in action.option_strings for action in train._actions)
    listed_only = build_parser(None)._subparsers._group_actions[0].choices["train"]
    assert not any("--learning-rate" in action.option_strings for action in listed_only._actions)
