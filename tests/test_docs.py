"""The user's guide runs: every documented command ends as documented, every link resolves.

The commands are run by scripts/check_docs.py (also usable on its own, e.g. in CI); this test
imports it so a failure shows the page, line and output of the command that drifted.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def _load_check_docs():
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "scripts" / "check_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_docs"] = module
    spec.loader.exec_module(module)
    return module


check_docs = _load_check_docs()


def test_the_guide_has_its_pages() -> None:
    names = {p.name for p in PAGES}
    expected = {"index.md", "quickstart.md", "corpus.md", "report.md", "review.md"}
    expected |= {"frameworks.md", "scaling.md", "methods.md"}
    assert expected <= names


def test_every_page_is_in_the_contents() -> None:
    order = [p.name for p in check_docs.page_order(DOCS)]
    linked = re.findall(r"\]\(([\w-]+\.md)\)", (DOCS / "index.md").read_text(encoding="utf-8"))
    assert sorted(set(linked)) == sorted(n for n in order if n != "index.md")


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
        assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_console_blocks_hold_only_runnable_commands(page: Path) -> None:
    """A ``$`` line in a console block that is not ``$ policyaudit`` would silently not run."""
    in_console = False
    for lineno, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_console = stripped == "```console" and not in_console
            continue
        if in_console and stripped.startswith("$"):
            assert stripped.startswith("$ policyaudit"), f"{page.name}:{lineno}: {stripped}"


def test_every_documented_command_runs_as_documented() -> None:
    commands = check_docs.collect(DOCS)
    assert len(commands) >= 15
    results = check_docs.run(commands, echo=False)
    failed = [r for r in results if not r.ok]
    assert not failed, "\n".join(check_docs.describe(r) for r in failed)
