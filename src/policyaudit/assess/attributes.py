"""Organisation-level attributes: dedicated policy, definition class, harm reduction."""

from __future__ import annotations

from collections.abc import Sequence

from policyaudit.assess.engine import OrgText
from policyaudit.assess.rules import matches_any
from policyaudit.assess.types import Judgement, OrgAttributes
from policyaudit.framework.schema import Framework


def dedicated_documents(
    framework: Framework, titles: dict[str, str], purposes: dict[str, str] | None = None
) -> list[str]:
    """Documents whose main subject is the framework's topic, by title or stated purpose.

    ``titles`` maps document stem to stated title (the stem stands in where none was found);
    ``purposes`` maps stem to the text of its opening sections.
    """
    rule = framework.attributes.dedicated_policy
    if rule is None:
        return []
    out = []
    for stem, title in titles.items():
        text = title or stem.replace("-", " ")
        if matches_any(rule.exclude_title_cues, text):
            continue
        by_title = matches_any(rule.title_cues, text)
        by_purpose = (
            bool(rule.purpose_cues)
            and not matches_any(rule.other_subject_title_cues, text)
            and matches_any(rule.purpose_cues, (purposes or {}).get(stem, ""))
        )
        if by_title or by_purpose:
            out.append(stem)
    return sorted(out)


def stated_purposes(org: OrgText, framework: Framework) -> dict[str, str]:
    """Each document's purpose/scope/introduction text, where the document states its subject."""
    texts: dict[str, list[str]] = {}
    for s in org.sentences:
        if s.descriptive:
            texts.setdefault(s.passage.document, []).append(s.text)
    return {doc: " ".join(parts) for doc, parts in texts.items()}


def definition_class(framework: Framework, judgements: Sequence[Judgement]) -> tuple[str, str, str]:
    """(class, document, text) of the organisation's definition, from the definition standard."""
    attr = framework.attributes
    if not attr.definition_standard:
        return "none", "", ""
    j = next((j for j in judgements if j.standard_id == attr.definition_standard), None)
    if j is None:
        return "none", "", ""
    found = {f.element_id: f for f in j.elements if f.found}
    nice = attr.definition_nice_elements
    if j.verdict == "met" and all(e in found for e in nice):
        ev = j.evidence
        return "nice", ev.document if ev else "", ev.quote if ev else ""
    definition = next((found[e] for e in attr.definition_elements if e in found), None)
    if definition is not None and definition.evidence is not None:
        ev = definition.evidence
        return "divergent", ev.document, ev.quote
    return "none", "", ""


def organisation_attributes(
    framework: Framework,
    org: OrgText,
    judgements: Sequence[Judgement],
    titles: dict[str, str],
    dedicated_override: bool | None = None,
) -> OrgAttributes:
    dedicated = dedicated_documents(framework, titles, stated_purposes(org, framework))
    cls, def_doc, def_text = definition_class(framework, judgements)
    cues = framework.attributes.harm_reduction_cues
    harm_reduction = bool(cues) and any(matches_any(cues, s.match_text) for s in org.sentences)
    with_guidance = sorted(
        {d for j in judgements if j.verdict != "not_met" for d in j.evidence_documents}
    )
    return OrgAttributes(
        org_id=org.org_id,
        has_dedicated_policy=bool(dedicated) if dedicated_override is None else dedicated_override,
        dedicated_policy_source="detected" if dedicated_override is None else "organisations.csv",
        dedicated_documents=dedicated,
        definition_class=cls,  # type: ignore[arg-type]
        definition_document=def_doc,
        definition_text=def_text,
        harm_reduction_mentioned=harm_reduction,
        documents_with_guidance=with_guidance,
    )
