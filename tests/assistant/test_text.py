"""Sentence spans, terms and answer types."""

from __future__ import annotations

import pytest

from assistant.text import (
    is_byline,
    answer_kind,
    answer_type,
    coverage,
    list_run,
    sentences,
    terms,
    without_attribution,
    without_bullet,
    without_document_references,
)
from tests.conftest import DOCUMENTS_DIR


@pytest.mark.parametrize("path", sorted(DOCUMENTS_DIR.glob("*.md")), ids=lambda p: p.name)
def test_sentence_offsets_are_exact(path):
    text = path.read_text(encoding="utf-8")
    spans = sentences(text, offset=0)
    assert len(spans) > 10
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()


def test_long_list_sentences_are_cut_into_clauses():
    listing = "There are: " + "; ".join(f"body number {i} of the landscape" for i in range(20)) + "."
    clauses = sentences(listing)
    assert len(clauses) == 20
    assert clauses[3].text == "body number 3 of the landscape;"


def test_a_table_row_stays_one_sentence_so_its_figures_keep_their_row():
    # Table 11.2 of the Green Book's chapter 11, as ingestion writes its rows.
    text = ("Table 11.2 Routine immunisation schedule\n\nKey age: At the age of 12 months | "
            "Vaccines child should have had or catch-up with: • Three doses of diphtheria, "
            "tetanus, polio, pertussis, Hib and hepatitis B containing vaccine. • A single dose "
            "of PCV vaccine. • Two doses of MenB vaccine.\nKey age: At the age of 24 months | "
            "Vaccines: • A dose of MenC. Prose after it. And more.")
    spans = sentences(text, offset=7)
    assert [s.text[:20] for s in spans] == [
        "Table 11.2 Routine i", "Key age: At the age ", "Key age: At the age ",
    ]
    assert spans[1].text.endswith("Two doses of MenB vaccine.")
    assert all(text[s.start - 7 : s.end - 7] == s.text for s in spans)
    # Prose is still cut at its full stops.
    assert len(sentences("Key age matters. Vaccines: two | not a row")) == 2


def test_offset_shifts_every_span():
    assert [(s.start, s.end) for s in sentences("A b. C d.", offset=100)] == [(100, 104), (105, 109)]


def test_terms_drop_stop_and_question_words_and_stem():
    assert terms("Who does the Board report to?") == {"board", "report"}
    assert terms("the trusts’ boards") == terms("trust boards")


def test_coverage_is_the_share_of_claim_terms_found():
    assert coverage("stroke and trauma services", "redesigns of stroke and trauma services") == 1.0
    assert coverage("stroke and cancer services", "stroke services") == pytest.approx(2 / 3)
    assert coverage("and the", "anything") == 1.0


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many STPs are there?", "number"),
        ("What is Jane Cummings' salary?", "money"),
        ("How long are the waiting times?", "duration"),
        ("How often does the board meet?", "frequency"),
        ("When is the announcement expected?", "time"),
        ("What is the name of the mayor?", "person"),
        ("Who chairs Lewisham CCG?", "who"),
        ("Why bother with integration?", None),
    ],
)
def test_answer_kinds(question, kind):
    assert answer_kind(question) == kind


def test_person_answers_must_name_someone_the_question_does_not():
    holds = answer_type("Who chairs Lewisham CCG?")
    assert holds("Lewisham CCG chair Marc Rowland spoke.")
    assert not holds("The Care Quality Commission and NHS England were there.")
    assert not holds("Lewisham CCG met.")


@pytest.mark.parametrize(
    "question,holds,lacks",
    [
        # The post asked about must stand with the name: a chair is not a chief officer.
        ("What is the name of Lewisham CCG's chief officer?",
         "Lewisham CCG chief officer Martin Wilkinson spoke first.",
         "Lewisham CCG chair Marc Rowland provided the answer in his talk."),
        ("What is the name of the mayor of London?",
         "The mayor, Sadiq Khan, opened the event.",
         "Former NHS London deputy chief Anne Rainsberry stayed to hold the ring."),
        # No post named: any name the question doesn't give will do.
        ("What is the name of the person who chairs the panel?",
         "Dr Jane Smith chairs the panel.", "The panel meets monthly."),
    ],
)
def test_the_name_of_a_post_must_be_given_with_that_post(question, holds, lacks):
    named = answer_type(question)
    assert named(holds)
    assert not named(lacks)


@pytest.mark.parametrize(
    "question,holds,lacks",
    [
        # Sentences as the published documents print them.
        ("How many local resilience forums took part in Exercise Cygnus?",
         "only 8 out of 42 local resilience forums took part in Exercise Cygnus",
         "Exercise Cygnus was run in 2016 with 950 participants from central government."),
        ("How many standing advisory groups of technical and scientific experts does the "
         "process establish?",
         "establishing eight standing advisory groups of technical and scientific experts",
         "It draws on 12 government departments and their experts."),
        ("How many academic health science centres does London have?",
         "London has four academic health science centres.",
         "Of London's 32 boroughs most host research; academic health science centres lead it."),
        ("According to the guidance, how many items from the HRT medicines list in 12 months "
         "must a patient need before an HRT PPC could save them money?",
         "an HRT PPC could save money for those who require three or more items from the list",
         "The certificate costs £19.30 and covers 12 months of HRT items."),
        ("How many GP federations are there in London?",
         "There are 35 GP federations across the capital.",
         "London has 32 clinical commissioning groups, five STPs and GP federations."),
    ],
)
def test_how_many_answers_must_count_the_thing_asked_about(question, holds, lacks):
    # A number elsewhere in the sentence counts something else.
    counts = answer_type(question)
    assert counts(holds)
    assert not counts(lacks)


