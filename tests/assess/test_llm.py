"""Tests for the optional external judge against a real local HTTP server (127.0.0.1 only).

The server speaks just enough of the OpenAI chat API to record what the judge sends and to reply
with scripted answers, so the whole path (request, HTTP, parsing, quote check, update) is real.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from policyaudit.assess.llm import (
    LLMVerdict,
    OpenAICompatibleJudge,
    locate_quote,
    parse_verdict,
    rejudge_low_confidence,
)
from policyaudit.assess.types import Evidence, Judgement, PassageView
from policyaudit.framework.schema import Criteria, Element, Standard

MODEL = "test-model"

STANDARD = Standard(
    id="S1",
    title="Staff training",
    criteria=Criteria(
        met="All staff receive training on self-harm, refreshed at least every two years.",
        partial="Training is mentioned without saying who receives it or how often.",
        conflicts="Training is said to be unnecessary.",
    ),
    elements=[Element(id="training", description="staff training", cues=["train"])],
    met=[["training"]],
)

PASSAGES = [
    PassageView(1, "intro", "Introduction", 1, ("Purpose",), "This policy applies to all staff."),
    PassageView(
        2,
        "training-policy",
        "Training policy",
        4,
        ("Staff", "Training"),
        "All staff complete self-harm awareness training, refreshed every two years.",
    ),
]


# ---------------------------------------------------------------------------------------------
# A scripted OpenAI-compatible server
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeServer:
    """Records request bodies and answers each with the next scripted (status, body)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    replies: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply_content(self, content: str, status: int = 200) -> None:
        """Queue a chat completion whose message content is ``content``."""
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        self.replies.append((status, json.dumps(body).encode()))

    def reply_verdict(self, **fields: Any) -> None:
        self.reply_content(json.dumps(fields))


def _handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with state.lock:
                if self.path != "/v1/chat/completions":
                    status, body = 404, b'{"error": "not found"}'
                else:
                    state.requests.append(json.loads(raw))
                    state.headers.append(dict(self.headers))
                    status, body = state.replies.pop(0) if state.replies else (500, b"{}")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def judge_for(url: str, **kwargs: Any) -> OpenAICompatibleJudge:
    return OpenAICompatibleJudge(url, MODEL, timeout=5, **kwargs)


def low_judgement(confidence: float = 0.3) -> Judgement:
    return Judgement(
        org_id="org1",
        standard_id="S1",
        verdict="partial",
        conflicts=False,
        confidence=confidence,
        evidence=Evidence("intro", 1, "Purpose", "This policy applies to all staff.", 1),
        conflict=None,
        rationale="partial: found training",
        evidence_documents=["intro"],
    )


def run(judge: OpenAICompatibleJudge, *judgements: Judgement, threshold: float = 0.6) -> int:
    return rejudge_low_confidence(
        list(judgements), {"S1": STANDARD}, lambda _j: list(PASSAGES), judge, threshold=threshold
    )


