"""A starting framework file for authors: one working standard with every field explained.

Authors learn the format fastest from a file that already validates and already finds evidence,
so the template is a real standard (a collaborative safety plan, NG225's S07 in simplified
form) rather than empty placeholders. Its id matches the NG225 framework's S07 so that
``policyaudit frameworks test`` can score it against the gold labels shipped for the demo
corpus straight away. Every field of ``policyaudit.framework.schema`` appears, with a comment
saying what it does, so that editing the file is the documentation.
"""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

_TEMPLATE = r"""# __ID__: a framework of standards for policyaudit.
#
# Made by `policyaudit frameworks new`. Check it with `policyaudit frameworks validate FILE`,
# score it against hand-coded organisations with `policyaudit frameworks test FILE CORPUS GOLD`
# and audit with it by `policyaudit audit CORPUS --framework FILE`. The full guide is
# docs/frameworks.md.
#
# How the engine reads this file:
# - Cues are Python regular expressions, matched case-insensitively against one sentence at a
#   time. Write them in single quotes so backslashes stay as written ('\bMDT\b').
# - A cue written as a list is an all-of cue: every pattern must match (by default in the same
#   sentence).
# - A standard is `met` when every element of any one `met` set is found, `partial` when any
#   element listed under `partial` is found, else `not_met`; `conflicts` is true when any
#   conflict element is found. A standard is judged over all of an organisation's documents.
# - Contents lists, references, document control, headings and sentences that hand the topic to
#   another document ("see the Safety Planning Procedure") are never evidence.

# Framework id: lower case letters, digits, - and _. Used by --framework and recorded per run.
id: __ID__
# Shown at the top of the report.
title: "__TITLE__"
# Raise it whenever you change a rule: every run records the version and the file's sha256.
version: "0.1.0"
# Where the standards come from (guidance, section, date); shown in reports.
source: "Describe the guidance these standards are taken from."
# One or two sentences on what the framework covers and how it is applied.
description: >-
  What a policy should say about the topic. A standard met in any one of an organisation's
  documents is met for the organisation.

# Words that mark text as being about the framework's topic (regexes).
topic_cues:
  - 'self[- ]?harm|self[- ]?injur'

# Named cue lists to reuse in several standards: define one with a YAML anchor (&name) here and
# use it below with an alias (*name).
vocabulary:
  plan_names: &plan_names
    - '(safety|staying safe|keeping safe|crisis) plans?\b'

# Heading regexes of sections that describe rather than direct (purpose, scope): their text
# still counts, but is quoted as evidence only when nothing better exists.
descriptive_sections:
  - '\b(purpose|scope|introduction|aims?|summary|overview|background)\b'

# Heading regexes of sections that are never evidence.
non_evidence_sections:
  - '\bcontents\b'
  - '^(\d+(\.\d+)*\.?\s*)?(references|bibliography|further reading)\b'
  - '\b(version|revision|amendment|document) (history|control)\b'

# Organisation-level attributes reported beside the standards. All are optional; delete what
# you do not need.
attributes:
  # definition_standard: S01            # a standard whose evidence is the topic's definition
  # definition_elements: [definition]   # its elements that show some definition (divergent)
  # definition_nice_elements: [definition, scope]  # all found and met: the definition is "nice"
  # Any sentence matching one of these marks the organisation as mentioning harm reduction.
  harm_reduction_cues: []
  # How to tell a document whose main subject is the topic (a "dedicated policy"); the report
  # compares organisations with and without one.
  dedicated_policy:
    title_cues: ['self[- ]?harm']        # a title matching one of these is dedicated...
    exclude_title_cues: ['leaflet']      # ...unless it matches one of these
    purpose_cues: []                     # or its stated purpose names the topic...
    other_subject_title_cues: []         # ...and its title names no other subject

standards:
  # Standard id: letters, digits, '.', '-' and '_'. Shown in every table.
  - id: S07
    title: Collaborative safety plan
    # References to the guidance, as text (section-level where exact numbers are unverified).
    nice_refs: ["NG225 safety planning recommendations"]
    # What people read: reviewers, the report and the gap reports. Say in plain words what
    # met, partial, not met and conflicts mean; the rules below should do what these say.
    criteria:
      met: A safety plan is developed with the person, and it is reviewed or they keep a copy.
      partial: A safety plan is required, but not developed with the person or never reviewed.
      not_met: Nothing in the policies requires a safety plan.
      conflicts: The person is asked to promise not to self-harm (a "no-harm contract").
    # The retrieval query for ranking evidence and nearest passages (default: title + met).
    query: safety plan developed with the person reviewed copy given
    # Where the elements of a met set must be found together: sentence, passage, section,
    # document or organisation (the default: anywhere in the organisation's documents).
    together: organisation
    # Elements: the things the documents must say. Each is found sentence by sentence.
    elements:
      - id: plan_with_person
        # Shown in explanations and in `frameworks show`.
        description: a safety plan developed with the person
        # One cue (string) or an all-of cue (list) is enough to find the element. A long
        # all-of cue may be wrapped over several lines inside its brackets.
        cues:
          - ['(safety|staying safe|keeping safe|crisis) plan',
             '\bwith (the|each|every|them)\b|together|collaborat|jointly']
        # Sentences in your own words: they rank evidence and drive semantic retrieval.
        examples:
          - "A safety plan is written together with the person, in their own words."
        # A sentence matching any of these never counts.
        exclude:
          - '\b(training|course|e-?learning)\b'
        # reject (default): a negated match ("no safety plan is needed") does not count;
        # require: only a negated match counts (a prohibition, "must not be used");
        # ignore: polarity does not matter because the cue itself carries it.
        negation: reject
        # At least one of these must match the passage, its heading path or the document title.
        context: []
        # At least one of these must match the same sentence (or its own heading).
        sentence_context: []
        # Where an all-of cue's patterns must all match: sentence (default), passage, or
        # section (the first pattern in a sentence, the others anywhere in its section).
        scope: sentence
        # true: cues may match inside names of other documents ("see the Safety Plan Policy"),
        # for an element whose evidence is the cross-reference itself.
        in_references: false
      - id: plan_reviewed_or_shared
        description: the safety plan is reviewed or the person keeps a copy
        cues:
          - ['(safety|staying safe|keeping safe|crisis) plan', 'review|update|copy|copies|given to']
      - id: plan_required
        description: a safety plan is required
        cues: *plan_names
    # Met when every element of any one of these sets is found (here: one set of two).
    met:
      - [plan_with_person, plan_reviewed_or_shared]
    # Partial when any of these is found (and the standard is not met).
    partial: [plan_with_person, plan_reviewed_or_shared, plan_required]
    # Conflict elements: any one found sets conflicts = true, whatever the verdict.
    conflicts:
      - id: no_harm_contract
        description: a no-harm or safety contract
        cues:
          - 'no[- ]?(self[- ]?)?harm contract|safety contract'
        # negation is left at reject, so "no-harm contracts must not be used" is no conflict
"""


class ScaffoldError(ValueError):
    """The framework name cannot be used as an id."""


def title_of(name: str) -> str:
    """``my-framework`` -> ``My framework``: a readable default title."""
    words = re.split(r"[-_]+", name)
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def scaffold(name: str, title: str | None = None) -> str:
    """The text of a new framework file whose id is ``name``."""
    if not ID_PATTERN.match(name):
        raise ScaffoldError(
            f"{name!r} cannot be a framework id: use lower case letters, digits, - and _, "
            "starting with a letter or digit"
        )
    text_title = (title or title_of(name)).replace("\\", "\\\\").replace('"', '\\"')
    return _TEMPLATE.replace("__ID__", name).replace("__TITLE__", text_title)
