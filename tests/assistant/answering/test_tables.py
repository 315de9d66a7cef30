"""A figure asked for comes from its table's row, even where the splitter cut the table away
from its caption, and a question about a year the table doesn't hold is refused."""

from __future__ import annotations

import pytest

# Yearly uptake, 2000/01 to 2023/24, with the figure each year distinct: 24 rows, about
# 2,000 characters, so the splitter cuts the table into several chunks after its caption.
YEARS = [f"{2000 + i}/{(i + 1) % 100:02d}" for i in range(24)]
UPTAKE = {year: f"{60 + i * 0.7:.1f}" for i, year in enumerate(YEARS)}
REPORT = (
    "# Seasonal vaccine uptake\n\nUptake among people aged 65 years or over is shown in the "
    "table below. It is measured at the end of each campaign from GP records, and the "
    "figures for the devolved nations are published separately by their public health "
    "bodies. Uptake rose after the programme was extended in 2020.\n\n"
    "Table 7.2 Vaccine uptake in England for people aged 65 years or over. End of campaign "
    "estimates.\n\n| Year | England (%) | Target (%) |\n| --- | --- | --- |\n"
    + "\n".join(f"| {year} | {UPTAKE[year]} | 75 |" for year in YEARS)
    + "\n\n## Pregnant women\n\nUptake among pregnant women is harder to measure, because "
    "the number of women pregnant during the campaign is not known exactly.\n"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from assistant.settings import Settings
    from assistant.wiring import Parts

    data_dir = tmp_path_factory.mktemp("tables")
    parts = Parts(Settings(data_dir=data_dir / "data", _env_file=None))
    path = data_dir / "uptake.md"
    path.write_text(REPORT, encoding="utf-8")
    (result,) = parts.library.ingest([path]).files
    assert result.status == "added"
    chunks = parts.vector_store.get(where={"doc_id": result.doc_id})["documents"]
    assert not any("Table 7.2" in c and "2023/24" in c for c in chunks), \
        "the splitter kept the caption and the last row together"
    return parts, result.doc_id


@pytest.mark.parametrize("year", ["2023/24", "2012/13"])
def test_a_figure_is_quoted_from_its_row_though_the_caption_is_chunks_away(report, year):
    parts, doc_id = report
    answer = parts.chain.answer(
        f"What was vaccine uptake in England among people aged 65 or over in {year}?",
        generator="extractive", k=1)
    assert not answer.refused, answer.refusal_reason
    first = answer.citations[0].span.text
    assert year in first and UPTAKE[year] in first, first
    text = parts.catalog.get(doc_id).text
    for citation in answer.citations:
        assert text[citation.span.start:citation.span.end] == citation.span.text


def test_a_year_the_table_does_not_hold_is_refused_saying_so(report):
    parts, _ = report
    answer = parts.chain.answer(
        "What was vaccine uptake in England among people aged 65 or over in 2024/25?",
        generator="extractive")
    assert answer.refused and "2024/25" in answer.refusal_reason
    assert "never mention" in answer.refusal_reason  # the library holds it nowhere
