"""Documents: the stored text by id, and original files only from inside the corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from policyaudit.demo import corpus_path
from policyaudit.review.app import create_app
from policyaudit.store.db import session_scope
from policyaudit.store.models import Document

from .conftest import sign_in


def a_document(engine, suffix: str) -> Document:
    with session_scope(engine) as session:
        doc = session.scalar(select(Document).where(Document.format == suffix).limit(1))
        assert doc is not None, f"the demo corpus has no .{suffix} document"
        session.expunge(doc)
        return doc


def test_document_view_has_passage_and_page_anchors(login, engine):
    doc = a_document(engine, "pdf")
    with session_scope(engine) as session:
        doc = session.get(Document, doc.id)
        first = doc.passages[0]
        pages = sorted({p.page for p in doc.passages if p.page})
        page = login("bob").get(f"/documents/{doc.id}").text
        assert f'id="p{first.id}"' in page
        assert f'id="page-{pages[-1]}"' in page
        assert f'id="s{doc.sections[1].id}"' in page
        assert f'href="/files/{doc.org_id}/' in page  # the original, since the corpus is known


def test_unknown_document_is_404(login):
    assert login("bob").get("/documents/999999").status_code == 404


def test_original_pdf_is_served_inline(login, engine):
    doc = a_document(engine, "pdf")
    response = login("bob").get(f"/files/{doc.org_id}/{doc.relpath}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.content.startswith(b"%PDF")


def test_other_originals_are_attachments_under_a_sandbox(login, engine):
    with session_scope(engine) as session:
        doc = session.scalar(select(Document).where(Document.format != "pdf").limit(1))
        org_id, relpath = doc.org_id, doc.relpath
    response = login("bob").get(f"/files/{org_id}/{relpath}")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["content-security-policy"].startswith("sandbox")


@pytest.mark.parametrize(
    "path",
    [
        "/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/files/T01/..%2F..%2F..%2Fetc%2Fpasswd",
        "/files/T01/%2E%2E/organisations.csv",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/T01%5C..%5C..%5Cetc%5Cpasswd",
        "/files/organisations.csv",  # inside the corpus, but not a document
        "/files/T01/./x.pdf",
        "/files/T01/missing.pdf",
    ],
)
def test_paths_outside_the_documents_are_refused(login, path):
    response = login("bob").get(path)
    assert response.status_code == 404
    assert "root:" not in response.text


def test_symlinks_are_refused_even_to_a_known_path(db_path, engine, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_path(), corpus)
    doc = a_document(engine, "pdf")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF secret")
    target = corpus / doc.org_id / doc.relpath
    target.unlink()
    os.symlink(secret, target)
    client = sign_in(create_app(str(db_path), corpus, "s"), "bob")
    response = client.get(f"/files/{doc.org_id}/{doc.relpath}")
    assert response.status_code == 404 and b"secret" not in response.content
    # a symlinked organisation folder is refused too
    org_dir = corpus / doc.org_id
    shutil.move(org_dir, tmp_path / "moved")
    os.symlink(tmp_path / "moved", org_dir)
    (tmp_path / "moved" / doc.relpath).unlink()
    shutil.copy(corpus_path() / doc.org_id / doc.relpath, tmp_path / "moved" / doc.relpath)
    assert client.get(f"/files/{doc.org_id}/{doc.relpath}").status_code == 404


def test_no_files_without_a_corpus_folder(db_path, engine):
    doc = a_document(engine, "pdf")
    client = sign_in(create_app(str(db_path), None, "s"), "bob")
    assert client.get(f"/files/{doc.org_id}/{doc.relpath}").status_code == 404
    assert "/files/" not in client.get(f"/documents/{doc.id}").text


def test_corpus_file_helper(tmp_path: Path):
    from fastapi import HTTPException

    from policyaudit.review.routes_documents import corpus_file

    root = (tmp_path / "c").resolve()
    (root / "A").mkdir(parents=True)
    (root / "A" / "doc.txt").write_text("ok")
    assert corpus_file(root, "A/doc.txt") == root / "A" / "doc.txt"
    for bad in ["", "/A/doc.txt", "A/../A/doc.txt", "A//doc.txt", "A\\doc.txt", "A/doc.txt\0"]:
        with pytest.raises(HTTPException):
            corpus_file(root, bad)
    os.symlink(root / "A" / "doc.txt", root / "A" / "link.txt")
    with pytest.raises(HTTPException):
        corpus_file(root, "A/link.txt")
