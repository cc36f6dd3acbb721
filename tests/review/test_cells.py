"""The coder's pages: the queue, a cell, saving (with optimistic versioning), search, escaping."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from policyaudit.review import service as svc
from policyaudit.store.db import session_scope
from policyaudit.store.models import Document, Judgement, Passage
from policyaudit.store.review_models import Coding, CodingEvent

SCRIPT = "<script>alert(1)</script>"
CELL_LINK = re.compile(r'class="cell-link" href="/runs/\d+/cells/([^/]+)/([^?"]+)')


def cell(run_id: int, org: str = "T01", std: str = "S01") -> str:
    return f"/runs/{run_id}/cells/{org}/{std}"


def engine_rows(engine, run_id):
    with session_scope(engine) as session:
        return {
            (j.org_id, j.standard_id): (j.verdict, j.confidence)
            for j in session.scalars(select(Judgement).where(Judgement.run_id == run_id))
        }


def queue(client, run_id, query="") -> list[tuple[str, str]]:
    return CELL_LINK.findall(client.get(f"/runs/{run_id}?{query}").text)


def test_runs_page_lists_the_audit(login, run_id):
    page = login("bob").get("/").text
    assert f'href="/runs/{run_id}"' in page


def test_queue_is_lowest_confidence_first(login, run_id, engine):
    rows = engine_rows(engine, run_id)
    cells = queue(login("bob"), run_id)
    assert len(cells) == len(rows) == 60
    confidences = [rows[c][1] for c in cells]
    assert confidences == sorted(confidences)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("standard=S03", lambda k, v, c: k[1] == "S03"),
        ("org=T02", lambda k, v, c: k[0] == "T02"),
        ("verdict=not_met", lambda k, v, c: v == "not_met"),
        ("conf_min=0.5&conf_max=0.8", lambda k, v, c: 0.5 <= c <= 0.8),
        ("conf_min=oops", lambda k, v, c: True),
    ],
)
def test_matrix_filters(login, run_id, engine, query, keep):
    rows = engine_rows(engine, run_id)
    expected = {k for k, (v, c) in rows.items() if keep(k, v, c)}
    assert set(queue(login("bob"), run_id, query)) == expected


def test_status_filter_follows_my_codings(login, run_id):
    bob = login("bob")
    bob.post(cell(run_id), data={"verdict": "met", "version": "0", "csrf_token": bob.csrf})
    assert queue(bob, run_id, "status=coded") == [("T01", "S01")]
    assert ("T01", "S01") not in queue(bob, run_id, "status=todo")
    assert len(queue(bob, run_id, "status=todo")) == 59


def test_cell_page_shows_criteria_engine_and_nearest_passages(login, run_id, engine):
    page = login("bob").get(cell(run_id, "T01", "S10")).text
    assert "Criteria" in page and "Information and support" in page
    verdict, confidence = engine_rows(engine, run_id)[("T01", "S10")]
    assert f'id="engine-verdict">{verdict}<' in page
    assert f"confidence {confidence:.2f}" in page
    assert "Nearest passages" in page and "<mark>" in page
    assert re.search(r'href="/documents/\d+#p\d+"', page)


def test_unknown_cell_is_404(login, run_id):
    assert login("bob").get(cell(run_id, "T01", "NOPE")).status_code == 404


def test_next_link_follows_the_queue(login, run_id):
    bob = login("bob")
    cells = queue(bob, run_id, "mine=0")
    page = bob.get(cell(run_id, *cells[0]) + "?mine=0").text
    nxt = re.search(r'id="next-cell" href="([^"]+)"', page).group(1)
    assert nxt.startswith(cell(run_id, *cells[1]))


def test_save_then_reload_keeps_the_coding_and_records_an_event(login, run_id, engine):
    bob = login("bob")
    data = {
        "verdict": "partial",
        "conflicts": "on",
        "note": "only a passing mention",
        "version": "0",
        "csrf_token": bob.csrf,
    }
    response = bob.post(cell(run_id), data=data, follow_redirects=False)
    assert response.status_code == 303 and "saved=1" in response.headers["location"]
    page = bob.get(response.headers["location"]).text
    assert 'value="partial" checked' in page
    assert "only a passing mention</textarea>" in page
    assert 'name="version" value="1"' in page
    with session_scope(engine) as session:
        coding = session.scalar(select(Coding))
        assert (coding.coder, coding.verdict, coding.conflicts, coding.version) == (
            "bob",
            "partial",
            True,
            1,
        )
        (event,) = session.scalars(select(CodingEvent)).all()
        assert (event.actor, event.kind, event.old) == ("bob", "coding", None)
        assert event.new["verdict"] == "partial"


def test_invalid_input_is_refused_and_kept_on_screen(login, run_id, engine):
    bob = login("bob")
    data = {"verdict": "maybe", "note": "keep me", "version": "0", "csrf_token": bob.csrf}
    response = bob.post(cell(run_id), data=data)
    assert response.status_code == 422
    assert "verdict must be one of" in response.text
    assert "keep me</textarea>" in response.text


def test_evidence_must_be_a_passage_of_the_organisation(login, run_id, engine):
    with session_scope(engine) as session:
        other = session.scalar(
            select(Passage.id).join(Document).where(Document.org_id == "T02").limit(1)
        )
    bob = login("bob")
    data = {
        "verdict": "met",
        "evidence_passage_id": str(other),
        "version": "0",
        "csrf_token": bob.csrf,
    }
    response = bob.post(cell(run_id), data=data)
    assert response.status_code == 422 and "not one of this organisation" in response.text


def test_evidence_passage_is_saved(login, run_id, engine):
    with session_scope(engine) as session:
        own = session.scalar(
            select(Passage.id).join(Document).where(Document.org_id == "T01").limit(1)
        )
    bob = login("bob")
    data = {
        "verdict": "met",
        "evidence_passage_id": str(own),
        "version": "0",
        "csrf_token": bob.csrf,
    }
    bob.post(cell(run_id), data=data)
    page = bob.get(cell(run_id)).text
    assert f'value="{own}" checked' in page


def test_concurrent_saves_second_gets_409_and_nothing_is_overwritten(login, run_id, engine):
    first, second = login("bob"), login("bob")  # the same coder in two browsers
    first.post(cell(run_id), data={"verdict": "met", "version": "0", "csrf_token": first.csrf})
    for client in (first, second):
        assert 'name="version" value="1"' in client.get(cell(run_id)).text
    ok = first.post(
        cell(run_id),
        data={"verdict": "partial", "note": "first", "version": "1", "csrf_token": first.csrf},
    )
    assert ok.status_code == 200
    late = second.post(
        cell(run_id),
        data={
            "verdict": "not_met",
            "note": "second's words",
            "version": "1",
            "csrf_token": second.csrf,
        },
    )
    assert late.status_code == 409
    assert "saved elsewhere" in late.text
    assert "second&#39;s words</textarea>" in late.text  # the coder's input is kept
    assert 'value="not_met" checked' in late.text
    assert 'name="version" value="2"' in late.text  # saving again is a deliberate overwrite
    with session_scope(engine) as session:
        coding = session.scalar(select(Coding))
        assert (coding.verdict, coding.note, coding.version) == ("partial", "first", 2)
        events = session.scalars(select(CodingEvent).order_by(CodingEvent.id)).all()
    assert [e.kind for e in events] == ["coding", "coding", "rejected"]
    assert events[1].old["verdict"] == "met" and events[1].new["verdict"] == "partial"
    assert events[2].old["verdict"] == "partial"  # what the server held
    assert events[2].new == {
        "verdict": "not_met",
        "conflicts": False,
        "note": "second's words",
        "evidence_passage_id": None,
        "based_on": 1,
    }


def test_concurrent_first_saves_conflict_too(login, run_id, engine):
    a, b = login("bob"), login("bob")
    assert (
        a.post(
            cell(run_id), data={"verdict": "met", "version": "0", "csrf_token": a.csrf}
        ).status_code
        == 200
    )
    response = b.post(
        cell(run_id),
        data={
            "verdict": "partial",
            "version": "0",
            "csrf_token": b.csrf,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert response.text.lstrip().startswith('<section id="coding">')  # htmx swaps the form only
    with session_scope(engine) as session:
        assert session.scalar(select(Coding)).verdict == "met"


def test_service_compare_and_set(engine, run_id):
    data = svc.CodingInput("met")
    with session_scope(engine) as session:
        svc.save_coding(session, run_id, "T01", "S02", "bob", data, 0)
        svc.save_coding(session, run_id, "T01", "S02", "bob", svc.CodingInput("partial"), 1)
        with pytest.raises(svc.StaleCoding) as exc:
            svc.save_coding(session, run_id, "T01", "S02", "bob", svc.CodingInput("not_met"), 1)
        assert exc.value.current.version == 2 and exc.value.current.verdict == "partial"


# --- escaping -----------------------------------------------------------------------------


@pytest.fixture
def hostile_passage(engine, run_id) -> int:
    """A passage holding a script, made the nearest passage of T01 x S01."""
    with session_scope(engine) as session:
        passage = session.scalar(
            select(Passage).join(Document).where(Document.org_id == "T01").limit(1)
        )
        passage.text = f"Self-harm policy {SCRIPT} and <b>bold</b> & more"
        j = session.scalar(
            select(Judgement).where(Judgement.org_id == "T01", Judgement.standard_id == "S01")
        )
        details = dict(j.details)
        first = dict(details["nearest"][0])
        first["passage_id"], first["quote"] = passage.id, passage.text
        details["nearest"] = [first, *details["nearest"][1:]]
        j.details = details
        return passage.id


def assert_escaped(html: str) -> None:
    html = html.replace("<mark>", "").replace("</mark>", "")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html


def test_passage_text_is_escaped_on_the_cell_page(login, run_id, hostile_passage):
    page = login("bob").get(cell(run_id)).text
    assert_escaped(page)
    assert "<mark>Self-harm</mark>" in page or "<mark>Self</mark>" in page


def test_passage_text_is_escaped_in_search_results(login, run_id, hostile_passage):
    bob = login("bob")
    for headers in ({}, {"HX-Request": "true"}):
        response = bob.get(f"/runs/{run_id}/orgs/T01/search?q=alert", headers=headers)
        assert response.status_code == 200
        assert_escaped(response.text)
        assert "<mark>alert</mark>" in response.text
        assert f'value="{hostile_passage}" form="coding-form"' in response.text


def test_passage_text_is_escaped_in_the_document_view(login, engine, hostile_passage):
    with session_scope(engine) as session:
        doc_id = session.get(Passage, hostile_passage).document_id
    page = login("bob").get(f"/documents/{doc_id}").text
    assert_escaped(page)
    assert f'id="p{hostile_passage}"' in page


def test_a_hostile_note_is_escaped(login, run_id):
    bob = login("bob")
    bob.post(
        cell(run_id),
        data={"verdict": "met", "note": SCRIPT, "version": "0", "csrf_token": bob.csrf},
    )
    assert_escaped(bob.get(cell(run_id)).text.replace("<b>bold</b>", ""))


def test_search_matches_every_word(login, run_id):
    bob = login("bob")
    page = bob.get(f"/runs/{run_id}/orgs/T01/search?q=self-harm%20staff").text
    hits = re.findall(r'<blockquote class="passage">(.*?)</blockquote>', page, re.S)
    assert hits
    for hit in hits:
        text = re.sub("<[^>]+>", "", hit).lower()
        assert "self-harm" in text and "staff" in text
    assert "No passage" in bob.get(f"/runs/{run_id}/orgs/T01/search?q=zzzqqq").text
