"""Serve the built book and a local Jupyter server for its "Live Code" cells (`make serve`).

The book is served on loopback (``HOST``); a Jupyter server is started there too, with a random token and
CORS allowed only for the book's origin. The book server answers ``/_thebe_server.json`` with that
server's address and token, which ``_static/mlmap-thebe.js`` reads to use it instead of Binder.
It also serves thebe's JavaScript from the npm package in ``.thebe/`` (``make thebe-js``) under
``/_thebe/``, so Live Code works without internet; without that package the pages load thebe from
the CDN. In the same way it serves MathJax from the npm package in ``.mathjax/`` (``make mathjax-js``)
under ``/_mathjax/`` and points the pages' MathJax script there, so formulas render without internet;
the published site keeps the CDN. Ctrl-C stops both servers.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Both servers listen on loopback only: the Jupyter server runs code, so nothing else may reach it.
HOST = "127.0.0.1"
SERVER_INFO_PATH = "/_thebe_server.json"
THEBE_PREFIX = "/_thebe/"
DEFAULT_THEBE_LIB = ROOT / ".thebe" / "package" / "lib"
MATHJAX_PREFIX = "/_mathjax/"
DEFAULT_MATHJAX_DIR = ROOT / ".mathjax" / "package"
#: The package root on the CDN as Sphinx writes it into the pages (sphinx.ext.mathjax.MATHJAX_URL), any version
MATHJAX_CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/mathjax@[^/\"']+/")


def local_mathjax(html: str) -> str:
    """``html`` with the CDN's MathJax package root replaced by ``/_mathjax/``, the copy this server serves."""
    return MATHJAX_CDN.sub(MATHJAX_PREFIX, html)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_jupyter(port: int, token: str, origin: str) -> subprocess.Popen:
    """A Jupyter server on loopback that requires ``token`` and accepts cross-origin calls from ``origin`` only."""
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [
        str(jupyter), "server",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.allow_origin={origin}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={ROOT}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")  # containers and CI often run as root
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)


def wait_for_jupyter(port: int, token: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited with code {process.returncode}")
        try:
            request = urllib.request.Request(f"http://{HOST}:{port}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the Jupyter server did not answer on port {port} within {timeout:.0f} s")


class BookHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of the built book, plus the address of the local Jupyter server."""

    def __init__(self, *args, server_info: dict, thebe_lib: Path | None, mathjax_dir: Path | None = None,
                 **kwargs) -> None:
        self.server_info, self.thebe_lib, self.mathjax_dir = server_info, thebe_lib, mathjax_dir
        super().__init__(*args, **kwargs)  # handles the request, so the state must be set first

    def translate_path(self, path: str) -> str:
        # thebe's and MathJax's files come from their npm packages, not from the book; the base class's
        # translation (relative to self.directory, dropping "..") keeps such requests inside that package
        for prefix, folder in ((THEBE_PREFIX, self.thebe_lib), (MATHJAX_PREFIX, self.mathjax_dir)):
            if folder is not None and path.startswith(prefix):
                book, self.directory = self.directory, str(folder)
                try:
                    return super().translate_path("/" + path[len(prefix):])
                finally:
                    self.directory = book
        return super().translate_path(path)

    def _send_page_with_local_mathjax(self) -> bool:
        """Answer a request for a page of the book with MathJax pointed at the local copy; False if not a page."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if not path.endswith(".html") or not os.path.isfile(path):
            return False
        with open(path, encoding="utf-8") as page:
            body = local_mathjax(page.read()).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return True

    def do_GET(self) -> None:
        if self.path.split("?")[0] == SERVER_INFO_PATH:
            body = json.dumps(self.server_info).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.mathjax_dir is not None and self._send_page_with_local_mathjax():
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # keep the terminal quiet; errors still show
        if args and str(args[1]).startswith(("4", "5")) and SERVER_INFO_PATH not in str(args[0]):
            super().log_message(format, *args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default=str(ROOT / "_build" / "html"), help="the built book")
    parser.add_argument("--port", type=int, default=8000, help="port of the book (0: any free port)")
    parser.add_argument("--jupyter-port", type=int, default=0, help="port of the Jupyter server (0: any free port)")
    parser.add_argument("--thebe-lib", default=str(DEFAULT_THEBE_LIB), help="thebe's npm package lib/ folder (make thebe-js)")
    parser.add_argument("--mathjax", default=str(DEFAULT_MATHJAX_DIR), help="MathJax's npm package folder (make mathjax-js)")
    args = parser.parse_args(argv)

    html = Path(args.html)
    if not (html / "index.html").is_file():
        print(f"error: no built book in {html}; run `make book` first", file=sys.stderr)
        return 1
    book_port = args.port or free_port()
    jupyter_port = args.jupyter_port or free_port()
    origin = f"http://{HOST}:{book_port}"
    jupyter_url = f"http://{HOST}:{jupyter_port}/"
    token = secrets.token_hex(24)

    server_info = {"baseUrl": jupyter_url, "wsUrl": f"ws://{HOST}:{jupyter_port}/", "token": token}
    thebe_lib: Path | None = Path(args.thebe_lib)
    if (thebe_lib / "index.js").is_file():
        thebe_lib = thebe_lib.resolve()
        server_info["thebeUrl"] = THEBE_PREFIX + "index.js"
    else:
        print(f"note: no thebe package in {thebe_lib} (run `make thebe-js`); Live Code loads thebe from the CDN",
              file=sys.stderr)
        thebe_lib = None
    mathjax_dir: Path | None = Path(args.mathjax)
    if (mathjax_dir / "es5" / "tex-mml-chtml.js").is_file():
        mathjax_dir = mathjax_dir.resolve()
    else:
        print(f"note: no MathJax package in {mathjax_dir} (run `make mathjax-js`); formulas load MathJax from the CDN",
              file=sys.stderr)
        mathjax_dir = None
    handler = functools.partial(BookHandler, directory=str(html), server_info=server_info, thebe_lib=thebe_lib,
                                mathjax_dir=mathjax_dir)
    httpd = http.server.ThreadingHTTPServer((HOST, book_port), handler)
    jupyter = start_jupyter(jupyter_port, token, origin)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    serving = False
    try:
        wait_for_jupyter(jupyter_port, token, jupyter)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        serving = True
        print(f"Book:    {origin}/", flush=True)
        print(f"Jupyter: {jupyter_url} (token required; Live Code uses it)", flush=True)
        print("Press Ctrl-C to stop both servers.", flush=True)
        while jupyter.poll() is None:
            time.sleep(0.5)
        print(f"the Jupyter server stopped (code {jupyter.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        if serving:  # shutdown() waits for serve_forever, so only call it once that runs
            httpd.shutdown()
        httpd.server_close()
        if jupyter.poll() is None:
            jupyter.terminate()
            try:
                jupyter.wait(timeout=10)
            except subprocess.TimeoutExpired:
                jupyter.kill()


if __name__ == "__main__":
    sys.exit(main())
