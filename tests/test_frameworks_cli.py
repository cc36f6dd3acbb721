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
