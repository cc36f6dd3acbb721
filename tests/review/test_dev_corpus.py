"""The dev corpus's two independent codings as a real double-coded project."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from policyaudit.assess.audit import audit
from policyaudit.review import service as svc
from policyaudit.review.app import create_app
from policyaudit.review.auth import add_user
from policyaudit.store.db import make_engine, session_scope

from .conftest import PASSWORDS, sign_in

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEV = SHARED / "corpus-dev"
CODERS = {
    "gold": DEV / "gold" / "judgements.csv",
    "second": DEV / "second-coder" / "judgements.csv",
}

pytestmark = pytest.mark.skipif(
    not DEV.is_dir(), reason=f"the shared dev corpus is not at {DEV} (../shared is absent)"
)


def read(path: Path) -> dict[tuple[str, str], tuple[str, bool]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {
            (r["org_id"], r["standard_id"]): (r["verdict"], r["conflicts"] == "true")
            for r in csv.DictReader(f)
        }


@pytest.fixture(scope="module")
def dev_audit(tmp_path_factory) -> tuple[Path, int]:
    db = tmp_path_factory.mktemp("dev") / "audit.sqlite"
    result = audit(DEV / "documents", db, semantic=False, progress=False)
    return db, result.run_id


@pytest.fixture
def dev_app(dev_audit, tmp_path):
    """The dev audit with both codings loaded as two blind coders' work."""
    db = tmp_path / "dev.sqlite"
    shutil.copy(dev_audit[0], db)
    run_id = dev_audit[1]
    with session_scope(make_engine(db)) as session:
        add_user(session, "lead", PASSWORDS["lead"], "lead")
        for coder in CODERS:
            add_user(session, coder, "coder-password")
        orgs = sorted({org for org, _ in read(CODERS["gold"])})
        svc.assign(session, run_id, orgs, list(CODERS), True, "lead")
        for coder, path in CODERS.items():
            for (org, std), (verdict, conflicts) in read(path).items():
                data = svc.CodingInput(verdict, conflicts)
                svc.save_coding(session, run_id, org, std, coder, data, 0)
    return create_app(str(db), DEV / "documents", "s"), run_id


def test_disagreement_view_lists_exactly_the_differing_cells(dev_app):
    app, run_id = dev_app
    gold, second = read(CODERS["gold"]), read(CODERS["second"])
    expected = {cell for cell in gold if gold[cell] != second[cell]}
    assert 0 < len(expected) < 20
    page = sign_in(app, "lead").get(f"/runs/{run_id}/disagreements").text
    shown = set(re.findall(r'data-org="([^"]+)" data-standard="([^"]+)"', page))
    assert shown == expected


def test_agreement_view_reproduces_the_published_kappa(dev_app):
    """The two codings agree at 3-class Cohen's kappa 0.974 (by sklearn, per shared/README)."""
    app, run_id = dev_app
    page = sign_in(app, "lead").get(f"/runs/{run_id}/agreement").text
    section = page.split('data-a="gold" data-b="second"')[1].split("</section>")[0]
    overall = section.split('<th scope="row">overall</th>')[1].split("</tr>")[0]
    assert '<td class="n">240</td>' in overall
    assert '<td class="kappa">0.974' in overall
