"""Double coding: assignments, blind mode, disagreements, consensus, agreement, audit trail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from policyaudit.review import service as svc
from policyaudit.store.db import session_scope
from policyaudit.store.models import Judgement
from policyaudit.store.review_models import CodingEvent, Consensus

DIFFER = {"S03": ("met", "partial"), "S07": ("not_met", "met")}  # bob's vs carol's verdicts


def standards(engine, run_id, org="T01") -> list[str]:
    with session_scope(engine) as session:
        return sorted(
            session.scalars(
                select(Judgement.standard_id).where(
                    Judgement.run_id == run_id, Judgement.org_id == org
                )
            )
        )


def assign(lead, run_id, orgs=("T01",), a="bob", b="carol", blind=True):
    data = {"org_id": list(orgs), "coder_a": a, "coder_b": b, "csrf_token": lead.csrf}
    if blind:
        data["blind"] = "on"
    return lead.post(f"/runs/{run_id}/assignments", data=data)


def code(engine, run_id, coder, verdicts: dict[str, str], org="T01"):
    with session_scope(engine) as session:
        for std, verdict in verdicts.items():
            svc.save_coding(session, run_id, org, std, coder, svc.CodingInput(verdict), 0)


def double_code(engine, run_id, skip_last_for=None):
    """bob and carol code every standard of T01, differing on DIFFER."""
    stds = standards(engine, run_id)
    bob = {s: DIFFER.get(s, ("met",))[0] for s in stds}
    carol = {s: DIFFER.get(s, ("met", "met"))[1] for s in stds}
    if skip_last_for == "carol":
        carol.pop(stds[-1])
    code(engine, run_id, "bob", bob)
    code(engine, run_id, "carol", carol)
    return stds


def test_assignments_page_and_form(login, run_id):
    lead = login("lead")
    assert "Assign organisations" in lead.get(f"/runs/{run_id}/assignments").text
    page = assign(lead, run_id, ("T01", "T02")).text
    assert "bob (blind), carol (blind)" in page


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a": "bob", "b": "bob"}, "two different coders"),
        ({"b": "mallory"}, "unknown coders"),
        ({"orgs": ("NOPE",)}, "choose one or more organisations"),
        ({"orgs": ()}, "choose one or more organisations"),
    ],
)
def test_bad_assignments_are_refused(login, run_id, kwargs, message):
    response = assign(login("lead"), run_id, **kwargs)
    assert response.status_code == 422 and message in response.text


def test_blind_coder_sees_neither_engine_nor_other_coder(login, run_id, engine):
    assign(login("lead"), run_id)
    code(engine, run_id, "carol", {"S01": "partial"})
    with session_scope(engine) as session:
        carol_note = "carol was here"
        svc.save_coding(
            session, run_id, "T01", "S01", "carol", svc.CodingInput("partial", note=carol_note), 1
        )
    bob = login("bob")
    page = bob.get(f"/runs/{run_id}/cells/T01/S01").text
    assert 'id="blind-note"' in page
    assert 'id="engine"' not in page and "engine-verdict" not in page and "confidence" not in page
    assert "carol" not in page
    matrix = bob.get(f"/runs/{run_id}").text
    rows = re.findall(r'<tr class="blind">(.*?)</tr>', matrix, re.S)
    assert len(rows) == 20  # bob's queue defaults to his assigned organisation
    assert all("hidden" in r and "carol" not in r for r in rows)
    # filters on what bob may not see leave blind cells out instead of leaking it
    assert "T01" not in bob.get(f"/runs/{run_id}?mine=0&verdict=met").text.split("<tbody>")[1]
    # someone not assigned sees the engine as usual
    assert 'id="engine-verdict"' in login("lead").get(f"/runs/{run_id}/cells/T01/S01").text


def test_blind_is_lifted_when_both_coders_are_done(login, run_id, engine):
    assign(login("lead"), run_id)
    stds = double_code(engine, run_id, skip_last_for="carol")
    bob = login("bob")
    assert 'id="blind-note"' in bob.get(f"/runs/{run_id}/cells/T01/S01").text
    code(engine, run_id, "carol", {stds[-1]: "met"})
    page = bob.get(f"/runs/{run_id}/cells/T01/S03").text
    assert 'id="blind-note"' not in page and 'id="engine-verdict"' in page
    assert "carol: <span" in page


def test_unblinded_assignment_shows_the_engine(login, run_id):
    assign(login("lead"), run_id, blind=False)
    assert 'id="engine-verdict"' in login("bob").get(f"/runs/{run_id}/cells/T01/S01").text


def disagreement_cells(page: str) -> set[tuple[str, str]]:
    return set(re.findall(r'class="disagreement" data-org="([^"]+)" data-standard="([^"]+)"', page))


def test_disagreement_view_lists_exactly_the_differing_cells(login, run_id, engine):
    assign(login("lead"), run_id)
    double_code(engine, run_id)
    page = login("lead").get(f"/runs/{run_id}/disagreements").text
    assert disagreement_cells(page) == {("T01", s) for s in DIFFER}
    row = page.split('data-standard="S07"')[1].split("</tr>")[0]
    assert re.search(r'data-coder="bob".*not_met.*data-coder="carol".*>met<', row, re.S)


def test_disagreements_stay_hidden_while_a_lead_codes_blind(login, engine, run_id):
    lead = login("lead")
    assign(lead, run_id, a="lead", b="bob")
    code(engine, run_id, "lead", {"S01": "met"})
    code(engine, run_id, "bob", {"S01": "not_met"})
    assert disagreement_cells(lead.get(f"/runs/{run_id}/disagreements").text) == set()
    response = lead.post(
        f"/runs/{run_id}/consensus/T01/S01",
        data={"verdict": "met", "agreed_by": ["lead", "bob"], "csrf_token": lead.csrf},
    )
    assert response.status_code == 403


def test_consensus_is_recorded_with_who_agreed(login, run_id, engine):
    assign(login("lead"), run_id)
    double_code(engine, run_id)
    lead = login("lead")
    response = lead.post(
        f"/runs/{run_id}/consensus/T01/S03",
        data={
            "verdict": "partial",
            "note": "criteria say partial",
            "agreed_by": ["bob", "carol"],
            "csrf_token": lead.csrf,
        },
    )
    assert response.status_code == 200
    with session_scope(engine) as session:
        row = session.scalar(select(Consensus))
        assert (row.org_id, row.standard_id, row.verdict) == ("T01", "S03", "partial")
        assert row.agreed_by == ["bob", "carol"] and row.recorded_by == "lead"
        event = session.scalar(select(CodingEvent).where(CodingEvent.kind == "consensus"))
        assert event.old is None and event.new["agreed_by"] == ["bob", "carol"]
    assert disagreement_cells(lead.get(f"/runs/{run_id}/disagreements").text) == {("T01", "S07")}
    everything = lead.get(f"/runs/{run_id}/disagreements?show=all").text
    assert "agreed by bob, carol" in everything


def test_consensus_needs_known_coders(login, run_id, engine):
    assign(login("lead"), run_id)
    double_code(engine, run_id)
    lead = login("lead")
    page = lead.post(
        f"/runs/{run_id}/consensus/T01/S03",
        data={"verdict": "met", "agreed_by": ["mallory"], "csrf_token": lead.csrf},
    ).text
    assert "needs the names of the coders" in page
    with session_scope(engine) as session:
        assert session.scalar(select(Consensus)) is None


def test_agreement_view_matches_a_hand_computed_example(login, run_id, engine):
    """20 cells: bob says met everywhere but S07 (not_met); carol met everywhere but S03 and S07.

    Agreement 18/20 = 90.0%. Table (rows bob, cols carol; order not_met, partial, met):
    bob not_met: carol met 1; bob met: carol partial 1, met 18. p_o = 0.9; bob's marginals
    (1, 0, 19)/20, carol's (0, 1, 19)/20, so p_e = 19*19/400 = 0.9025 and
    kappa = (0.9 - 0.9025) / (1 - 0.9025) = -0.0256.
    """
    assign(login("lead"), run_id)
    double_code(engine, run_id)
    page = login("lead").get(f"/runs/{run_id}/agreement").text
    section = page.split('data-a="bob" data-b="carol"')[1].split("</section>")[0]
    overall = section.split('<th scope="row">overall</th>')[1].split("</tr>")[0]
    assert '<td class="n">20</td>' in overall
    assert '<td class="percent">90.0%</td>' in overall
    assert '<td class="kappa">-0.026' in overall
    assert 'data-a="bob" data-b="engine"' in page and 'data-a="carol" data-b="engine"' in page


def test_audit_trail_lists_every_change(login, run_id):
    bob = login("bob")
    url = f"/runs/{run_id}/cells/T02/S05"
    bob.post(url, data={"verdict": "met", "version": "0", "csrf_token": bob.csrf})
    bob.post(url, data={"verdict": "partial", "version": "1", "csrf_token": bob.csrf})
    bob.post(url, data={"verdict": "not_met", "version": "1", "csrf_token": bob.csrf})  # stale
    page = login("lead").get(f"/runs/{run_id}/events?org=T02").text
    kinds = re.findall(r'<tr class="event (\w+)">', page)
    assert kinds == ["coding", "coding", "rejected"]
    assert "&#34;verdict&#34;: &#34;met&#34;" in page or '"verdict": "met"' in page
    history = bob.get(url).text
    assert "met → partial" in history and "partial → not_met" in history