@pytest.mark.parametrize(
    "question,authors,expected",
    [
        ("According to Dave West, what is the hard bit of fixing leadership?", {"Dave West"},
         "what is the hard bit of fixing leadership?"),
        ("What comes last in Ben Clover's list of London bodies?", {"Ben Clover"},
         "What comes last in list of London bodies?"),
        ("What does Helen Smith's guidance say about prepayment?", {"Smith, Helen"},
         "What does guidance say about prepayment?"),
        # An organisation is content ("what NHS England expects"), not a byline.
        ("What does NHS England expect of ICBs?", {"NHS England"},
         "What does NHS England expect of ICBs?"),
        # Nothing would be left to match a sentence with.
        ("Who is Dave West?", {"Dave West"}, "Who is Dave West?"),
    ],
)
def test_an_author_s_name_picks_the_document_not_the_sentence(question, authors, expected):
    assert without_attribution(question, authors) == expected


# NHS England's IFR commissioning policy (v3, 2023), paragraphs 24–25 as ingested.
CLINICAL_EFFECTIVENESS = (
    "24.\nWhen considering clinical effectiveness, the IFR Panel will consider:\n"
    "• how closely the patient matches the patient population from whom the results are "
    "derived\n• the plausibility of the argument that the patient will achieve the anticipated "
    "outcomes\n• the impact of existing comorbidities on both the claim for exceptionality and "
    "treatment outcome\n25.\nThe IFR Panel will also consider value for money."
)


@pytest.mark.parametrize("position", [1, 2, 3, 4])
def test_a_list_run_is_its_introduction_and_every_item_from_any_of_them(position):
    parts = sentences(CLINICAL_EFFECTIVENESS)
    first, last = list_run(parts, position)
    assert parts[first].text.endswith("will consider:")
    assert parts[last].text.startswith("• the impact of existing comorbidities")
    assert [without_bullet(p.text)[:8] for p in parts[first + 1 : last + 1]] == [
        "how clos", "the plau", "the impa"]


@pytest.mark.parametrize("position", [0, 5, 6])
def test_prose_and_paragraph_numbers_are_no_list(position):
    parts = sentences(CLINICAL_EFFECTIVENESS)
    assert list_run(parts, position) == (position, position)


def test_a_semicolon_list_runs_to_its_last_item_ending_with_a_full_stop():
    # Ben Clover's column: a long sentence is cut at its semicolons; the last clause ends it.
    text = ("Deep breath, there are: clinical commissioning groups; GP federations; London-wide "
            "local medical committees, health and wellbeing boards; 33 local authorities and "
            "their health overview and scrutiny committees; London councils; NHS trusts and "
            "foundation trusts; five STPs; two cancer networks; housing associations. "
            "Plus, the mayor's office.")
    parts = sentences(text)
    first, last = list_run(parts, 2)
    assert parts[first].text.startswith("Deep breath")
    assert parts[last].text == "housing associations."
    assert parts[last + 1].text == "Plus, the mayor's office."


@pytest.mark.parametrize(
    "question,expected",
    [
        ("What part does the mayor of London play in each of the two columns?",
         "What part does the mayor of London play?"),
        ("Both columns mention stroke services. What does each say?",
         "mention stroke services. What does each say?"),
        ("What do these two documents each say about waiting times?",
         "What do each say about waiting times?"),
        # A document named by its title is a topic; a plural that is the topic stays.
        ("What do the IFR policy and the SOP say about urgent cases?",
         "What do the IFR policy and the SOP say about urgent cases?"),
        ("Which policies apply to children?", "Which policies apply to children?"),
        # Nothing would be left to search for.
        ("What do the two columns say?", "What do the two columns say?"),
    ],
)
def test_words_pointing_at_the_documents_are_not_searched_for(question, expected):
    assert without_document_references(question) == expected


SEVERITY = (
    "14. Should severity be cited, the application should make clear:\n\n"
    "• whether the presentation lies outside the normal spectrum. Preferably, a recognised "
    "scoring system should be used\n\n"
    "• whether the patient has progressed much more rapidly than usual\n\n"
    "Clinical exceptionality: genotypes\n\n15. When the argument is a genotype, evidence is needed."
)


@pytest.mark.parametrize("position", [1, 2, 3, 4])  # 0 is the paragraph's number, "14."
def test_an_items_later_sentences_on_its_line_belong_to_the_list(position):
    # The IFR policy's paragraph 14: its first item is two sentences.
    parts = sentences(SEVERITY)
    first, last = list_run(parts, position, SEVERITY)
    assert parts[first].text.endswith("make clear:")
    assert parts[last].text.endswith("much more rapidly than usual")
    # Without the text, the second sentence of an item can't be told from prose.
    assert list_run(parts, 1) == (1, 2)


@pytest.mark.parametrize("line,author,byline", [
    # the seed column's standfirst, as its text holds it
    ("Essential insight into England’s biggest health economy, by Ben Clover.", "Ben Clover", True),
    ("By Helen Smith, Head of Policy", "Smith, Helen", True),
    ("What NHS England isn’t telling you, and more indispensable insight for commissioners. "
     "By senior bureau chief Dave West.", "Dave West", True),
    ("Ben Clover lists the bodies that crowd London’s landscape.", "Ben Clover", False),
    ("The review was led by Ben Clover, who then set out in a long report what the panel had "
     "found about the London devolution pilots, the obstacles in their way, and what the "
     "boards and trusts of the capital would need to do next.", "Ben Clover", False),
    ("Essential insight, by Ben Clover.", "", False),
])
def test_a_byline_is_a_short_line_crediting_the_author(line, author, byline):
    assert is_byline(line, author) is byline
