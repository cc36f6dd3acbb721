"""Judge many organisations from their extracted documents (no database needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from policyaudit.assess.attributes import organisation_attributes
from policyaudit.assess.confidence import assign_confidence
from policyaudit.assess.engine import Similarity, judge_standard, prepare
from policyaudit.assess.types import Judgement, OrgAttributes, PassageView
from policyaudit.framework.schema import Framework


def assess_organisation(
    org_id: str,
    passages: Sequence[PassageView],
    titles: dict[str, str],
    framework: Framework,
    similarity: Similarity | None = None,
    dedicated_override: bool | None = None,
) -> tuple[list[Judgement], OrgAttributes]:
    org = prepare(org_id, passages, framework)
    judgements = [judge_standard(s, org, similarity) for s in framework.standards]
    for j in judgements:
        assign_confidence(j, framework.standard(j.standard_id))
    attrs = organisation_attributes(framework, org, judgements, titles, dedicated_override)
    return judgements, attrs


def assess_all(
    orgs: Mapping[str, tuple[Sequence[PassageView], dict[str, str]]],
    framework: Framework,
    similarity: Similarity | None = None,
    overrides: Mapping[str, bool | None] | None = None,
) -> tuple[list[Judgement], list[OrgAttributes]]:
    judgements: list[Judgement] = []
    attributes: list[OrgAttributes] = []
    for org_id, (passages, titles) in sorted(orgs.items()):
        override = (overrides or {}).get(org_id)
        js, attrs = assess_organisation(org_id, passages, titles, framework, similarity, override)
        judgements.extend(js)
        attributes.append(attrs)
    return judgements, attributes
