"""The framework file format: standards as data, validated with pydantic.

A framework author writes YAML, never Python. Each standard lists the *elements* a met verdict
needs, the lexical cues that show an element (regular expressions, case-insensitive), example
sentences in plain words (used for semantic retrieval and to rank evidence), and the verdict
rules that combine elements. The engine in ``policyaudit.assess`` interprets these fields; this
module only defines and validates them.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Cue = str | list[str]
"""A regex, or a list of regexes that must all match within the same sentence."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_regexes(cues: list[Cue]) -> list[Cue]:
    for cue in cues:
        for pattern in [cue] if isinstance(cue, str) else cue:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        if isinstance(cue, list) and not cue:
            raise ValueError("an all-of cue needs at least one pattern")
    return cues


class Element(_Strict):
    """Something the documents must say (or, for a conflict, must not say)."""

    id: str = Field(pattern=r"^[A-Za-z][\w-]*$")
    description: str
    cues: list[Cue] = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(
        default_factory=list,
        description="a sentence matching any of these never counts (e.g. 'no separate training')",
    )
    negation: Literal["reject", "require", "ignore"] = Field(
        "reject",
        description="reject: a negated match does not count; require: only a negated match "
        "counts (a prohibition); ignore: polarity does not matter (the cue carries it)",
    )
    context: list[str] = Field(
        default_factory=list,
        description="at least one must match the passage, its heading path or the document title",
    )
    sentence_context: list[str] = Field(
        default_factory=list,
        description="at least one must match the same sentence (a tighter topic link)",
    )
    scope: Literal["sentence", "passage", "section"] = Field(
        "sentence",
        description="where an all-of cue's patterns must all match: one sentence, one "
        "paragraph, or (section) the first pattern in a sentence and the others anywhere in "
        "its section (an element stated, then qualified: 'This assessment should be repeated')",
    )
    in_references: bool = Field(
        False,
        description="cues may match inside names of other documents and cross-references "
        "(for an element whose evidence is the cross-reference itself)",
    )

    @field_validator("cues", "exclude", "context", "sentence_context")
    @classmethod
    def _regexes_compile(cls, value: list[Cue]) -> list[Cue]:
        return _check_regexes(value)


class Criteria(_Strict):
    """The human-readable criteria, shown to reviewers and in reports."""

    met: str
    partial: str | None = None
    not_met: str = "Nothing in the policies addresses it."
    conflicts: str | None = None


class Standard(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*$")
    title: str
    nice_refs: list[str] = Field(default_factory=list)
    criteria: Criteria
    query: str | None = Field(None, description="retrieval query; defaults to title + met criteria")
    together: Literal["sentence", "passage", "section", "document", "organisation"] = Field(
        "organisation",
        description="where the elements of a met set must be found together: a definition must "
        "sit in one section, while most standards may combine an organisation's documents",
    )
    elements: list[Element] = Field(min_length=1)
    met: list[list[str]] = Field(
        min_length=1, description="met when every element of any one of these sets is found"
    )
    partial: list[str] = Field(
        default_factory=list, description="partial when any of these elements is found"
    )
    conflicts: list[Element] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules_name_elements(self) -> Standard:
        known = {e.id for e in self.elements}
        if len(known) != len(self.elements):
            raise ValueError(f"{self.id}: element ids must be unique")
        named = {e for group in self.met for e in group} | set(self.partial)
        unknown = sorted(named - known)
        if unknown:
            raise ValueError(f"{self.id}: met/partial name unknown elements {unknown}")
        return self

    @property
    def retrieval_query(self) -> str:
        return self.query or f"{self.title}. {self.criteria.met}"


class DedicatedPolicyRule(_Strict):
    """How to tell a document whose main subject is the framework's topic."""

    title_cues: list[str] = Field(min_length=1)
    exclude_title_cues: list[str] = Field(default_factory=list)
    purpose_cues: list[str] = Field(
        default_factory=list,
        description="a stated purpose that makes the topic the main subject; used only for "
        "documents whose title names no other subject",
    )
    other_subject_title_cues: list[str] = Field(
        default_factory=list,
        description="titles naming another main subject (observation, searching...): their "
        "purpose statements never make them dedicated policies",
    )


class Attributes(_Strict):
    """Organisation-level attributes the analysis reports beside the standards."""

    definition_standard: str | None = None
    definition_nice_elements: list[str] = Field(default_factory=list)
    definition_elements: list[str] = Field(default_factory=list)
    harm_reduction_cues: list[str] = Field(default_factory=list)
    dedicated_policy: DedicatedPolicyRule | None = None


class Framework(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    version: str
    source: str = ""
    description: str = ""
    topic_cues: list[str] = Field(
        default_factory=list, description="words that mark text as about the framework's topic"
    )
    vocabulary: dict[str, list[str]] = Field(
        default_factory=dict,
        description="named cue lists, to be reused in standards with YAML anchors (&name, *name)",
    )
    descriptive_sections: list[str] = Field(
        default_factory=list,
        description="heading regexes of sections that describe rather than direct (purpose, "
        "scope): their text still counts, but is quoted only when nothing better exists",
    )
    non_evidence_sections: list[str] = Field(
        default_factory=list,
        description="heading regexes whose sections are never evidence (contents, references)",
    )
    attributes: Attributes = Field(default_factory=Attributes)
    standards: list[Standard] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Framework:
        ids = [s.id for s in self.standards]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate standard ids {dupes}")
        a = self.attributes
        if a.definition_standard and a.definition_standard not in ids:
            raise ValueError(f"definition_standard {a.definition_standard!r} is not a standard")
        return self

    def standard(self, standard_id: str) -> Standard:
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)
