"""Post-hoc citation checks and the streaming marker filter."""

from __future__ import annotations

from assistant.answering.answer import Evidence
from assistant.answering.citations import MarkerFilter, verify
from assistant.spans import SourceSpan

EVIDENCE = [
    Evidence(1, SourceSpan("west", "T1", "Dave West", "s1", 10, 55,
                           "Jane Cummings is the interim London director."), 0.9),
    Evidence(2, SourceSpan("clover", "T2", "Ben Clover", "s2", 70, 115,
                           "There are five STPs and 33 local authorities."), 0.8),
]


def test_supported_markers_are_kept_and_listed_as_citations():
    text, cited, check = verify("Jane Cummings is the interim director [1].", EVIDENCE, 0.5)
    assert text == "Jane Cummings is the interim director [1]."
    assert [(c.marker, c.span.doc_id, c.span.start, c.span.end) for c in cited] == [(1, "west", 10, 55)]
    assert check.passed


def test_a_marker_naming_no_evidence_is_removed_and_reported():
    text, cited, check = verify("London has five STPs [2][9].", EVIDENCE, 0.5)
    assert "[9]" not in text and text.endswith("[2].")
    assert check.unresolved_markers == [9] and not check.passed


def test_a_marker_whose_evidence_does_not_support_the_sentence_is_moved_or_dropped():
    text, _, check = verify("London has five STPs [1].", EVIDENCE, 0.5)
    assert text == "London has five STPs [2]."
    assert check.unsupported[0]["marker"] == 1
    assert check.added_markers[0]["marker"] == 2


def test_an_unsupported_claim_stays_uncited_and_is_reported():
    text, cited, check = verify("The mayor funds pothole repairs [1].", EVIDENCE, 0.5)
    assert "[" not in text and cited == []
    assert check.uncited_sentences == ["The mayor funds pothole repairs."]


def test_a_point_no_evidence_supports_is_dropped_from_a_one_point_per_line_answer():
    answer = "- Jane Cummings is interim director [1].\n- The mayor funds pothole repairs [1]."
    text, cited, check = verify(answer, EVIDENCE, 0.5, keep_uncited=False)
    assert text == "- Jane Cummings is interim director [1]."
    assert check.removed_sentences == ["- The mayor funds pothole repairs."]
    assert [c.marker for c in cited] == [1]


def test_markers_after_the_full_stop_belong_to_the_sentence_before():
    answer = "Jane Cummings is interim director. [1] There are 33 local authorities. [2]"
    text, cited, check = verify(answer, EVIDENCE, 0.5)
    assert text == "Jane Cummings is interim director [1]. There are 33 local authorities [2]."
    assert check.passed and [c.marker for c in cited] == [1, 2]


def test_grouped_markers_are_read():
    text, cited, _ = verify("There are five STPs [1, 2].", EVIDENCE, 0.5)
    assert text == "There are five STPs [2]."


def test_stream_filter_never_shows_an_unknown_marker():
    stream = MarkerFilter({1, 2})
    pieces = ["Cummings [", "1] and five [", "9", "] STPs [2", "]."]
    shown = "".join(stream.feed(p) for p in pieces) + stream.flush()
    assert "[9]" not in shown and "[1]" in shown and "[2]" in shown


def test_stream_filter_passes_ordinary_brackets_through():
    stream = MarkerFilter({1})
    assert stream.feed("a list [see below] of things") + stream.flush() == "a list [see below] of things"


def test_a_number_the_evidence_does_not_state_makes_a_claim_unsupported():
    text, cited, check = verify("Jane Cummings became interim London director in 2018 [1].",
                                EVIDENCE, 0.5)
    assert "2018" not in text and cited == []
    assert check.unsupported[0]["support"] == 0.0
    assert check.removed_sentences == ["Jane Cummings became interim London director in 2018."]
    assert not check.passed


def test_an_invented_name_is_removed_but_the_supported_rest_stays():
    answer = "There are 33 local authorities [2]. Simon Stevens leads them [2]."
    text, cited, check = verify(answer, EVIDENCE, 0.5)
    assert text == "There are 33 local authorities [2]."
    assert check.removed_sentences == ["Simon Stevens leads them."]


def test_the_author_of_a_passage_vouches_for_an_attribution_to_them():
    text, cited, check = verify("According to Ben Clover, there are five STPs [2].", EVIDENCE, 0.5)
    assert [c.marker for c in cited] == [2] and check.passed
    _, cited, check = verify("According to Dave West, there are five STPs [2].", EVIDENCE, 0.5)
    assert cited == [] and check.unsupported


def test_a_citation_names_the_sentence_its_claim_rests_on():
    two = Evidence(1, SourceSpan("west", "T", "A", "s", 100, 144,
                                 "Intro words here. Jane Cummings is director."), 1.0)
    _, (citation,), _ = verify("Jane Cummings is the director [1].", [two], 0.5)
    (highlight,) = citation.highlights
    assert highlight == {"start": 118, "end": 144, "text": "Jane Cummings is director."}


def test_a_web_address_is_taken_out_of_a_claim_and_its_marker_kept():
    text, cited, _ = verify(
        "Jane Cummings is the interim London director, https://www.england.nhs.uk/london [1].\n"
        "www.england.nhs.uk [1]", EVIDENCE, 0.5)
    assert text == "Jane Cummings is the interim London director [1]."
    assert [c.marker for c in cited] == [1]
