"""Read stored documents back as the extraction types, so later stages need not re-extract."""

from __future__ import annotations

from policyaudit.extract import model as x
from policyaudit.store import models as m


def to_extracted(doc: m.Document) -> x.ExtractedDocument:
    """Rebuild the ``ExtractedDocument`` that ingest stored: text, sections and passages."""
    sections = []
    for row in doc.sections:
        section = x.Section(
            heading=row.heading,
            level=row.level,
            path=list(row.path),
            page_start=row.page_start,
            page_end=row.page_end,
        )
        section.passages = [
            x.Passage(p.text, p.start, p.end, p.page, x.BlockKind(p.kind))
            for p in row.passages
        ]
        sections.append(section)
    return x.ExtractedDocument(
        text=doc.text,
        sections=sections,
        pages=doc.pages,
        metadata=x.DocumentMetadata(
            title=doc.title,
            reference=doc.reference,
            version=doc.version,
            approval_date=doc.approval_date,
            review_date=doc.review_date,
            referenced_documents=list(doc.referenced_documents or []),
        ),
        warnings=list(doc.warnings or []),
    )
