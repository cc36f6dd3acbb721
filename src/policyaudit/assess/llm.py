"""An optional external judge: a language model re-reads the engine's least certain verdicts.

The rule engine is transparent but literal; a model can read paraphrase. It is only trusted as far
as it can be checked, so every answer must quote its evidence verbatim from a passage it was
shown, and a quote that cannot be found there rejects the whole answer: the judge never invents
evidence. Any OpenAI-compatible chat endpoint works (a local Ollama at
``http://127.0.0.1:11434/v1``, a llama.cpp server, vLLM), through the standard library only.

Off by default: nothing in the package imports this module; a caller opts in by building a judge
and calling :func:`rejudge_low_confidence` on the engine's judgements.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from policyaudit.framework.schema import Standard

from .types import VERDICTS, Evidence, Judgement, Verdict

log = logging.getLogger(__name__)

MIN_QUOTE_CHARS = 10
"""Shorter quotes ("the policy") would match almost any passage and prove nothing."""

# One character for one, so offsets in the translated text are offsets in the original.
_PLAIN_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"'}
)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

SYSTEM_PROMPT = """\
You audit an organisation's policy documents against one standard from national guidance.
You are given the standard, its criteria for each verdict, and numbered passages from the
organisation's documents. Judge from the passages alone, following the criteria literally:
- "met": the passages say what the met criterion requires.
- "partial": they say some of it, as the partial criterion describes.
- "not_met": nothing in the passages addresses it.
Set "conflicts" to true only if a passage says something the conflicts criterion describes
(it contradicts the standard); otherwise false.
Support your verdict with one quote copied character for character from a single passage: no
paraphrase, no ellipsis, no added words. Give that passage's number. For "not_met" without a
conflict, use an empty quote and a null passage. If conflicts is true and the verdict is
"not_met", quote the conflicting text.
Reply with one JSON object and nothing else:
{"verdict": "met" | "partial" | "not_met", "conflicts": true | false,
 "quote": "<exact text from one passage>", "passage": <passage number or null>,
 "reason": "<one or two sentences>"}"""


@dataclass(frozen=True)
class LLMVerdict:
    """A checked answer: ``quote`` is an exact slice of ``passages[passage_index]`` (0-based).

    ``passage_index`` is None (and ``quote`` empty) only for a not_met verdict with no quote.
    """

    verdict: Verdict
    conflicts: bool
    quote: str
    passage_index: int | None
    reason: str


class Judge(Protocol):
    """Anything that can re-judge one standard for one organisation from its passages."""

    model: str

    def rejudge(
        self, standard: Standard, judgement: Judgement, passages: list[str]
    ) -> LLMVerdict | None:
        """A checked verdict, or None when there is no trustworthy answer (never raises)."""
        ...


class PassageLike(Protocol):
    """What :func:`rejudge_low_confidence` needs of a passage (``types.PassageView`` fits)."""

    @property
    def id(self) -> int | str: ...
    @property
    def document(self) -> str: ...
    @property
    def page(self) -> int | None: ...
    @property
    def section_text(self) -> str: ...
    @property
    def text(self) -> str: ...


def locate_quote(quote: str, passage: str) -> str | None:
    """The exact slice of ``passage`` that ``quote`` copies, or None.

    Whitespace runs and typographic quotation marks may differ (models reflow text), nothing
    else. Returning the passage's own slice keeps evidence an exact substring of the document.
    """
    quote = quote.strip()
    candidates = [quote]
    if len(quote) > 2 and quote[0] in "\"'“‘" and quote[-1] in "\"'”’":
        candidates.append(quote[1:-1].strip())  # the model wrapped the quote in quotation marks
    plain_passage = passage.translate(_PLAIN_QUOTES)
    for candidate in candidates:
        words = candidate.translate(_PLAIN_QUOTES).split()
        if not words:
            continue
        match = re.search(r"\s+".join(map(re.escape, words)), plain_passage)
        if match:
            return passage[match.start() : match.end()]
    return None


class OpenAICompatibleJudge:
    """A judge behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Every failure (network, timeout, HTTP status, malformed or unverifiable reply) is logged as
    one warning and returns None, so an unreachable model never stops an audit.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60,
        max_passages: int = 8,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.max_passages = max_passages

    def rejudge(
        self, standard: Standard, judgement: Judgement, passages: list[str]
    ) -> LLMVerdict | None:
        shown = passages[: self.max_passages]
        where = f"{judgement.org_id}/{standard.id}"
        if not shown:
            log.warning("external judge: %s: no passages to judge, skipped", where)
            return None
        body = self.request_body(standard, shown)
        try:
            reply = self._post(body)
            content = reply["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                raise ValueError("message content is not a string")
            return parse_verdict(content, shown)
        except urllib.error.HTTPError as exc:
            log.warning("external judge: %s: HTTP %s from %s", where, exc.code, self.url)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            log.warning("external judge: %s: cannot reach %s: %s", where, self.url, reason)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            log.warning("external judge: %s: reply rejected: %s", where, _one_line(exc))
        return None

    def request_body(self, standard: Standard, passages: list[str]) -> dict[str, Any]:
        """The chat request: deterministic, JSON-only, criteria and numbered passages."""
        return {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_message(standard, passages)},
            ],
        }

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status != 200:
                raise urllib.error.HTTPError(
                    self.url, response.status, response.reason, response.headers, None
                )
            return json.loads(response.read().decode("utf-8"))


