from __future__ import annotations

from pathlib import Path

import pytest

from policyaudit.corpus import CorpusNotFoundError, Problem, discover
from policyaudit.corpus.discover import parse_bool

SUFFIXES = {".pdf", ".txt", ".docx", ".html"}


def problems_for(corpus, problem: str) -> list[Problem]:
    return [p for p in corpus.problems if p.problem == problem]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("true", True), ("Yes", True), ("1", True), (" TRUE ", True),
     ("false", False), ("no", False), ("0", False), ("", None), (None, None)],
)
def test_parse_bool(cell: str | None, expected: bool | None) -> None:
    assert parse_bool(cell) is expected


def test_parse_bool_rejects_other_values() -> None:
    with pytest.raises(ValueError, match="maybe"):
        parse_bool("maybe")


def test_organisations_csv_gives_names_regions_and_overrides(corpus_factory) -> None:
    root = corpus_factory(
        {"A/p.pdf": "x", "B/p.pdf": "x", "C/p.pdf": "x", "D/p.pdf": "x"},
        "org_id,name,region,has_dedicated_policy\n"
        "A,Alpha Trust,North,yes\nB,Beta Trust,South,0\nC,Gamma Trust,East,\nD,Delta,West,maybe\n",
    )
    corpus = discover(root, SUFFIXES)
    orgs = {o.org_id: o for o in corpus.organisations}
    assert (orgs["A"].name, orgs["A"].region) == ("Alpha Trust", "North")
    assert [orgs[k].has_dedicated_policy_override for k in "ABCD"] == [True, False, None, None]
    [bad] = problems_for(corpus, "invalid value")
    assert bad.file == "organisations.csv" and "line 5" in bad.detail


def test_csv_without_override_column_and_with_bom(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x"})
    (root / "organisations.csv").write_bytes("\ufefforg_id,name,region\nA,Alpha,North\n".encode())
    corpus = discover(root, SUFFIXES)
    [org] = corpus.organisations
    assert (org.name, org.has_dedicated_policy_override) == ("Alpha", None)
    assert corpus.problems == []


def test_unlisted_folder_is_still_an_organisation(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x", "Z/q.txt": "y"}, "org_id,name,region\nA,Alpha,N\n")
    corpus = discover(root, SUFFIXES)
    assert [o.org_id for o in corpus.organisations] == ["A", "Z"]
    assert corpus.organisations[1].name is None
    assert corpus.problems == []


def test_listed_organisation_without_folder_is_a_problem(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x"}, "org_id,name,region\nA,Alpha,N\nB,Beta,S\n")
    corpus = discover(root, SUFFIXES)
    assert [o.org_id for o in corpus.organisations] == ["A"]
    assert corpus.problems == [
        Problem("B/", "missing organisation folder", "listed in organisations.csv")
    ]


def test_organisation_without_documents_is_a_problem_but_kept(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x"})
    (root / "EMPTY").mkdir()
    corpus = discover(root, SUFFIXES)
    assert [o.org_id for o in corpus.organisations] == ["A", "EMPTY"]
    assert [(p.file, p.problem) for p in corpus.problems] == [("EMPTY/", "no documents")]


def test_unsupported_extension_is_reported_not_listed(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x", "A/data.xyz": "?", "A/README": "?"})
    corpus = discover(root, SUFFIXES)
    assert [f.relpath for f in corpus.files] == ["p.pdf"]
    unsupported = problems_for(corpus, "unsupported format")
    assert [p.file for p in unsupported] == ["A/README", "A/data.xyz"]
    assert "'.xyz'" in unsupported[1].detail


def test_suffixes_are_case_insensitive(corpus_factory) -> None:
    root = corpus_factory({"A/POLICY.PDF": "x"})
    assert [f.relpath for f in discover(root, SUFFIXES).files] == ["POLICY.PDF"]


def test_hidden_and_lock_files_ignored_nested_files_included(corpus_factory) -> None:
    root = corpus_factory({
        "A/p.pdf": "x",
        "A/.DS_Store": "junk",
        "A/~$p.docx": "lock",
        "A/.git/config.txt": "hidden folder",
        "A/archive/2023/old.txt": "nested",
        ".hidden-org/p.pdf": "x",
    })
    corpus = discover(root, SUFFIXES)
    assert [o.org_id for o in corpus.organisations] == ["A"]
    files = corpus.files
    assert [f.relpath for f in files] == ["archive/2023/old.txt", "p.pdf"]
    assert files[0].corpus_path == "A/archive/2023/old.txt"
    assert files[0].path == root / "A" / "archive" / "2023" / "old.txt"
    assert corpus.problems == []


def test_stray_file_at_corpus_root_is_reported(corpus_factory) -> None:
    root = corpus_factory({"A/p.pdf": "x", "notes.pdf": "x"})
    corpus = discover(root, SUFFIXES)
    assert [(p.file, p.problem) for p in corpus.problems] == [
        ("notes.pdf", "not in an organisation folder")
    ]


def test_missing_corpus_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFoundError, match="corpus folder not found"):
        discover(tmp_path / "nope", SUFFIXES)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CorpusNotFoundError):
        discover(tmp_path / "file", SUFFIXES)


def test_default_suffixes_come_from_the_extractor(corpus_factory, fake_extract) -> None:
    root = corpus_factory({"A/p.md": "x", "A/p.odt": "x"})
    corpus = discover(root)
    assert [f.relpath for f in corpus.files] == ["p.md"]
    assert [p.file for p in corpus.problems] == ["A/p.odt"]
