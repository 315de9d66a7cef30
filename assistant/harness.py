"""Drives the real parts from outside, as a user or an operator would: the ``assistant`` CLI
and the chat in subprocesses, a ``chroma run`` server, Debian's chromium.

Used by the tests, ``bench/`` and ``docs/screenshot.py``. Playwright drives
``/usr/bin/chromium`` (installed by ``make test``); it never downloads a browser.

Example:
    >>> with serve_chat({"ASSISTANT_DATA_DIR": "/tmp/d"}, Path("/tmp/serve.log")) as url:  # doctest: +SKIP
    ...     Client(url).predict("Who chairs Lewisham CCG?", "extractive", 0, None, api_name="/ask")
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from assistant.answering.local_model import free_port
from assistant.settings import REPO_ROOT

CHROMIUM = Path(os.environ.get("ASSISTANT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ASSISTANT = Path(sys.executable).parent / "assistant"


def launch_chromium(playwright):
    """Headless Debian chromium with the flags these machines need."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def run_assistant(
    env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None,
) -> subprocess.CompletedProcess:
    """The `assistant` CLI with exactly ``env``; raises on a non-zero exit when ``check``."""
    return subprocess.run(
        [str(ASSISTANT), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
        check=check, timeout=600, input=stdin,
    )


@contextmanager
def serve_chat(env_overrides: dict[str, str], log_path: Path) -> Iterator[str]:
    """``assistant serve`` on a free loopback port; yields its URL once the page answers."""
    port = free_port()
    env = {**os.environ, **env_overrides}
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(ASSISTANT), "serve", "--port", str(port)], env=env, cwd=REPO_ROOT,
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"assistant serve exited: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no page at {url}: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def serve_library(data_dir: Path, paths: Sequence[Path]) -> Iterator[str]:
    """Ingests ``paths`` into ``data_dir``, then serves the chat over it, answering by quoting
    (no language model to wait for); yields its URL."""
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_GENERATOR": "extractive"}
    run_assistant({**os.environ, **env}, "ingest", *(str(p) for p in paths))
    with serve_chat(env, data_dir.parent / "serve.log") as url:
        yield url


class ChromaServer:
    """`chroma run` from the installed chromadb, on a fixed loopback port, restartable."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> ChromaServer:
        self.process = subprocess.Popen(
            [str(ASSISTANT.parent / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("chroma run did not come up") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)


def scanned_copy(pdf: bytes, pages: Sequence[int] | None = None, dpi: int = 150,
                 angles: dict[int, float] | None = None) -> bytes:
    """A scan of a real PDF, as a photocopier makes one: each page (``pages``, counted from
    1; all by default) only a picture, at ``dpi``, with no text layer. ``angles`` turns some
    pages' pictures (page → degrees anticlockwise): 90 or 180 as a sheet fed in the wrong
    way round comes out, a few degrees as a page photographed askew."""
    import io

    import pymupdf
    from PIL import Image

    scan = pymupdf.open()
    with pymupdf.open(stream=pdf, filetype="pdf") as original:
        for number in pages or range(1, original.page_count + 1):
            page = original[number - 1]
            picture = Image.open(io.BytesIO(page.get_pixmap(dpi=dpi).tobytes("png")))
            picture = picture.convert("RGB").rotate((angles or {}).get(number, 0), expand=True,
                                                    fillcolor="white")
            width, height = (page.rect.width, page.rect.height)
            if picture.width > picture.height:
                width, height = height, width
            sheet = scan.new_page(width=width, height=height)
            png = io.BytesIO()
            picture.save(png, "PNG")
            sheet.insert_image(sheet.rect, stream=png.getvalue())
    return scan.tobytes(deflate=True, garbage=3)
