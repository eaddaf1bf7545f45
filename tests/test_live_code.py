"""Live Code in a real browser: `make serve`'s servers, headless Chromium, no internet.

`make serve` serves thebe itself from the npm package in `.thebe/` (`make thebe-js`); the browser
refuses every request that leaves this machine, so the test also proves Live Code works offline.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest
from playwright.sync_api import sync_playwright

from conftest import CHROMIUM, ROOT

# the version the pages are built to load, from the Sphinx extension that pins it
_pin = importlib.util.spec_from_file_location("thebe_pin", ROOT / "_ext" / "thebe_pin.py")
_pin_module = importlib.util.module_from_spec(_pin)
_pin.loader.exec_module(_pin_module)
THEBE_VERSION = _pin_module.THEBE_VERSION
THEBE_LIB = ROOT / ".thebe" / "package" / "lib"
CHAPTER = "book/data.html"

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def servers(built_book):
    """Start `scripts/serve_book.py` (what `make serve` runs) on free ports; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve_book.py"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )
    lines = []
    deadline = time.monotonic() + 90
    book = jupyter = None
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("Book:"):
            book = line.split()[1].rstrip("/")
        if line.startswith("Jupyter:"):
            jupyter = line.split()[1].rstrip("/")
            break
    assert book and jupyter, "servers did not start:\n" + "".join(lines)
    info = json.loads(urllib.request.urlopen(f"{book}/_thebe_server.json").read())
    yield {"book": book, "jupyter": jupyter, "token": info["token"], "process": process}
    process.terminate()
    process.wait(timeout=20)


