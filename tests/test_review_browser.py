"""End to end in a real browser: Playwright driving Debian's chromium against the review app.

One story, in order: a coder codes the lowest-confidence cell with the keyboard; a second coder
codes blind; the lead sees the disagreement and the agreement figures of a hand-worked example.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "browser-password"
BLIND_ORG = "T03"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    """The demo audit; T03 assigned blind to bob and carol, who have coded all but one cell.

    bob: met everywhere except partial on the third standard. carol: not yet the first standard
    (she codes it in the browser), partial on the second and third, met on the rest.
    """
    from policyaudit.assess.audit import audit
    from policyaudit.demo import corpus_path
    from policyaudit.review import service as svc
    from policyaudit.review.auth import add_user
    from policyaudit.store.db import make_engine, session_scope
    from policyaudit.store.models import Judgement

    db = tmp_path_factory.mktemp("browser") / "audit.sqlite"
    run_id = audit(corpus_path(), db, semantic=False, progress=False).run_id
    engine = make_engine(db)
    with session_scope(engine) as session:
        for name, role in (("lead", "lead"), ("bob", "coder"), ("carol", "coder")):
            add_user(session, name, PASSWORD, role)
        svc.assign(session, run_id, [BLIND_ORG], ["bob", "carol"], True, "lead")
        cells = session.scalars(select(Judgement).where(Judgement.run_id == run_id)).all()
        stds = sorted({j.standard_id for j in cells if j.org_id == BLIND_ORG})
        for i, std in enumerate(stds):
            bob = "partial" if i == 2 else "met"
            svc.save_coding(session, run_id, BLIND_ORG, std, "bob", svc.CodingInput(bob), 0)
            if i > 0:
                carol = "partial" if i in (1, 2) else "met"
                svc.save_coding(session, run_id, BLIND_ORG, std, "carol", svc.CodingInput(carol), 0)
        visible = [j for j in cells if j.org_id != BLIND_ORG]
        lowest = min(visible, key=lambda j: j.confidence)
        engine_of = {(j.org_id, j.standard_id): j.verdict for j in cells}
    return {
        "db": db,
        "corpus": corpus_path(),
        "run_id": run_id,
        "stds": stds,
        "lowest_confidence": lowest.confidence,
        "engine": engine_of,
    }


@pytest.fixture(scope="module")
def base_url(project) -> Iterator[str]:
    from policyaudit.review.app import create_app

    app = create_app(str(project["db"]), project["corpus"], "browser-secret")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def sign_in(browser, base_url: str, name: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_coder_codes_the_lowest_confidence_cell_with_the_keyboard(browser, base_url, project):
    page = sign_in(browser, base_url, "bob")
    page.goto(f"{base_url}/runs/{project['run_id']}?mine=0")
    first = page.locator("#queue tbody tr").first
    assert float(first.locator("td").nth(3).inner_text()) == pytest.approx(
        project["lowest_confidence"], abs=0.005
    )
    first.locator("a.cell-link").click()
    page.wait_for_selector("#coding-form")
    org, std = page.url.split("/cells/")[1].split("?")[0].split("/")
    engine_verdict = project["engine"][(org, std)]
    key, verdict = next((k, v) for k, v in (("n", "not_met"), ("m", "met")) if v != engine_verdict)
    page.locator("body").press(key)
    assert page.locator(f"input[name=verdict][value={verdict}]").is_checked()
    page.fill("textarea[name=note]", "checked by hand <b>not bold</b>")
    page.click("#save")
    page.wait_for_selector("#save-message")
    assert page.inner_text("#save-message") == "Saved."
    page.reload()
    assert page.locator(f"input[name=verdict][value={verdict}]").is_checked()
    assert page.input_value("textarea[name=note]") == "checked by hand <b>not bold</b>"
    assert page.locator("#coding b").count() == 0  # the note is text, not markup
    page.keyboard.press("j")  # next cell of the queue
    page.wait_for_url(lambda url: f"/cells/{org}/{std}" not in url)


def test_second_coder_codes_blind(browser, base_url, project):
    page = sign_in(browser, base_url, "carol")
    first = project["stds"][0]
    page.goto(f"{base_url}/runs/{project['run_id']}/cells/{BLIND_ORG}/{first}")
    assert page.locator("#blind-note").is_visible()
    assert page.locator("#engine-verdict").count() == 0
    assert "bob" not in page.inner_text("main")
    page.locator("body").press("n")
    page.click("#save")
    page.wait_for_selector("#save-message")
    page.reload()  # both coders have now finished T03: blind mode is lifted
    assert page.locator("#blind-note").count() == 0
    assert page.locator("#engine-verdict").count() == 1


def test_lead_sees_the_disagreement_and_the_agreement(browser, base_url, project):
    page = sign_in(browser, base_url, "lead")
    run, (s1, s2, _s3) = project["run_id"], project["stds"][:3]
    page.goto(f"{base_url}/runs/{run}/disagreements")
    rows = page.locator("tr.disagreement")
    shown = {(r.get_attribute("data-org"), r.get_attribute("data-standard")) for r in rows.all()}
    assert shown == {(BLIND_ORG, s1), (BLIND_ORG, s2)}
    row = page.locator(f'tr.disagreement[data-standard="{s1}"]')
    assert "met" in row.locator('[data-coder="bob"]').inner_text()
    assert "not_met" in row.locator('[data-coder="carol"]').inner_text()

    # Hand-worked: 20 shared cells, 18 agree -> 90.0%. Order (not_met, partial, met):
    # bob (0, 1, 19)/20, carol (1, 2, 17)/20, so p_e = (0 + 2 + 323)/400 = 0.8125 and
    # kappa = (0.9 - 0.8125) / (1 - 0.8125) = 0.4667.
    page.goto(f"{base_url}/runs/{run}/agreement")
    overall = page.locator('section[data-a="bob"][data-b="carol"] tbody tr').first
    assert overall.locator("td.n").inner_text() == "20"
    assert overall.locator("td.percent").inner_text() == "90.0%"
    assert overall.locator("td.kappa").inner_text().startswith("0.467")
