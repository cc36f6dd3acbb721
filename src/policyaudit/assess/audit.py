"""The main job: ingest a corpus, judge every organisation x standard, store and report.

Judgements are cached by what they depend on (engine version, the framework's shared settings,
the standard's own definition and the organisation's document hashes), so a re-run on an
unchanged corpus does no model or rule work, and editing one standard re-judges only it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from policyaudit import __version__
from policyaudit.assess.attributes import organisation_attributes
from policyaudit.assess.confidence import assign_confidence
from policyaudit.assess.engine import MAX_QUOTE, Similarity, judge_standard, prepare
from policyaudit.assess.types import (
    Evidence,
    Judgement,
    OrgAttributes,
    PassageView,
    judgement_from_dict,
    judgement_to_dict,
)
from policyaudit.corpus.discover import Problem, discover
from policyaudit.framework.loader import LoadedFramework, load_framework
from policyaudit.store import models as m
from policyaudit.store.cache import StoreEmbeddingCache, cached_judgements, store_judgements
from policyaudit.store.db import make_engine, session_scope

NEAREST_K = 3
CANDIDATES_K = 20  # lexical candidates per standard that the embedder re-ranks
EMBED_CHUNK = 64


@dataclass
class OrgData:
    """One organisation as stored after ingest, ready for judging."""

    org_id: str
    name: str
    override: bool | None
    passages: list[PassageView]
    titles: dict[str, str]
    fingerprint: str  # changes when any of its documents changes
    n_documents: int


@dataclass
class AuditResult:
    run_id: int
    framework: LoadedFramework
    organisations: list[OrgData]
    judgements: list[Judgement]
    attributes: list[OrgAttributes]
    problems: list[Problem] = field(default_factory=list)
    judged: int = 0  # cells judged this run (the rest came from the cache)
    outputs: dict[str, Path] = field(default_factory=dict)


def load_organisations(engine: Engine, org_ids: Sequence[str]) -> list[OrgData]:
    """Read the ingested organisations back as the engine's passages."""
    out = []
    with session_scope(engine) as session:
        orgs = session.scalars(
            select(m.Organisation)
            .where(m.Organisation.org_id.in_(list(org_ids)))
            .options(
                selectinload(m.Organisation.documents)
                .selectinload(m.Document.passages)
                .selectinload(m.Passage.section)
            )
            .order_by(m.Organisation.org_id)
        ).all()
        for org in orgs:
            docs = sorted(org.documents, key=lambda d: d.relpath)
            passages = [
                PassageView(
                    id=p.id,
                    document=d.stem,
                    doc_title=d.title or d.stem.replace("-", " "),
                    page=p.page,
                    section=tuple(p.section.path),
                    text=p.text,
                    kind=p.kind,
                )
                for d in docs
                for p in d.passages
            ]
            digest = hashlib.sha256(__version__.encode())
            for d in docs:
                digest.update(f"{d.relpath}\0{d.content_hash}\0".encode())
            out.append(
                OrgData(
                    org.org_id,
                    org.name or org.org_id,
                    org.has_dedicated_policy_override,
                    passages,
                    {d.stem: d.title or "" for d in docs},
                    digest.hexdigest(),
                    len(docs),
                )
            )
    return out


