"""The bundled corpus: seed texts kept verbatim, with only what they support as metadata."""

from __future__ import annotations

import pytest

from ingest.loaders import FileLoader
from tests.conftest import DOCUMENTS_DIR, SEEDS_DIR

# The seeds live in ../shared/, beside the checkout where the project is developed; a clone
# alone has only documents/, so the comparison with the originals is skipped there.
needs_seeds = pytest.mark.skipif(
    not SEEDS_DIR.is_dir(), reason=f"the seed texts are not at {SEEDS_DIR}",
)

EXPECTED = {
    "000_e3471747ebae853a.txt": "Dave West",
    "002_7bc579f0b224b32e.txt": "Ben Clover",
}


def _by_seed() -> dict:
    loader = FileLoader(10_000_000, 100)
    docs = [loader.load(p) for p in sorted(DOCUMENTS_DIR.glob("*.md"))]
    return {d.metadata["source_file"]: d for d in docs}


def test_every_seed_has_a_document():
    assert sorted(_by_seed()) == sorted(EXPECTED)


@needs_seeds
@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_body_is_the_seed_text_verbatim(seed):
    doc = _by_seed()[seed]
    assert doc.page_content == (SEEDS_DIR / seed).read_text(encoding="utf-8")


@needs_seeds
@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_metadata_says_only_what_the_text_supports(seed):
    meta = _by_seed()[seed].metadata
    assert meta["author"] == EXPECTED[seed]
    assert meta["title"] and meta["column"]
    # The standfirst is the seed's own first line, and it names the author.
    seed_text = (SEEDS_DIR / seed).read_text(encoding="utf-8")
    assert meta["standfirst"] == seed_text.splitlines()[0]
    assert EXPECTED[seed] in meta["standfirst"]
    # Neither text names a publication, a date or an address: none may be invented.
    assert not {"publication", "date", "url", "published"} & set(meta)
