"""Question kinds, on questions written for the synthesis and policy sets."""

from __future__ import annotations

import pytest

from assistant.answering.question_kind import question_kind


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Who chairs Lewisham CCG?", "fact"),
        ("How many standing advisory groups does the new risk assessment process establish?",
         "fact"),
        ("What interval between the two Shingrix doses is being used in England?", "fact"),
        ("What criteria must an individual funding request meet before NHS England will fund it?",
         "list"),
        ("What are NHS England's national priorities for 2025/26?", "list"),
        ("In which circumstances must a pharmacist issue an FP57 refund form?", "list"),
        ("What does the planning guidance expect ICBs to do about urgent dental care?", "list"),
        ("If a clinician argues their patient is exceptional, what must the application show?",
         "list"),
        ("By the time a child starts school, which vaccines should they have had?", "list"),
        ("How does NHS England decide whether it is the responsible commissioner?", "list"),
        ("When would buying a prepayment certificate save a patient money?", "list"),
        ("When did the certificate scheme start?", "fact"),
        ("How often does the Panel meet?", "fact"),
        ("How often are requests screened, according to the policy and to the SOP?", "compare"),
        ("What are the steps of the IFR review process?", "steps"),
        ("How has the shingles vaccination programme changed since it began?", "steps"),
        ("How does the IFR policy differ from the SOP on reviews?", "compare"),
        ("What do the two columns say about London's STPs?", "compare"),
        ("What did the Inquiry recommend on red teams, and what is the Government doing about it?",
         "compare"),
        ("Summarise the HRT prepayment certificate guidance.", "summary"),
        ("What were the main flaws the Inquiry found in pandemic preparedness?", "summary"),
    ],
)
def test_kinds(question, kind):
    assert question_kind(question) == kind