def _status(url: str, headers: dict | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_jupyter_server_requires_its_token(servers):
    api = f"{servers['jupyter']}/api/kernels"
    assert _status(api)[0] == 403
    assert _status(api, {"Authorization": "token wrong"})[0] == 403
    assert _status(api, {"Authorization": f"token {servers['token']}"})[0] == 200


def test_jupyter_server_listens_on_loopback_only(servers):
    port = int(servers["jupyter"].rsplit(":", 1)[1])
    listening = [c for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
    assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)


def test_cors_allows_only_the_book_origin(servers):
    auth = {"Authorization": f"token {servers['token']}"}
    _, headers = _status(f"{servers['jupyter']}/api/status", {**auth, "Origin": servers["book"]})
    assert headers.get("Access-Control-Allow-Origin") == servers["book"]
    code, headers = _status(f"{servers['jupyter']}/api/status", {**auth, "Origin": "http://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") != "http://evil.example"


def test_book_server_serves_thebe_from_the_npm_package(servers):
    info = json.loads(urllib.request.urlopen(f"{servers['book']}/_thebe_server.json").read())
    assert info["thebeUrl"] == "/_thebe/index.js"
    with urllib.request.urlopen(f"{servers['book']}{info['thebeUrl']}") as response:
        assert response.read() == (THEBE_LIB / "index.js").read_bytes()
    # the package folder is the root of /_thebe/: ".." does not climb out of it
    code, _ = _status(f"{servers['book']}/_thebe/%2e%2e/%2e%2e/%2e%2e/Makefile")
    assert code == 404


def _offline(route, request):
    host = re.match(r"\w+://([^/:]+)", request.url)
    if host and host.group(1) in ("127.0.0.1", "localhost"):
        return route.continue_()
    return route.abort()  # no internet here: fonts, MathJax and the like are refused at once


@pytest.fixture(scope="module")
def browser_page(servers):
    assert CHROMIUM.is_file(), f"Chromium missing ({CHROMIUM}): apt-get install chromium (the CI script does)"
    assert (THEBE_LIB / "index.js").is_file(), "thebe's npm package missing: run `make thebe-js`"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        page = browser.new_page()
        thebe_requests: list[str] = []
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("request", lambda r: thebe_requests.append(r.url) if "thebe" in r.url and r.url.endswith(".js") else None)
        page.route("**/*", _offline)
        page.goto(f"{servers['book']}/{CHAPTER}")
        yield page, thebe_requests, console
        browser.close()


# each code cell of the page is a div.cell holding thebe's editor (.thebe-cell) and its output area


def _cell_code(page, index: int) -> str:
    return page.evaluate(f"document.querySelectorAll('div.cell .CodeMirror')[{index}].CodeMirror.getValue()")


def _run_cell(page, index: int, code: str | None = None) -> None:
    if code is not None:
        page.evaluate(
            "([i, code]) => document.querySelectorAll('div.cell .CodeMirror')[i].CodeMirror.setValue(code)", [index, code]
        )
    page.locator("div.cell").nth(index).locator(".thebe-run-button").click()


def _output(page, index: int):
    return page.locator("div.cell").nth(index).locator(".jp-OutputArea")


def test_live_code_runs_cells_against_the_local_server(servers, browser_page):
    page, thebe_requests, console = browser_page
    page.locator("button[aria-label='Launch interactive content']").click()
    page.get_by_text("Live Code").click()

    # a kernel took about 20 s to start here: wait for the ready status, not a fixed time
    try:
        page.wait_for_selector(".thebe-launch-button.thebe-status-ready", timeout=120_000)
    except Exception as error:
        raise AssertionError("Live Code never got ready; the page's console said:\n" + "\n".join(console[-30:])) from error
    status = page.locator(".thebe-launch-button").inner_text()
    assert "Local Jupyter server" in status and "mybinder" not in status
    assert f"{servers['book']}/_thebe/index.js" in thebe_requests
    assert not any("unpkg.com" in url for url in thebe_requests)
    # the same version as on a static host, where the page loads thebe from the CDN
    assert page.evaluate("THEBE_JS_URL").endswith(f"/thebe@{THEBE_VERSION}/lib/index.js")
    assert json.loads((THEBE_LIB.parent / "package.json").read_text())["version"] == THEBE_VERSION

    # the first cell is tagged thebe-init: it ran by itself and printed df.shape again
    assert page.locator(".thebe-cell").first.evaluate("el => !!el.closest('.tag_thebe-init')")
    assert "df = mlmap.load_labels()" in _cell_code(page, 0)
    _output(page, 0).get_by_text("(1500, 16)").wait_for(timeout=120_000)

    # new code, using the state the init cell left in the kernel
    _run_cell(page, 1, "print('rows x 7 =', len(df) * 7)")
    _output(page, 1).get_by_text("rows x 7 = 10500").wait_for(timeout=60_000)

    # an error shows in the page
    _run_cell(page, 2, "1 / 0")
    _output(page, 2).get_by_text("ZeroDivisionError").first.wait_for(timeout=60_000)


def _editor_size(page, index: int) -> dict:
    return page.evaluate(
        """i => { const cm = document.querySelectorAll('div.cell .CodeMirror')[i];
                  const style = getComputedStyle(cm);
                  return { height: cm.getBoundingClientRect().height, lines: cm.CodeMirror.lineCount(),
                           lineHeight: cm.CodeMirror.defaultTextHeight(), background: style.backgroundColor,
                           page: getComputedStyle(document.body).backgroundColor }; }""", index)


def test_editors_fit_their_code_and_follow_the_page_colours(browser_page, tmp_path):
    """Runs after the Live Code test on the same page: the editors exist and a kernel is attached."""
    page, _, _ = browser_page
    assert page.locator("div.cell .CodeMirror").count() >= 3, "Live Code did not turn the cells into editors"
    for index in range(page.locator("div.cell .CodeMirror").count()):
        size = _editor_size(page, index)
        # the code's lines plus the editor's padding and border: no fixed 300px box, nothing cut off
        assert size["lines"] * size["lineHeight"] <= size["height"] <= (size["lines"] + 2) * size["lineHeight"], size
    before = _editor_size(page, 1)
    page.evaluate("document.querySelectorAll('div.cell .CodeMirror')[1].CodeMirror.setValue('a = 1\\nb = 2\\nc = 3\\nd = 4\\ne = 5')")
    after = _editor_size(page, 1)
    assert after["lines"] == 5 and after["height"] >= before["height"] + (5 - before["lines"]) * after["lineHeight"] - 1
    # light page, light editor: the sphinx-thebe default (a black "abcdef" editor) is gone
    brightness = lambda rgb: sum(int(v) for v in re.findall(r"\d+", rgb)[:3]) / 3
    assert brightness(after["background"]) > 200 and brightness(after["page"]) > 200
    page.locator("div.cell").nth(1).screenshot(path=str(tmp_path / "editor-light.png"))
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    dark = _editor_size(page, 1)
    assert brightness(dark["background"]) < 80, "in dark mode the editor should be dark too"
    page.locator("div.cell").nth(1).screenshot(path=str(tmp_path / "editor-dark.png"))
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    button = page.locator("div.cell").nth(1).locator(".thebe-run-button")
    assert button.evaluate("b => getComputedStyle(b).borderRadius") != "0px", "buttons should look like the theme's"
