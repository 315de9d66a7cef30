"""Pictures of pages → lines of text, offline, cached: OCR for scanned documents.

RapidOCR 3.10 runs PaddleOCR's PP-OCRv6 detection and recognition models, which ship as ONNX
files inside its PyPI wheel (Apache-2.0, weights by Baidu/PaddleOCR, Apache-2.0); they run on
onnxruntime and nothing is downloaded. The files are checked against the sha256 pinned here
before the first page is read, and handed to RapidOCR by path, so a missing file is an error
that says to reinstall, never a download.

Choices, measured on pages of NHS England PDFs rendered to pictures (``evals/tuning.md``):

- **No line-direction classifier.** RapidOCR's classifier turned some upright English lines
  upside down and read them as noise ("prei it o e cdai et…"): without it, 99 % of words
  match the PDF's own text layer instead of 88–96 %. A page that is upside down or on its
  side is found instead by reading it turned, when the upright reading is poor or its lines
  stand vertical, and keeping the best reading.
- **A page's long side drawn at 1,700 pixels** (an A4 page at about 2× zoom): the same words
  as larger pictures, in about 3 s a page on 2 cores; a photo of a page is scaled down to it.
- **Both cores inside one reader** (onnxruntime's own threads): 3.1 s a page, against 3.4 s
  for two pages at a time on one thread each.

Each page's reading is kept under ``cache_dir`` by the hash of its picture, so an ingest run
again, or resumed after ``kill -9``, never reads a page twice.

Example:
    >>> reader = PageReader(Path("data/ocr"))  # doctest: +SKIP
    >>> page = reader.read(pymupdf.open("scan.pdf")[0])  # doctest: +SKIP
    >>> page.lines[0].text  # doctest: +SKIP
    'Individual funding requests'
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf

from assistant.onnx_models import ModelUnavailable, check_pinned

# Part of the ingestion fingerprint and of every cache key: a new engine reads pages anew.
ENGINE = "rapidocr-3.10.0+pp-ocrv6-small+level-1"
MODEL_SHA256 = {
    "PP-OCRv6_det_small.onnx": "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    "PP-OCRv6_rec_small.onnx": "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
}
# A reading whose characters are recognised with less confidence than this, on average,
# may be of a page on its side or upside down: it is read turned too.
_UPRIGHT_CONFIDENCE = 0.85
# Lines recognised with less confidence than this are noise (specks, stamps, shading).
_MIN_LINE_SCORE = 0.5
# A page sloping less than this (radians, about 0.3°) is level enough as it is.
_LEVEL_ENOUGH = 0.005


class OcrError(RuntimeError):
    """The reader can't run (its models are missing or not the pinned ones)."""


@dataclass(frozen=True)
class OcrLine:
    """One line of text found on a page.

    ``box`` is where it is printed on the page as displayed (points, as a PDF viewer shows
    the page); ``upright`` is the same line in the page turned so that its text reads from
    left to right and levelled (the same as ``box`` unless the picture was on its side,
    upside down or askew).
    """

    text: str
    score: float
    box: tuple[float, float, float, float]
    upright: tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrPage:
    """What OCR read on one page: its lines in reading order, and the upright page's size."""

    lines: tuple[OcrLine, ...]
    width: float
    height: float
    turned: int = 0  # quarter turns (anticlockwise) that made the picture upright

    def as_json(self) -> dict:
        return {"engine": ENGINE, "width": self.width, "height": self.height,
                "turned": self.turned,
                "lines": [[ln.text, ln.score, *ln.box, *ln.upright] for ln in self.lines]}

    @classmethod
    def from_json(cls, data: dict) -> OcrPage:
        lines = tuple(OcrLine(row[0], row[1], tuple(row[2:6]), tuple(row[6:10]))
                      for row in data["lines"])
        return cls(lines, data["width"], data["height"], data.get("turned", 0))


def bundled_models_dir() -> Path:
    """``rapidocr/models`` in the installed wheel, found without importing the package."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrError("OCR needs the rapidocr package, which is not installed: run `make setup` "
                       "(or set ASSISTANT_OCR=false)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _turned_back(points: np.ndarray, turns: int, width: int, height: int) -> np.ndarray:
    """Points of a picture turned ``turns`` quarter turns anticlockwise (``np.rot90``),
    in the picture as it was (``width`` × ``height`` pixels)."""
    x, y = points[:, 0], points[:, 1]
    if turns == 1:
        return np.stack([width - 1 - y, x], axis=1)
    if turns == 2:
        return np.stack([width - 1 - x, height - 1 - y], axis=1)
    if turns == 3:
        return np.stack([y, height - 1 - x], axis=1)
    return points


def _bounds(points: np.ndarray, scale: float) -> tuple[float, float, float, float]:
    return tuple(round(float(v) / scale, 2) for v in
                 (points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()))


def _levelled(quads: list[np.ndarray], width: int, height: int) -> list[np.ndarray]:
    """The lines of a page photographed or fed in askew, turned level: the median slope of
    its long lines' top edges undone about the picture's centre, so that lines one above
    the other don't overlap when their boxes are drawn square."""
    slopes = [math.atan2(q[1, 1] - q[0, 1], q[1, 0] - q[0, 0]) for q in quads
              if np.ptp(q[:, 0]) > 3 * np.ptp(q[:, 1])]
    if not slopes or abs(angle := float(np.median(slopes))) < _LEVEL_ENOUGH:
        return quads
    centre = np.array([width / 2, height / 2])
    cos, sin = math.cos(-angle), math.sin(-angle)
    turn = np.array([[cos, -sin], [sin, cos]])
    return [(q - centre) @ turn.T + centre for q in quads]