def closed_port_url() -> str:
    """A 127.0.0.1 URL on which nothing listens: bind a free port, then release it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ---------------------------------------------------------------------------------------------
# Through the server
# ---------------------------------------------------------------------------------------------


def test_valid_reply_updates_judgement(server: FakeServer) -> None:
    server.reply_verdict(
        verdict="met",
        conflicts=False,
        # reflowed whitespace is tolerated; the stored quote is the passage's own text
        quote="All staff  complete self-harm awareness\ntraining, refreshed every two years.",
        passage=2,
        reason="Training for all staff with a two-year refresh.",
    )
    j = low_judgement()
    assert run(judge_for(server.url), j) == 1

    assert j.verdict == "met"
    assert j.conflicts is False
    assert j.source == f"llm:{MODEL}"
    assert j.evidence == Evidence(
        "training-policy",
        4,
        "Staff > Training",
        "All staff complete self-harm awareness training, refreshed every two years.",
        2,
    )
    assert j.evidence.quote in PASSAGES[1].text
    assert j.evidence_documents == ["training-policy"]
    assert j.rationale.startswith("external judge: Training for all staff")
    assert "engine said partial" in j.rationale
    assert j.confidence == 0.3  # the engine's measure is kept


def test_request_carries_model_temperature_criteria_and_passages(server: FakeServer) -> None:
    server.reply_verdict(verdict="not_met", conflicts=False, quote="", passage=None, reason="no")
    judge = OpenAICompatibleJudge(server.url, MODEL, api_key="secret", timeout=5)
    assert run(judge, low_judgement()) == 1

    (body,) = server.requests
    assert body["model"] == MODEL
    assert body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user"]
    user = body["messages"][1]["content"]
    criteria = STANDARD.criteria
    for text in (STANDARD.id, STANDARD.title, criteria.met, criteria.partial, criteria.conflicts):
        assert text in user
    assert criteria.not_met in user
    assert f"[1] {PASSAGES[0].text}" in user
    assert f"[2] {PASSAGES[1].text}" in user
    assert server.headers[0]["Authorization"] == "Bearer secret"


def test_not_met_without_quote_clears_evidence(server: FakeServer) -> None:
    server.reply_verdict(verdict="not_met", conflicts=False, quote="", passage=None, reason="none")
    j = low_judgement()
    assert run(judge_for(server.url), j) == 1
    assert (j.verdict, j.evidence, j.evidence_documents) == ("not_met", None, [])


def test_max_passages_limits_what_is_sent(server: FakeServer) -> None:
    server.reply_verdict(verdict="not_met", conflicts=False, quote="", passage=None, reason="none")
    assert run(judge_for(server.url, max_passages=1), low_judgement()) == 1
    user = server.requests[0]["messages"][1]["content"]
    assert PASSAGES[0].text in user
    assert PASSAGES[1].text not in user


@pytest.mark.parametrize(
    "quote, passage",
    [
        ("All staff receive annual training on self-harm.", 2),  # invented
        ("All staff complete self-harm awareness training", 1),  # real, but cites the wrong one
        ("All staff complete self-harm awareness training", 7),  # no such passage
    ],
)
def test_unverifiable_quote_is_rejected(
    server: FakeServer, caplog: pytest.LogCaptureFixture, quote: str, passage: int
) -> None:
    server.reply_verdict(verdict="met", conflicts=False, quote=quote, passage=passage, reason="r")
    j = low_judgement()
    before = copy.deepcopy(j)
    with caplog.at_level(logging.WARNING, logger="policyaudit.assess.llm"):
        assert run(judge_for(server.url), j) == 0
    assert j == before
    assert len(server.requests) == 1
    assert "reply rejected" in caplog.text


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda s: s.reply_content("this is not JSON {"), id="malformed-content"),
        pytest.param(lambda s: s.reply_content('["met"]'), id="not-an-object"),
        pytest.param(
            lambda s: s.reply_verdict(verdict="yes", conflicts=False, quote="", reason=""),
            id="unknown-verdict",
        ),
        pytest.param(
            lambda s: s.reply_verdict(verdict="met", conflicts="no", quote="x", passage=1),
            id="conflicts-not-bool",
        ),
        pytest.param(lambda s: s.replies.append((200, b"<html>")), id="body-not-json"),
        pytest.param(lambda s: s.replies.append((200, b'{"choices": []}')), id="no-choices"),
        pytest.param(lambda s: s.reply_content("{}", status=500), id="http-500"),
    ],
)
def test_bad_replies_leave_judgement_unchanged(
    server: FakeServer, caplog: pytest.LogCaptureFixture, script: Any
) -> None:
    script(server)
    j = low_judgement()
    before = copy.deepcopy(j)
    with caplog.at_level(logging.WARNING, logger="policyaudit.assess.llm"):
        assert run(judge_for(server.url), j) == 0
    assert j == before
    assert len(server.requests) == 1
    assert caplog.records and all("\n" not in r.getMessage() for r in caplog.records)


def test_connection_refused_leaves_judgement_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    j = low_judgement()
    before = copy.deepcopy(j)
    with caplog.at_level(logging.WARNING, logger="policyaudit.assess.llm"):
        assert run(judge_for(closed_port_url()), j) == 0
    assert j == before
    assert "cannot reach" in caplog.text


def test_confident_judgements_are_not_sent(server: FakeServer) -> None:
    at, above = low_judgement(confidence=0.6), low_judgement(confidence=0.95)
    before = copy.deepcopy([at, above])
    assert run(judge_for(server.url), at, above, threshold=0.6) == 0
    assert server.requests == []
    assert [at, above] == before


def test_only_low_ones_are_sent(server: FakeServer) -> None:
    server.reply_verdict(verdict="not_met", conflicts=False, quote="", passage=None, reason="none")
    low, high = low_judgement(confidence=0.1), low_judgement(confidence=0.9)
    assert run(judge_for(server.url), high, low) == 1
    assert len(server.requests) == 1
    assert (low.source, high.source) == (f"llm:{MODEL}", "engine")


# ---------------------------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------------------------


def test_locate_quote_returns_the_passage_slice() -> None:
    passage = "Staff  should 'always' report\nconcerns to the lead."
    assert locate_quote("should ‘always’ report concerns", passage) == (
        "should 'always' report\nconcerns"
    )
    assert (
        locate_quote('"report concerns to the lead."', passage) == "report\nconcerns to the lead."
    )
    assert locate_quote("report all concerns", passage) is None
    assert locate_quote("   ", passage) is None


def test_parse_verdict_conflict_quote_and_fences() -> None:
    content = (
        '```json\n{"verdict": "not_met", "conflicts": true, "passage": 1, "reason": "r",'
        ' "quote": "applies to all staff"}\n```'
    )
    assert parse_verdict(content, [PASSAGES[0].text]) == LLMVerdict(
        "not_met", True, "applies to all staff", 0, "r"
    )
    with pytest.raises(ValueError, match="too short"):
        parse_verdict(
            '{"verdict": "met", "conflicts": false, "quote": "all", "passage": 1}', ["all"]
        )
    with pytest.raises(ValueError, match="needs a quote"):
        parse_verdict('{"verdict": "partial", "conflicts": false, "quote": ""}', ["x"])


def test_audit_command_sends_low_confidence_cells_to_the_judge(
    server: FakeServer, tmp_path: Any
) -> None:
    """`policyaudit audit --judge-url` re-judges only the cells below the threshold."""
    import csv

    from typer.testing import CliRunner

    from policyaudit.cli.main import app

    for _ in range(60):
        server.reply_verdict(verdict="not_met", conflicts=False, quote="", reason="nothing")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "--out",
            str(out),
            "--lexical",
            "--no-progress",
            "--judge-url",
            server.url,
            "--judge-model",
            MODEL,
            "--judge-below",
            "0.7",
        ],
    )
    assert result.exit_code == 0, result.output
    with (out / "judgements.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    judged = [r for r in rows if r["evidence_source"] == f"llm:{MODEL}"]
    assert len(judged) == len(server.requests) > 0
    assert all(float(r["confidence"]) < 0.7 and r["verdict"] == "not_met" for r in judged)
    assert all(r["rationale"].startswith("external judge: ") for r in judged)
    assert all(r["evidence_source"] == "engine" for r in rows if float(r["confidence"]) >= 0.7)