def framework_key(loaded: LoadedFramework) -> str:
    """Hash of everything in the framework except the standards themselves."""
    shared = loaded.framework.model_dump(mode="json", exclude={"standards"})
    payload = json.dumps({"engine": __version__, "framework": shared}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _nearest(index, standard, query_vec, by_id: dict) -> list[Evidence]:
    hits = index.search(standard.retrieval_query, query_vec, k=NEAREST_K)
    out = []
    for h in hits:
        p = by_id[h.passage_id]
        out.append(Evidence(p.document, p.page, p.section_text, p.text[:MAX_QUOTE], p.id))
    return out


def judge_org(
    org: OrgData,
    loaded: LoadedFramework,
    engine: Engine,
    embedder=None,
) -> tuple[list[Judgement], OrgAttributes, int]:
    """Judge one organisation, reusing cached cells; returns (judgements, attributes, judged)."""
    fw = loaded.framework
    key = framework_key(loaded)
    hashes = {s.id: loaded.standard_hash(s) for s in fw.standards}
    cached = cached_judgements(engine, key, org.fingerprint, hashes)
    text = prepare(org.org_id, org.passages, fw)
    todo = [s for s in fw.standards if s.id not in cached]
    fresh: dict[str, Judgement] = {}
    if todo:
        similarity = _similarity(embedder, engine) if embedder else None
        index, vecs = _index(text.passages, embedder, engine, todo)
        by_id = {p.id: p for p in text.passages}
        for standard in todo:
            j = judge_standard(standard, text, similarity)
            assign_confidence(j, standard)
            if index is not None:
                j.nearest = _nearest(index, standard, vecs.get(standard.id), by_id)
            fresh[standard.id] = j
        store_judgements(
            engine,
            key,
            org.fingerprint,
            {sid: (hashes[sid], judgement_to_dict(j)) for sid, j in fresh.items()},
        )
    judgements = [
        fresh[s.id] if s.id in fresh else judgement_from_dict(cached[s.id]) for s in fw.standards
    ]
    attrs = organisation_attributes(fw, text, judgements, org.titles, org.override)
    return judgements, attrs, len(todo)


def _similarity(embedder, engine: Engine) -> Similarity:
    from policyaudit.assess.embed import embed_cached

    cache = StoreEmbeddingCache(engine)

    def similarity(texts: Sequence[str], examples: Sequence[str]) -> np.ndarray:
        a = embed_cached(embedder, list(texts), cache)
        b = embed_cached(embedder, list(examples), cache)
        return a @ b.T

    return similarity


def _candidates(passages: Sequence[PassageView], standards) -> list[PassageView]:
    """Passages lexical retrieval finds for these standards: what the embedder re-ranks."""
    from policyaudit.assess.retrieve import PassageIndex

    lexical = PassageIndex([p.id for p in passages], [p.text for p in passages])
    by_id = {p.id: p for p in passages}
    ids: dict = {}
    for s in standards:
        for hit in lexical.search(s.retrieval_query, None, k=CANDIDATES_K):
            ids[hit.passage_id] = True
    return [by_id[i] for i in ids]


def _index(passages: Sequence[PassageView], embedder, engine: Engine, standards):
    """Fused lexical + semantic index over the passages lexical retrieval finds for these
    standards, and the query vectors.

    Only BM25's candidates are embedded: the dense side re-ranks them, so the model never runs
    over boilerplate no standard's query touches (the cost that dominates a cold audit).
    """
    from policyaudit.assess.embed import embed_cached
    from policyaudit.assess.retrieve import PassageIndex

    if not passages:
        return None, {}
    if embedder is None:
        return PassageIndex([p.id for p in passages], [p.text for p in passages]), {}
    candidates = _candidates(passages, standards)
    cache = StoreEmbeddingCache(engine)
    index = PassageIndex.build(
        [p.id for p in candidates], [p.text for p in candidates], embedder, cache
    )
    vecs = embed_cached(embedder, [s.retrieval_query for s in standards], cache)
    return index, {s.id: vecs[i] for i, s in enumerate(standards)}


def embed_ahead(
    orgs: Sequence[OrgData], loaded: LoadedFramework, engine: Engine, embedder, progress: bool
) -> int:
    """Embed, with a progress bar, what judging these organisations will need; returns count.

    Judging then finds every vector in the cache. Organisations whose judgements are all cached
    need nothing, so an unchanged re-run does no model work.
    """
    from policyaudit.assess.embed import embed_cached, text_hash

    fw = loaded.framework
    key = framework_key(loaded)
    hashes = {s.id: loaded.standard_hash(s) for s in fw.standards}
    texts: dict[str, str] = {}
    for org in orgs:
        cached = cached_judgements(engine, key, org.fingerprint, hashes)
        todo = [s for s in fw.standards if s.id not in cached]
        eligible = prepare(org.org_id, org.passages, fw).passages
        if not todo or not eligible:
            continue
        for p in _candidates(eligible, todo):
            texts[text_hash(p.text)] = p.text
        for s in todo:
            for t in [
                s.retrieval_query,
                *[x for e in s.elements + s.conflicts for x in e.examples],
            ]:
                texts[text_hash(t)] = t
    cache = StoreEmbeddingCache(engine)
    missing = [h for h in texts if h not in cache.get_many(embedder.model_id, list(texts))]
    chunks = [missing[i : i + EMBED_CHUNK] for i in range(0, len(missing), EMBED_CHUNK)]
    for chunk in _progress(chunks, progress, "embedding", weights=[len(c) for c in chunks]):
        embed_cached(embedder, [texts[h] for h in chunk], cache)
    return len(missing)


def record_run(
    engine: Engine,
    loaded: LoadedFramework,
    corpus: Path,
    settings: dict,
    judgements: Sequence[Judgement],
) -> int:
    """Store the run (framework version and hash, engine version, settings) and its cells."""
    fw = loaded.framework
    with session_scope(engine) as session:
        run = m.Run(
            kind="audit",
            corpus=str(corpus.resolve()),
            framework_id=fw.id,
            framework_version=fw.version,
            framework_hash=loaded.sha256,
            engine_version=__version__,
            settings=settings,
            status="complete",
            finished_at=datetime.now(UTC),
        )
        session.add(run)
        session.flush()
        for j in judgements:
            ev, cf = j.evidence, j.conflict
            session.add(
                m.Judgement(
                    run_id=run.id,
                    org_id=j.org_id,
                    standard_id=j.standard_id,
                    verdict=j.verdict,
                    conflicts=j.conflicts,
                    confidence=j.confidence,
                    evidence_document=ev.document if ev else None,
                    evidence_page=ev.page if ev else None,
                    evidence_section=ev.section if ev else None,
                    evidence_quote=ev.quote if ev else None,
                    conflict_document=cf.document if cf else None,
                    conflict_quote=cf.quote if cf else None,
                    source=j.source,
                    details=judgement_to_dict(j),
                )
            )
        return run.id


def audit(
    corpus: Path,
    db: str | Path,
    framework: str | Path | None = None,
    workers: int | None = None,
    semantic: bool = True,
    progress: bool = True,
    rejudge: Callable[[list[Judgement], list[OrgData]], int] | None = None,
) -> AuditResult:
    """Ingest ``corpus`` into ``db`` and judge every organisation x standard."""
    from policyaudit.corpus.ingest import ingest

    loaded = load_framework(framework)  # fail on a bad framework before any work
    report = ingest(corpus, db, workers=workers, progress=progress)
    engine = make_engine(db)
    org_ids = [o.org_id for o in discover(corpus).organisations]
    orgs = load_organisations(engine, org_ids)
    embedder = None
    if semantic:
        from policyaudit.assess.embed import Embedder

        embedder = Embedder(max_tokens=128)
        embed_ahead(orgs, loaded, engine, embedder, progress)
    judgements: list[Judgement] = []
    attributes: list[OrgAttributes] = []
    judged = 0
    for org in _progress(orgs, progress):
        js, attrs, n = judge_org(org, loaded, engine, embedder)
        judgements.extend(js)
        attributes.append(attrs)
        judged += n
    if rejudge is not None:
        rejudge(judgements, orgs)
    settings = {"semantic": semantic, "embedder": embedder.model_id if embedder else None}
    run_id = record_run(engine, loaded, corpus, settings, judgements)
    return AuditResult(run_id, loaded, orgs, judgements, attributes, report.problems, judged)


def _progress(items: list, enabled: bool, label: str = "judging", weights: list[int] | None = None):
    if not enabled:
        yield from items
        return
    from rich.progress import Progress

    steps = weights or [1] * len(items)
    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=sum(steps))
        for item, step in zip(items, steps, strict=True):
            yield item
            bar.advance(task, step)
