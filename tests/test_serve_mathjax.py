"""Formulas under `make serve` without internet: the book server serves MathJax from its npm package.

The pages load MathJax from the CDN (Sphinx's default, kept for the published site); `make serve`
rewrites that address in every page it serves to ``/_mathjax/``, the copy in ``.mathjax/`` (``make
mathjax-js``). None of these tests needs a built book: they serve a tiny page with a formula.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sphinx.ext.mathjax import MATHJAX_URL

from conftest import CHROMIUM, ROOT

_spec = importlib.util.spec_from_file_location("serve_book", ROOT / "scripts" / "serve_book.py")
serve_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve_book)

MATHJAX_DIR = ROOT / ".mathjax" / "package"


def _page(mathjax_url: str = MATHJAX_URL) -> str:
    """A page that loads MathJax as Sphinx's mathjax extension writes it, with one inline and one display formula."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script>window.MathJax = {{"options": {{"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}}}</script>
<script defer="defer" src="{mathjax_url}"></script></head>
<body><p>Recall is <span class="math notranslate nohighlight">\\(\\frac{{TP}}{{TP + FN}}\\)</span>.</p>
<div class="math notranslate nohighlight">\\[F_1 = 2\\,\\frac{{P R}}{{P + R}}\\]</div>
<p>Thebe stays where it is: <script src="https://unpkg.com/thebe@0.9.3/lib/index.js"></script></p></body></html>"""


def test_pages_get_the_local_mathjax_and_nothing_else_changes():
    page = _page()
    local = serve_book.local_mathjax(page)
    assert MATHJAX_URL.startswith("https://cdn.jsdelivr.net/npm/mathjax@")
    assert 'src="/_mathjax/es5/tex-mml-chtml.js"' in local and "cdn.jsdelivr.net" not in local
    assert "https://unpkg.com/thebe@0.9.3/lib/index.js" in local
    assert local.replace("/_mathjax/es5/tex-mml-chtml.js", MATHJAX_URL) == page
    # another package on the same CDN is not MathJax
    other = '<script src="https://cdn.jsdelivr.net/npm/mathjax-full@3/es5/x.js"></script>'
    assert serve_book.local_mathjax(other) == other


def test_the_npm_mathjax_is_the_major_version_the_pages_load():
    pinned = re.search(r"^MATHJAX_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "mathjax_path" not in (ROOT / "_config.yml").read_text(), "the pages would load another MathJax"
    loaded = re.search(r"/mathjax@(\d+)", MATHJAX_URL).group(1)
    assert pinned.split(".")[0] == loaded, f"the pages load mathjax@{loaded}, `make mathjax-js` fetches {pinned}"


@pytest.fixture
def book_server(tmp_path):
    """The book server's handler on a free port, serving a folder with the formula page as index.html."""
    (tmp_path / "index.html").write_text(_page(), encoding="utf-8")
    servers = []

    def start(mathjax_dir: Path | None) -> str:
        handler = functools.partial(serve_book.BookHandler, directory=str(tmp_path), server_info={},
                                    thebe_lib=None, mathjax_dir=mathjax_dir)
        httpd = http.server.ThreadingHTTPServer((serve_book.HOST, 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://{serve_book.HOST}:{httpd.server_address[1]}/"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _offline(route, request):
    host = re.match(r"\w+://([^/:]+)", request.url)
    if host and host.group(1) in ("127.0.0.1", "localhost"):
        return route.continue_()
    return route.abort()  # no internet: the CDN is refused at once


def _render(url: str, wait_ms: int) -> dict:
    """Open ``url`` in Chromium with every request off this machine refused; what MathJax made of the page."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            requests: list[str] = []
            missing: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            page.route("**/*", _offline)
            page.goto(url)
            try:
                page.wait_for_selector("mjx-container", timeout=wait_ms)
            except Exception:
                pass  # the caller asserts what rendered
            page.evaluate("document.fonts.ready")  # MathJax's own fonts come from the same package
            return {"formulas": page.locator("mjx-container").count(), "text": page.inner_text("body"),
                    "requests": requests, "missing": missing}
        finally:
            browser.close()


@pytest.mark.browser
def test_served_formulas_render_without_internet(book_server):
    assert CHROMIUM.is_file(), f"Chromium missing ({CHROMIUM}): apt-get install chromium"
    assert (MATHJAX_DIR / "es5" / "tex-mml-chtml.js").is_file(), "MathJax's npm package missing: run `make mathjax-js`"
    result = _render(book_server(MATHJAX_DIR), wait_ms=30_000)
    assert result["formulas"] == 2, result
    assert "\\(" not in result["text"] and "\\frac" not in result["text"], "a formula is shown as raw TeX"
    assert any("/_mathjax/es5/tex-mml-chtml.js" in url for url in result["requests"])
    assert not [url for url in result["requests"] if "jsdelivr" in url]
    assert not result["missing"], f"the server could not answer {result['missing']}"


@pytest.mark.browser
def test_without_the_local_copy_the_same_page_shows_raw_tex_offline(book_server):
    """The control: offline, the CDN's MathJax never arrives, so the test above proves the local copy works."""
    assert CHROMIUM.is_file(), f"Chromium missing ({CHROMIUM}): apt-get install chromium"
    result = _render(book_server(None), wait_ms=3_000)
    assert result["formulas"] == 0 and "\\frac" in result["text"]