def _confidence(lines: list[tuple[str, np.ndarray, float]]) -> float:
    chars = sum(len(text) for text, _, _ in lines)
    return sum(len(text) * score for text, _, score in lines) / chars if chars else 0.0


def _upright_share(lines: list[tuple[str, np.ndarray, float]]) -> float:
    """Share of the lines that are wider than tall: a page on its side has few."""
    if not lines:
        return 0.0
    wide = sum(1 for _, quad, _ in lines
               if np.ptp(quad[:, 0]) >= np.ptp(quad[:, 1]))
    return wide / len(lines)


class PageReader:
    """Reads the text on pictures of pages with RapidOCR, one page at a time, caching each
    page's reading by the hash of its picture.

    ``threads`` is how many cores one page uses; ``long_side_px`` how large a page is drawn.
    """

    def __init__(self, cache_dir: Path, long_side_px: int = 1700, threads: int | None = None,
                 models_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.long_side_px = long_side_px
        self.threads = threads or os.cpu_count() or 1
        self.models_dir = models_dir
        self._engine = None
        self._lock = threading.Lock()  # one page at a time: the engine uses every core

    @property
    def version(self) -> str:
        """What would make the same page read differently: engine and drawing size."""
        return f"{ENGINE}@{self.long_side_px}"

    def _load(self):
        if self._engine is None:
            models = self.models_dir or bundled_models_dir()
            try:
                check_pinned(models, MODEL_SHA256, "reinstall with `make setup`")
            except ModelUnavailable as error:
                raise OcrError(f"an OCR model: {error}") from None
            from rapidocr import RapidOCR

            self._engine = RapidOCR(params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": _MIN_LINE_SCORE,
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return self._engine

    def zoom_for(self, page: pymupdf.Page) -> float:
        """How much the page is enlarged (or shrunk) to be read."""
        return self.long_side_px / max(page.rect.width, page.rect.height, 1.0)

    def picture(self, page: pymupdf.Page) -> tuple[np.ndarray, float]:
        """The page drawn as an RGB picture for reading, and its scale (pixels per point)."""
        zoom = self.zoom_for(page)
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB,
                                 alpha=False)
        image = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(
            pixmap.height, pixmap.width, 3)
        return image, zoom

    def read(self, page: pymupdf.Page) -> OcrPage:
        """The page's lines of text, from the cache when this picture was read before.

        Raises whatever drawing the page raises (a damaged picture inside the PDF), and
        :class:`OcrError` when the models can't be loaded.
        """
        image, zoom = self.picture(page)
        digest = hashlib.sha256(
            f"{self.version}|{image.shape}".encode() + image.tobytes()).hexdigest()
        cached = self.cache_dir / digest[:2] / f"{digest}.json"
        if cached.is_file():
            try:
                return OcrPage.from_json(json.loads(cached.read_text()))
            except (ValueError, KeyError, IndexError, TypeError):
                pass  # a damaged cache file is read again
        result = self._read_upright(image, zoom)
        self._store(cached, result)
        return result

    def _recognise(self, image: np.ndarray) -> list[tuple[str, np.ndarray, float]]:
        with self._lock:
            output = self._load()(image)
        if output.boxes is None:
            return []
        return [(" ".join(text.split()), np.asarray(box, dtype=float), float(score))
                for text, box, score in zip(output.txts, output.boxes, output.scores, strict=True)
                if text.strip() and score >= _MIN_LINE_SCORE]

    def _read_upright(self, image: np.ndarray, zoom: float) -> OcrPage:
        """Reads the picture as it is; when that reading is poor or its lines stand on end,
        also turned a quarter, half and three quarters, and keeps the best reading."""
        height, width = image.shape[:2]
        best_turns, best = 0, self._recognise(image)
        if _confidence(best) < _UPRIGHT_CONFIDENCE or _upright_share(best) < 0.5:
            for turns in (1, 2, 3):
                lines = self._recognise(np.ascontiguousarray(np.rot90(image, turns)))
                if (_confidence(lines) * sum(len(t) for t, _, _ in lines)
                        > _confidence(best) * sum(len(t) for t, _, _ in best)):
                    best_turns, best = turns, lines
        upright_w, upright_h = (height, width) if best_turns % 2 else (width, height)
        level = _levelled([quad for _, quad, _ in best], upright_w, upright_h)
        lines = tuple(
            OcrLine(text, round(score, 4),
                    _bounds(_turned_back(quad, best_turns, width, height), zoom),
                    _bounds(levelled, zoom))
            for (text, quad, score), levelled in zip(best, level, strict=True))
        return OcrPage(lines, round(upright_w / zoom, 2), round(upright_h / zoom, 2), best_turns)

    def _store(self, path: Path, page: OcrPage) -> None:
        """Writes the reading whole (a crash never leaves half a file to be trusted)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp",
                                         delete=False) as out:
            json.dump(page.as_json(), out)
        os.replace(out.name, path)


def words_of(page: OcrPage) -> list[tuple]:
    """The page's OCR lines as PyMuPDF's ``get_text("words")`` gives words — ``(x0, y0, x1,
    y1, word, block, line, word_no)`` — each word's box a share of its line's box by its
    length, so that code finding a sentence among a page's words finds it on a scan too."""
    words = []
    for number, line in enumerate(page.lines):
        pieces = line.text.split()
        x0, y0, x1, y1 = line.box
        total = sum(len(p) + 1 for p in pieces) - 1 or 1
        at = 0
        for index, piece in enumerate(pieces):
            left = x0 + (x1 - x0) * at / total
            at += len(piece)
            right = x0 + (x1 - x0) * at / total
            if page.turned:  # the line runs along another side: each word marks it whole
                left, right = x0, x1
            words.append((left, y0, right, y1, piece, number, 0, index))
            at += 1
    return words
