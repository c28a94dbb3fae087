"""Shared fixtures: the built book, a local web server, and headless Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "html"
BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Every process the tests start (book build, notebook kernels) refuses non-local network
# connections: see trustlab/offline.py. The Makefile sets the same; this covers a bare pytest.
os.environ["TRUSTLAB_OFFLINE"] = "1"
_guard = str(ROOT / "tools" / "offline")
if _guard not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_guard, os.environ.get("PYTHONPATH", "")) if p)
from trustlab.offline import install  # noqa: E402

install()


def build_book(source: Path = ROOT, *extra: str) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=source)


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book once per test session, strictly (-W -n --keep-going)."""
    result = build_book()
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"jupyter-book build failed:\n{log}"
    assert (BUILD / "index.html").is_file()
    return BUILD


@pytest.fixture(scope="session")
def server(built_book: Path):
    """Serve the built book on 127.0.0.1 (random free port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(built_book))

    class Quiet(handler.func):  # type: ignore[name-defined]
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_book)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if not exe:
        msg = ("No Chromium found for the browser tests. Install it with your system's package "
               "manager, e.g. `sudo apt-get install chromium` (Debian/Ubuntu) or "
               "`brew install --cask chromium` (macOS), or set CHROMIUM=/path/to/chromium.")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " In CI this is a failure: .ci/run installs it.")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()
