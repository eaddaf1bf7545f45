"""The book: paired notebooks in sync, and a warning-free build whose pages show real outputs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from conftest import JB, ROOT

import jupytext
import nbformat
import pytest
import yaml

BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"], *(entry["file"] for entry in toc["chapters"])]


def chapters() -> list[Path]:
    """Pages with code cells: the MyST notebooks that jupytext pairs with an .ipynb."""
    return [p for p in sorted(BOOK.glob("*.md")) if "```{code-cell}" in p.read_text()]


def _cells(notebook) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in notebook.cells]


def test_every_toc_page_exists():
    for name in toc_files():
        assert (ROOT / f"{name}.md").is_file(), f"{name} is in _toc.yml but has no .md file"
    listed = {f"book/{p.stem}" for p in BOOK.glob("*.md")}
    assert listed == set(toc_files()), "every page in book/ should be listed in _toc.yml"


@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_chapter_is_paired_and_in_sync(md: Path):
    text_nb = jupytext.read(md)
    assert text_nb.metadata["jupytext"]["formats"] == "ipynb,md:myst"
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run `jupytext --sync {md}`"
    paired = jupytext.read(ipynb)
    assert _cells(paired) == _cells(text_nb), f"{ipynb.name} is out of sync: run `jupytext --sync {md}`"
    raw = json.loads(ipynb.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{ipynb.name} has outputs committed"


# The page's code box shows 77 characters (the page check measured a 78-character line 6 px too
# wide); longer lines are cut off and need scrolling.
CODE_BOX_CHARS = 77


@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_visible_code_fits_the_code_box(md: Path):
    too_long = []
    for cell in jupytext.read(md).cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "remove-input" in tags or "remove-cell" in tags:
            continue
        too_long += [line for line in cell.source.splitlines() if len(line) > CODE_BOX_CHARS]
    assert not too_long, f"{len(too_long)} code line(s) over {CODE_BOX_CHARS} characters: {too_long}"


@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_chapter_loads_data_in_a_thebe_init_cell(md: Path):
    code = [c for c in jupytext.read(md).cells if c.cell_type == "code"]
    assert "thebe-init" in code[0].metadata.get("tags", []), "the first code cell (imports, data) needs the thebe-init tag"
    source = md.read_text()
    assert "os.chdir" not in source and "sys.path" not in source, "chapters must not rely on path hacks"


@pytest.mark.integration
def test_book_builds_without_warnings(built_book):
    for name in toc_files():
        assert (HTML / f"{name}.html").is_file(), f"{name}.html was not built"


def executed_notebook(md: Path) -> dict:
    """The chapter as the page shows it: the execution cache's record of its current code.

    Not ``_build/jupyter_execute``: myst-nb writes that copy without outputs when a chapter whose
    prose changed is served from the cache, though its page has them.
    """
    from jupyter_cache import get_cache

    cache = get_cache(ROOT / "_build" / ".jupyter_cache")
    record = cache.match_cache_notebook(jupytext.read(md))  # raises KeyError if the code has no record
    return json.loads(nbformat.writes(cache.get_cache_bundle(record.pk).nb))


@pytest.mark.integration
@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_executed_cells_have_outputs_and_no_errors(built_book, md: Path):
    notebook = executed_notebook(md)
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code), f"{md.name}: not every code cell ran"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"], f"{md.name} has an error output"
    # a cell whose last line is an expression or a print must show something
    silent = [c["source"] for c in code if not c["outputs"] and re.search(r"(^|\n)(print\(|[a-z_]+(\[.*\])?\s*$)", "".join(c["source"]).strip().split("\n")[-1])]
    assert not silent, f"{md.name}: cells ran without output: {silent[:2]}"
    page = (HTML / "book" / f"{md.stem}.html").read_text()
    assert "Traceback" not in page
    assert "TqdmWarning" not in page, "import noise in the page (the first cell is tagged remove-stderr)"


@pytest.mark.integration
@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_chapter_pages_have_launch_buttons(built_book, md: Path):
    page = (HTML / "book" / f"{md.stem}.html").read_text()
    assert re.search(r"mybinder\.org/v2/gh/[^\"']+urlpath=lab/tree/book/" + md.stem + r"\.ipynb", page), "no Binder button opening the .ipynb"
    assert "initThebeSBT()" in page and "Live Code" in page, "no Live Code button"


@pytest.mark.integration
def test_execution_status_page_lists_every_chapter(built_book):
    page = (HTML / "book" / "status.html").read_text()
    for md in chapters():
        assert f"book/{md.stem}" in page, f"{md.stem} missing from the execution table"


@pytest.mark.integration
def test_rebuild_with_nothing_changed_executes_nothing(built_book):
    result = subprocess.run([str(JB), "build", str(ROOT), "-W"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Executing" not in result.stdout, "an unchanged chapter was executed again"


RAW_LOG = re.compile(r"\{(&#39;|'|&quot;|\")(loss|eval_loss|train_runtime)(&#39;|'|&quot;|\")\s*:")


@pytest.mark.integration
@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_pages_show_no_raw_training_logs(built_book, md: Path):
    page = (HTML / "book" / f"{md.stem}.html").read_text()
    assert not RAW_LOG.search(page), "a Trainer log dict is printed in the page"
    assert "Writing model shards" not in page


@pytest.mark.integration
def test_training_cells_show_one_epoch_table(built_book):
    executed = executed_notebook(ROOT / "book" / "binary.md")
    training = [c for c in executed["cells"] if c["cell_type"] == "code" and "trainer.train()" in "".join(c["source"])]
    assert training
    for cell in training:
        tables = [o for o in cell["outputs"] if "Training Loss" in "".join(o.get("data", {}).get("text/html", ""))]
        assert len(tables) == 1, "one progress table per training cell"
        assert "Validation Loss" in "".join(tables[0]["data"]["text/html"])
        assert not [o for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stderr"]


@pytest.mark.integration
@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.name)
def test_figures_have_alt_text(built_book, md: Path):
    page = (HTML / "book" / f"{md.stem}.html").read_text()
    figures = [tag for tag in re.findall(r"<img [^>]*>", page) if "_images/" in tag]  # cell outputs, not the theme's icons
    for tag in figures:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 20 and not alt.group(1).endswith((".png", ".svg")), f"{md.name}: {tag[:120]}"
