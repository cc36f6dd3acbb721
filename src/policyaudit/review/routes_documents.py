"""Documents: the stored text by id (always safe), and the original files from the corpus.

Original files are served only when the app was given the corpus folder, only for paths the
database knows as a document, and only when the path stays inside the corpus without ``..``,
absolute paths or symbolic links. They are sent with a sandboxing CSP (or as attachments), so
an HTML policy with a script in it cannot run in the app's origin.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from policyaudit.review.web import db, render, require_user
from policyaudit.store.models import Document, Section

router = APIRouter()

INLINE_SUFFIXES = frozenset({".pdf", ".txt"})
SANDBOX_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
NOT_FOUND = "No such document in the corpus."


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: int) -> Response:
    with db(request) as session:
        user = require_user(request, session)
        doc = session.scalar(
            select(Document)
            .where(Document.id == document_id)
            .options(selectinload(Document.sections).selectinload(Section.passages))
        )
        if doc is None:
            raise HTTPException(404, "No such document.")
        context = {
            "user": user,
            "doc": doc,
            "blocks": document_blocks(doc),
            "file_href": file_href(request, doc),
        }
        return render(request, "document.html", context)


def document_blocks(doc: Document) -> list[dict]:
    """Sections and passages in order, with a page marker wherever a new page starts."""
    blocks: list[dict] = []
    page = None
    for section in doc.sections:
        if section.heading:
            level = min(max(section.level, 1) + 1, 6)
            blocks.append({"kind": "heading", "section": section, "tag": f"h{level}"})
        for p in section.passages:
            if p.page is not None and p.page != page:
                page = p.page
                blocks.append({"kind": "page", "page": page})
            blocks.append({"kind": "passage", "passage": p})
    return blocks


def file_href(request: Request, doc: Document) -> str | None:
    if request.app.state.corpus_dir is None:
        return None
    return "/files/" + quote(f"{doc.org_id}/{doc.relpath}")


@router.get("/files/{path:path}")
def corpus_file_route(request: Request, path: str) -> Response:
    with db(request) as session:
        require_user(request, session)
        root: Path | None = request.app.state.corpus_dir
        if root is None:
            raise HTTPException(404, "The app was started without the corpus folder.")
        file = corpus_file(root, path)
        org_id, _, relpath = path.partition("/")
        known = session.scalar(
            select(Document.id).where(Document.org_id == org_id, Document.relpath == relpath)
        )
        if known is None:
            raise HTTPException(404, NOT_FOUND)
    return _send(file)


def corpus_file(root: Path, relative: str) -> Path:
    """``root / relative`` if it is a regular file inside ``root`` reached without links.

    ``root`` must already be resolved. Refuses absolute paths, ``..`` and ``.`` parts,
    backslashes and NUL, and any symbolic link on the way (the resolved path must equal the
    lexical one), each with the same 404 so the answer reveals nothing about the disk.
    """
    raw_parts = relative.split("/")
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\0" in relative
        or any(part in ("", ".", "..") for part in raw_parts)
        or PurePosixPath(relative).is_absolute()
    ):
        raise HTTPException(404, NOT_FOUND)
    candidate = root.joinpath(*raw_parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise HTTPException(404, NOT_FOUND) from exc
    if resolved != candidate or not resolved.is_relative_to(root) or not resolved.is_file():
        raise HTTPException(404, NOT_FOUND)
    return resolved


def _send(file: Path) -> Response:
    inline = file.suffix.lower() in INLINE_SUFFIXES
    headers = {"X-Content-Type-Options": "nosniff"}
    if file.suffix.lower() == ".pdf":
        # the browser's PDF viewer does not run under a sandbox CSP; PDFs hold no page script
        headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    else:
        headers["Content-Security-Policy"] = SANDBOX_CSP
    return FileResponse(
        file,
        headers=headers,
        content_disposition_type="inline" if inline else "attachment",
        filename=file.name,
    )
