"""Turn extracted documents (or stored rows) into the passages the engine reads."""

from __future__ import annotations

from policyaudit.assess.types import PassageView
from policyaudit.extract.model import ExtractedDocument


def passage_views(doc: ExtractedDocument, stem: str, id_prefix: str = "") -> list[PassageView]:
    title = doc.metadata.title or stem.replace("-", " ")
    views = []
    for s_idx, section in enumerate(doc.sections):
        for p_idx, p in enumerate(section.passages):
            views.append(
                PassageView(
                    id=f"{id_prefix}{stem}:{s_idx}:{p_idx}",
                    document=stem,
                    doc_title=title,
                    page=p.page,
                    section=tuple(section.path),
                    text=p.text,
                    kind=str(p.kind),
                )
            )
    return views