def user_message(standard: Standard, passages: list[str]) -> str:
    """The standard, its criteria and the passages numbered from 1, as the model reads them."""
    c = standard.criteria
    lines = [
        f"Standard {standard.id}: {standard.title}",
        "",
        "Criteria:",
        f"- met: {c.met}",
        f"- partial: {c.partial or 'some, but not all, of what met requires'}",
        f"- not_met: {c.not_met}",
        f"- conflicts: {c.conflicts or 'a passage contradicts the standard'}",
        "",
        "Passages:",
    ]
    lines += [f"[{i}] {text}" for i, text in enumerate(passages, start=1)]
    return "\n".join(lines)


def parse_verdict(content: str, passages: list[str]) -> LLMVerdict:
    """Validate the model's JSON against the passages it was shown; ValueError says why not."""
    text = content.strip()
    fenced = _FENCE.match(text)
    data = json.loads(fenced.group(1) if fenced else text)
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    conflicts = data.get("conflicts")
    if not isinstance(conflicts, bool):
        raise ValueError(f"conflicts {conflicts!r} is not true/false")
    quote, reason, number = data.get("quote", ""), data.get("reason", ""), data.get("passage")
    if quote is None:
        quote = ""
    if not isinstance(quote, str) or not isinstance(reason, str):
        raise ValueError("quote and reason must be strings")
    if not quote.strip():
        if verdict == "not_met" and not conflicts:
            return LLMVerdict(verdict, conflicts, "", None, reason.strip())
        raise ValueError(
            f"a {verdict} verdict{' with conflicts' if conflicts else ''} needs a quote"
        )
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValueError(f"passage {number!r} is not a passage number")
    if not 1 <= number <= len(passages):
        raise ValueError(f"passage {number} is not among the {len(passages)} shown")
    if len(" ".join(quote.split())) < MIN_QUOTE_CHARS:
        raise ValueError(f"quote {quote!r} is too short to be evidence")
    exact = locate_quote(quote, passages[number - 1])
    if exact is None:
        raise ValueError(f"quote not found verbatim in passage {number}: {quote[:80]!r}")
    return LLMVerdict(verdict, conflicts, exact, number - 1, reason.strip())


def rejudge_low_confidence(
    judgements: Iterable[Judgement],
    standards_by_id: Mapping[str, Standard],
    passages_for: Callable[[Judgement], list[PassageLike]],
    judge: Judge,
    threshold: float = 0.6,
) -> int:
    """Ask ``judge`` about each judgement with confidence below ``threshold``; update in place.

    Only the uncertain ones go out, to keep a model's cost and latency where the engine needs
    help. An answered judgement takes the judge's verdict, conflicts and quoted evidence; its
    rationale keeps the engine's verdict so a reviewer sees what changed. Confidence stays the
    engine's. Returns how many judgements the judge answered (and so were updated).
    """
    changed = 0
    for j in judgements:
        if j.confidence >= threshold:
            continue
        standard = standards_by_id.get(j.standard_id)
        if standard is None:
            log.warning("external judge: %s: unknown standard %s", j.org_id, j.standard_id)
            continue
        passages = list(passages_for(j))
        if not passages:
            continue
        answer = judge.rejudge(standard, j, [p.text for p in passages])
        if answer is None:
            continue
        _apply(j, answer, passages, judge.model)
        changed += 1
    return changed


def _apply(j: Judgement, answer: LLMVerdict, passages: list[PassageLike], model: str) -> None:
    cited = None
    if answer.passage_index is not None:
        p = passages[answer.passage_index]
        cited = Evidence(p.document, p.page, p.section_text, answer.quote, p.id)
    before = f"{j.verdict}{', conflicts' if j.conflicts else ''}"
    engine_said = f"engine said {before}" + (f": {j.rationale}" if j.rationale else "")
    if answer.verdict == "not_met":
        # A not_met verdict has no supporting evidence; a quote then shows the conflict.
        j.evidence, j.evidence_documents = None, []
        j.conflict = cited if answer.conflicts else None
    else:
        j.evidence = cited
        j.evidence_documents = [cited.document] if cited else []
        # The engine's conflict evidence stands only if the judge also sees a conflict.
        j.conflict = j.conflict if answer.conflicts else None
    j.verdict, j.conflicts = answer.verdict, answer.conflicts
    j.rationale = f"external judge: {answer.reason or answer.verdict} ({engine_said})"
    j.source = f"llm:{model}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
