"""``policyaudit frameworks``: list, show and validate, with file:line errors and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from policyaudit.cli import frameworks
from policyaudit.framework.loader import builtin_paths, load_framework

runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # keep rich from wrapping table cells

VALID = """\
id: tiny
title: Tiny
version: "2.1"
standards:
  - id: S1
    title: One
    criteria:
      met: It is done.
    elements:
      - id: a
        description: a thing
        cues:
          - 'thing'
    met: [[a]]
"""


def invoke(*args: str):
    return runner.invoke(frameworks.app, list(args), env=WIDE)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_line_error(result, path: Path, line: int) -> None:
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}:" in result.stderr
    assert "Traceback" not in result.output
    assert all(row.startswith("error: ") for row in result.stderr.splitlines())


def test_list_shows_the_builtin_framework() -> None:
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert "ng225-inpatient" in result.stdout
    assert "20" in result.stdout and "1.0.0" in result.stdout


def test_show_lists_every_standard() -> None:
    result = invoke("show", "ng225-inpatient")
    assert result.exit_code == 0, result.output
    for i in range(1, 21):
        assert f"S{i:02d}" in result.stdout


def test_show_one_standard_in_full() -> None:
    std = load_framework("ng225-inpatient").framework.standard("S05")
    result = invoke("show", "ng225-inpatient", "--standard", "S05")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"S05 {std.title}")
    assert std.criteria.met in result.stdout
    for element in std.elements + std.conflicts:
        assert f"  {element.id}: {element.description}" in result.stdout
    assert "met when: prohibition" in result.stdout


def test_show_an_unknown_standard_is_one_line() -> None:
    result = invoke("show", "ng225-inpatient", "--standard", "S99")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ng225-inpatient: no standard 'S99'")
    assert len(result.stderr.splitlines()) == 1


def test_show_a_user_file(tmp_path) -> None:
    result = invoke("show", str(write(tmp_path, VALID)))
    assert result.exit_code == 0, result.output
    assert "tiny 2.1" in result.stdout and "S1" in result.stdout


def test_validate_the_builtin_file() -> None:
    path = builtin_paths()["ng225-inpatient"]
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    sha = load_framework(path).sha256
    assert result.stdout.strip() == f"ok: 20 standards, version 1.0.0, sha256 {sha}"


def test_validate_a_bad_regex_names_its_line(tmp_path) -> None:
    path = write(tmp_path, VALID.replace("- 'thing'", "- '('"))
    result = invoke("validate", str(path))
    assert_one_line_error(result, path, 13)
    assert "invalid regular expression" in result.stderr


def test_validate_missing_criteria_names_the_standard_line(tmp_path) -> None:
    path = write(tmp_path, VALID.replace("    criteria:\n      met: It is done.\n", ""))
    result = invoke("validate", str(path))
    assert_one_line_error(result, path, 5)
    assert "criteria" in result.stderr


def test_validate_a_yaml_syntax_error_names_its_line(tmp_path) -> None:
    path = write(tmp_path, VALID.replace('version: "2.1"', 'version: "2.1": x'))
    result = invoke("validate", str(path))
    assert_one_line_error(result, path, 3)
    assert "not valid YAML" in result.stderr


@pytest.mark.parametrize("args", [("validate", "missing.yaml"), ("show", "missing.yaml")])
def test_a_missing_file_is_one_line(args) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: missing.yaml: no such framework file")


def test_registers_as_a_command_group() -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Like policyaudit.cli.main."""

    app.add_typer(frameworks.app, name="frameworks")
    result = runner.invoke(app, ["frameworks", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "ng225-inpatient" in result.stdout


# --- frameworks new: a scaffold that validates and finds evidence as written ---------------

DEMO_GOLD = Path(__file__).resolve().parent / "data" / "heldout" / "gold"


def test_new_writes_a_framework_that_validates(tmp_path) -> None:
    path = tmp_path / "fw" / "mine.yaml"
    result = invoke("new", "my-framework", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {path}")
    loaded = load_framework(path)
    assert loaded.framework.id == "my-framework"
    assert loaded.framework.title == "My framework"
    assert invoke("validate", str(path)).exit_code == 0


def test_new_explains_every_field_in_comments(tmp_path) -> None:
    """Each schema field appears in the template, so the file documents itself."""
    from policyaudit.framework.schema import Criteria, Element, Framework, Standard

    path = tmp_path / "f.yaml"
    assert invoke("new", "f", "--out", str(path)).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 60
    for model in (Framework, Standard, Element, Criteria):
        for name in model.model_fields:
            assert f"{name}:" in text, f"{model.__name__}.{name} is not in the template"


def test_new_writes_name_yaml_in_the_current_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "audit_2025", "--title", 'Audit "2025"')
    assert result.exit_code == 0, result.output
    assert load_framework(tmp_path / "audit_2025.yaml").framework.title == 'Audit "2025"'


def test_new_never_overwrites_without_force(tmp_path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("mine", encoding="utf-8")
    result = invoke("new", "f", "--out", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: already exists (use --force to overwrite it)\n"
    assert path.read_text(encoding="utf-8") == "mine"
    assert invoke("new", "f", "--out", str(path), "--force").exit_code == 0


def test_new_rejects_a_name_that_cannot_be_an_id(tmp_path) -> None:
    result = invoke("new", "My Framework", "--out", str(tmp_path / "f.yaml"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 'My Framework' cannot be a framework id")
    assert not (tmp_path / "f.yaml").exists()


def test_the_scaffold_judges_the_demo_corpus(tmp_path) -> None:
    from policyaudit.assess.audit import audit
    from policyaudit.demo import corpus_path

    path = tmp_path / "f.yaml"
    assert invoke("new", "f", "--out", str(path)).exit_code == 0
    result = audit(corpus_path(), tmp_path / "a.sqlite", path, semantic=False, progress=False)
    verdicts = {j.org_id: j.verdict for j in result.judgements}
    assert verdicts == {"T01": "met", "T02": "met", "T03": "not_met"}


def test_the_scaffold_audits_the_demo_corpus_from_the_command_line(tmp_path) -> None:
    from policyaudit.cli.main import app as main_app

    path = tmp_path / "f.yaml"
    assert invoke("new", "f", "--out", str(path)).exit_code == 0
    out = tmp_path / "out"
    args = ["audit", "--framework", str(path), "--out", str(out), "--lexical", "--no-progress"]
    result = runner.invoke(main_app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()


# --- frameworks test: per-standard agreement with hand-coded organisations -------------------


def test_test_prints_a_row_per_standard_on_the_demo_corpus() -> None:
    from policyaudit.demo import corpus_path

    result = invoke("test", "ng225-inpatient", str(corpus_path()), str(DEMO_GOLD))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ng225-inpatient 1.0.0 (sha256 ")
    assert lines[0].endswith(": 60 hand-coded cells")
    rows = [line for line in lines if line[:1] == "S" and line[1:3].isdigit()]
    assert [row.split()[0] for row in rows] == [f"S{i:02d}" for i in range(1, 21)]
    assert all(row.split()[1] == "3" for row in rows)
    assert any(line.startswith("overall kappa 3-class ") for line in lines)


def test_test_names_the_disagreeing_organisations(tmp_path) -> None:
    """The scaffold's collaborative cue over-reads T02 ("review ... with the patient")."""
    from policyaudit.demo import corpus_path

    path = tmp_path / "f.yaml"
    assert invoke("new", "f", "--out", str(path)).exit_code == 0
    result = invoke("test", str(path), str(corpus_path()), str(DEMO_GOLD), "--show", "1")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("S07"))
    assert row.split()[:4] == ["S07", "3", "0.67", "0.50"]
    assert "T02:partial->met" in row
    assert "- T02 S07: gold partial, engine met" in result.stdout
    assert "ignored 57 gold rows for other standards or organisations" in result.stdout


def test_test_without_matching_gold_is_one_line(tmp_path) -> None:
    from policyaudit.demo import corpus_path

    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "judgements.csv").write_text(
        "org_id,standard_id,verdict,conflicts\nX9,S01,met,false\n", encoding="utf-8"
    )
    result = invoke("test", "ng225-inpatient", str(corpus_path()), str(gold))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "no rows for this framework's standards" in result.stderr


def test_test_needs_a_gold_file_and_a_corpus(tmp_path) -> None:
    from policyaudit.demo import corpus_path

    result = invoke("test", "ng225-inpatient", str(corpus_path()), str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'judgements.csv'}: no such file")
    result = invoke("test", "ng225-inpatient", str(tmp_path / "nowhere"), str(DEMO_GOLD))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
