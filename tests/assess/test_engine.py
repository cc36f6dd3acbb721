"""The judgement engine on small hand-written passages: one behaviour per test."""

from __future__ import annotations

import pytest

from policyaudit.assess.engine import judge_standard, prepare
from policyaudit.assess.sentences import delegates, mask_references, split_spans
from policyaudit.assess.types import PassageView
from policyaudit.framework.loader import load_framework


@pytest.fixture(scope="module")
def framework():
    return load_framework().framework


def _org(*texts: str, section: tuple[str, ...] = ("7. Procedure",), doc: str = "policy"):
    return [PassageView(i, doc, "Clinical Risk Policy", 3, section, t) for i, t in enumerate(texts)]


def judge(framework, standard_id: str, passages):
    org = prepare("X", passages, framework)
    return judge_standard(framework.standard(standard_id), org)


def test_prohibition_of_risk_tools_meets_s05(framework):
    j = judge(
        framework,
        "S05",
        _org(
            "Risk assessment tools and scales must not be used to predict future suicide or to "
            "decide whether a person is discharged."
        ),
    )
    assert (j.verdict, j.conflicts) == ("met", False)
    assert j.evidence is not None and "must not be used to predict" in j.evidence.quote


def test_rating_risk_low_medium_high_conflicts_with_s05(framework):
    j = judge(
        framework,
        "S05",
        _org(
            "The nurse must rate the patient's risk as low, medium or high, and the risk band sets "
            "the minimum level of observation."
        ),
    )
    assert (j.verdict, j.conflicts) == ("not_met", True)
    assert j.conflict is not None and "low, medium or high" in j.conflict.quote


def test_historical_statement_is_not_a_conflict(framework):
    j = judge(
        framework,
        "S05",
        _org(
            "For many years the Trust asked staff to rate people as low, medium or high risk, and "
            "the band decided their observation level."
        ),
    )
    assert j.conflicts is False


def test_negated_sanction_is_not_a_conflict_but_a_sanction_is(framework):
    kind = judge(
        framework,
        "S02",
        _org("Leave and activities must not be withdrawn as a punishment for self-harm."),
    )
    punitive = judge(
        framework,
        "S02",
        _org("Any patient who self-harms will have their leave suspended for 72 hours."),
    )
    assert kind.conflicts is False
    assert punitive.conflicts is True


def test_generic_dignity_is_partial_and_linked_compassion_is_met(framework):
    generic = judge(framework, "S02", _org("All patients are treated with dignity and respect."))
    linked = judge(
        framework,
        "S02",
        _org(
            "Staff respond to people who have harmed themselves with compassion and "
            "without judgement."
        ),
    )
    assert generic.verdict == "partial"
    assert linked.verdict == "met"


def test_reference_to_another_document_is_not_evidence(framework):
    j = judge(
        framework,
        "S07",
        _org("For safety planning, staff should refer to the Safety Planning Procedure (SP/01)."),
    )
    assert j.verdict == "not_met"
    assert j.confidence == 0.0  # confidence is set by assign_confidence, not the engine
    assert any(f.n_references for f in j.elements)


def test_contents_entries_are_not_evidence(framework):
    passages = _org(
        "Appendix 4 Safety plan template to be completed with the patient and reviewed weekly",
        section=("Contents",),
    )
    assert judge(framework, "S07", passages).verdict == "not_met"


def test_short_labels_are_not_evidence(framework):
    assert judge(framework, "S07", _org("Safety plan")).verdict == "not_met"


def test_collaborative_reviewed_safety_plan_meets_s07_and_contract_conflicts(framework):
    j = judge(
        framework,
        "S07",
        _org(
            "A safety plan is written together with the person and reviewed after every episode.",
            "Before observation is reduced the patient signs a no self-harm contract.",
        ),
    )
    assert (j.verdict, j.conflicts) == ("met", True)


def test_forbidding_contracts_is_not_a_conflict(framework):
    j = judge(
        framework, "S07", _org("Staff must never ask a person to agree to a no-harm contract.")
    )
    assert j.conflicts is False


def test_met_needs_every_element_and_one_is_partial(framework):
    one = judge(
        framework,
        "S03",
        _org(
            "After an episode of self-harm, first aid is given and the duty doctor "
            "examines the injury."
        ),
    )
    both = judge(
        framework,
        "S03",
        _org(
            "First aid is given and the duty doctor examines the injury.",
            "The nurse in charge then assesses the person's mental state and immediate safety.",
            section=("5. Procedure", "5.5 If a patient harms themselves"),
        ),
    )
    assert one.verdict == "partial"
    assert both.verdict == "met"
    assert "mental_state" in one.rationale


def test_definition_elements_must_sit_in_one_section(framework):
    split = [
        PassageView(
            1, "a", "A", 1, ("4. Definitions",), "Self-harm means deliberately injuring oneself."
        ),
        PassageView(
            2,
            "a",
            "A",
            4,
            ("9. Response",),
            "Staff respond the same way to self-harm by self-poisoning or by injury, "
            "irrespective of its purpose.",
        ),
    ]
    together = [
        PassageView(
            1,
            "a",
            "A",
            1,
            ("4. Definitions",),
            "Self-harm is intentional self-poisoning or self-injury, irrespective of the "
            "apparent purpose of the act.",
        ),
    ]
    assert judge(framework, "S01", together).verdict == "met"
    assert judge(framework, "S01", split).verdict == "partial"


def test_quotes_are_exact_substrings_without_paragraph_numbers(framework):
    text = (
        "7.4.2 Staff must not use risk assessment tools or scales to predict suicide. "
        "Another sentence follows here."
    )
    j = judge(framework, "S05", _org(text))
    assert j.evidence is not None
    assert j.evidence.quote in text
    assert not j.evidence.quote.startswith("7.4.2")


def test_sentence_split_keeps_abbreviations():
    text = "Use safer alternatives, e.g. Elastic bands. Then review it."
    spans = split_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Use safer alternatives, e.g. Elastic bands.",
        "Then review it.",
    ]


def test_reference_masking_keeps_offsets_and_spots_delegation():
    text = "Staff should refer to the Searching Policy (SP-2) for this."
    masked = mask_references(text)
    assert len(masked) == len(text)
    assert "Searching" not in masked
    assert delegates(text, masked)
    plain = "Staff should search the room with the patient present."
    assert not delegates(plain, mask_references(plain))
