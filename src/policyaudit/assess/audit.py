"""The main job: ingest a corpus, judge every organisation x standard, store and report.

Judgements are cached by what they depend on (engine version, the framework's shared settings,
the standard's own definition and the organisation's document hashes), so a re-run on an
unchanged corpus does no model or rule work, and editing one standard re-judges only it.

Work is split so that it scales: extraction and judging run as picklable tasks on an executor
(a local process pool, or a Dask cluster), the embedder runs once in the main process over the
texts all organisations need (deduplicated by content hash, on the model's own threads), and
only the main process writes to the database, one transaction per document and per
organisation, so an interrupted audit keeps what it finished and the next run resumes there.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, insert, select

from policyaudit import __version__
from policyaudit.assess.attributes import organisation_attributes
from policyaudit.assess.confidence import assign_confidence
from policyaudit.assess.engine import MAX_QUOTE, MIN_WORDS, Similarity, judge_standard, prepare
from policyaudit.assess.rules import is_non_evidence
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
CANDIDATES_K = 6  # lexical candidates per standard that the embedder re-ranks
EMBED_CHUNK = 512  # texts per embedder call (the bar advances per call)
MAX_TOKENS = 128
STAGES = ("extraction", "loading", "embedding", "retrieval", "judging", "recording")


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
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per stage
    embedded: int = 0  # texts the model embedded this run
    extracted: int = 0  # files extracted this run


class Stopwatch:
    """Wall time per named stage; a nested stage pauses the one around it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list[Any]] = []  # [name, started]

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        now = time.perf_counter()
        if self._stack:
            outer = self._stack[-1]
            self.seconds[outer[0]] += now - outer[1]
        self._stack.append([name, now])
        try:
            yield
        finally:
            now = time.perf_counter()
            self.seconds[name] += now - self._stack.pop()[1]
            if self._stack:
                self._stack[-1][1] = now

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds


# ---------------------------------------------------------------------------------------------
# Loading what ingest stored


def load_organisations(engine: Engine, org_ids: Sequence[str]) -> list[OrgData]:
    """Read the ingested organisations back as the engine's passages (two plain queries)."""
    ids = list(org_ids)
    with session_scope(engine) as session:
        orgs = session.execute(
            select(
                m.Organisation.org_id,
                m.Organisation.name,
                m.Organisation.has_dedicated_policy_override,
            )
            .where(m.Organisation.org_id.in_(ids))
            .order_by(m.Organisation.org_id)
        ).all()
        docs = session.execute(
            select(
                m.Document.id,
                m.Document.org_id,
                m.Document.relpath,
                m.Document.stem,
                m.Document.title,
                m.Document.content_hash,
            ).where(m.Document.org_id.in_(ids))
        ).all()
        rows = session.execute(
            select(
                m.Passage.id,
                m.Passage.document_id,
                m.Passage.page,
                m.Passage.text,
                m.Passage.kind,
                m.Section.path,
            )
            .join(m.Section, m.Passage.section_id == m.Section.id)
            .join(m.Document, m.Passage.document_id == m.Document.id)
            .where(m.Document.org_id.in_(ids))
            .order_by(m.Passage.document_id, m.Passage.ordinal)
        ).all()
    by_doc: dict[int, list] = defaultdict(list)
    for row in rows:
        by_doc[row.document_id].append(row)
    docs_of: dict[str, list] = defaultdict(list)
    for d in docs:
        docs_of[d.org_id].append(d)
    return [_org_data(o, sorted(docs_of[o.org_id], key=lambda d: d.relpath), by_doc) for o in orgs]


def _org_data(org: Any, docs: list, passages_of: Mapping[int, list]) -> OrgData:
    passages = [
        PassageView(
            id=p.id,
            document=d.stem,
            doc_title=d.title or d.stem.replace("-", " "),
            page=p.page,
            section=tuple(p.path),
            text=p.text,
            kind=p.kind,
        )
        for d in docs
        for p in passages_of.get(d.id, [])
    ]
    digest = hashlib.sha256(__version__.encode())
    for d in docs:
        digest.update(f"{d.relpath}\0{d.content_hash}\0".encode())
    return OrgData(
        org.org_id,
        org.name or org.org_id,
        org.has_dedicated_policy_override,
        passages,
        {d.stem: d.title or "" for d in docs},
        digest.hexdigest(),
        len(docs),
    )


def framework_key(loaded: LoadedFramework) -> str:
    """Hash of everything in the framework except the standards themselves."""
    shared = loaded.framework.model_dump(mode="json", exclude={"standards"})
    payload = json.dumps({"engine": __version__, "framework": shared}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Embedding: once, in the main process, over what every organisation's retrieval needs


class RunEmbeddingCache:
    """This run's vectors in memory, in front of the database table.

    Why: the judging of one organisation asks for the same example and query vectors again and
    again; looking each up in the database (and writing each new one with its own merge) cost
    more than the model. Lookups fall through to the store once; new vectors are written in bulk.
    """

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine
        self.vectors: dict[tuple[str, str], np.ndarray] = {}

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found = {h: v for h in hashes if (v := self.vectors.get((model_id, h))) is not None}
        missing = [h for h in dict.fromkeys(hashes) if h not in found]
        if missing and self.engine is not None:
            stored = StoreEmbeddingCache(self.engine).get_many(model_id, missing)
            for h, v in stored.items():
                self.vectors[(model_id, h)] = v
            found.update(stored)
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        fresh = {h: v for h, v in vectors.items() if (model_id, h) not in self.vectors}
        for h, v in fresh.items():
            self.vectors[(model_id, h)] = np.asarray(v, dtype=np.float32)
        if fresh and self.engine is not None:
            put_vectors(self.engine, model_id, fresh)


def put_vectors(engine: Engine, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
    """Insert vectors in one statement, skipping any another process stored meanwhile."""
    rows = [
        {"model": model_id, "text_hash": h, "vector": np.asarray(v, dtype=np.float32).tobytes()}
        for h, v in vectors.items()
    ]
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        StoreEmbeddingCache(engine).put_many(model_id, vectors)
        return
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    stmt = dialect_insert(m.EmbeddingCache).on_conflict_do_nothing()
    with session_scope(engine) as session:
        for i in range(0, len(rows), 1000):
            session.execute(stmt, rows[i : i + 1000])


def eligible_passages(passages: Sequence[PassageView], framework) -> list[PassageView]:
    """The passages ``engine.prepare`` keeps as evidence (same test), without splitting them
    into sentences: enough to choose what retrieval will embed."""
    return [
        p
        for p in passages
        if len(p.text.split()) >= MIN_WORDS and not is_non_evidence(framework, p.section)
    ]


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


def _standard_texts(standards) -> list[str]:
    return [t for s in standards for t in [s.retrieval_query] + _examples(s)]


def _examples(standard) -> list[str]:
    return [x for e in standard.elements + standard.conflicts for x in e.examples]


@dataclass
class Plan:
    """What one organisation needs this run: the standards not in the cache, and why."""

    org: OrgData
    cached: dict[str, dict]  # standard id -> cached payload
    todo: list  # standards to judge
    candidates: list[int] | None = None  # passage ids the embedder re-ranks (semantic only)
    attributes: OrgAttributes | None = None  # cached attributes, when still valid


def embed_ahead(
    plans: Sequence[Plan], loaded: LoadedFramework, cache: RunEmbeddingCache, embedder, progress
) -> int:
    """Embed, in a few large length-sorted batches, every text judging will look up; returns
    how many texts the model ran on.

    Only BM25's candidates are embedded (the dense side re-ranks them) and each distinct text
    once across all organisations. Organisations whose judgements are all cached need nothing,
    so an unchanged re-run does no model work. Sets each plan's ``candidates``.
    """
    from policyaudit.assess.embed import text_hash

    texts: dict[str, str] = {}
    for plan in plans:
        if not plan.todo:
            continue
        eligible = eligible_passages(plan.org.passages, loaded.framework)
        found = _candidates(eligible, plan.todo) if eligible else []
        plan.candidates = [p.id for p in found]
        for t in [p.text for p in found] + _standard_texts(plan.todo):
            texts.setdefault(text_hash(t), t)
    if not texts:
        return 0
    known = cache.get_many(embedder.model_id, list(texts))
    # sorted by length across all chunks: each batch then pads to about its own length
    missing = sorted((h for h in texts if h not in known), key=lambda h: len(texts[h]))
    chunks = [missing[i : i + EMBED_CHUNK] for i in range(0, len(missing), EMBED_CHUNK)]
    for chunk in _progress(chunks, progress, "embedding", weights=[len(c) for c in chunks]):
        vectors = embedder.embed([texts[h] for h in chunk])
        cache.put_many(embedder.model_id, dict(zip(chunk, vectors, strict=True)))
    return len(missing)


# ---------------------------------------------------------------------------------------------
# Judging: one picklable task per organisation, run on the executor


@dataclass
class JudgeTask:
    org: OrgData
    framework: LoadedFramework
    todo: list[str]  # standard ids to judge
    cached: dict[str, Judgement]  # the rest, for the organisation's attributes
    candidates: list[int] | None  # passage ids to re-rank densely; None: lexical only
    vectors: dict[str, np.ndarray]  # text hash -> vector the main process already has
    model: str | None  # the embedder's model_id, None for a lexical run


@dataclass
class JudgeOutcome:
    org_id: str
    judgements: list[Judgement]  # in framework order
    attributes: OrgAttributes
    vectors: dict[str, np.ndarray]  # embedded in the worker (hit sentences): for the cache
    seconds: dict[str, float]  # worker time per stage


_EMBEDDERS: dict[str, Any] = {}  # the main process's embedder, reused when judging runs here


def _worker_embedder(model_id: str):
    """The process's embedder for ``model_id``: the main process's own where judging runs in
    it, else one single-threaded per worker (the pool already fills the cores)."""
    from policyaudit.assess.embed import Embedder

    if model_id in _EMBEDDERS:
        return _EMBEDDERS[model_id]
    in_worker = multiprocessing.parent_process() is not None
    embedder = Embedder(threads=1 if in_worker else None, max_tokens=MAX_TOKENS)
    if embedder.model_id != model_id:
        raise RuntimeError(f"worker embedder {embedder.model_id} differs from {model_id}")
    _EMBEDDERS[model_id] = embedder
    return embedder


_SEEN: dict[tuple[str, str], np.ndarray] = {}  # vectors this worker process embedded
_SEEN_MAX = 50_000  # ~75 MB of vectors; the memo starts over beyond it


class DictCache:
    """A task's in-memory ``EmbeddingCache``: the vectors the main process sent, then those
    this worker process embedded for earlier tasks (organisations share much boilerplate),
    then the model. What the task embedded itself is sent back for the database."""

    def __init__(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.vectors = dict(vectors)
        self.new: dict[str, np.ndarray] = {}

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        for h in hashes:
            v = self.vectors.get(h)
            if v is None and (v := _SEEN.get((model_id, h))) is not None:
                self.vectors[h] = self.new[h] = v  # the main process has not stored it yet
            if v is not None:
                found[h] = v
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        if len(_SEEN) > _SEEN_MAX:
            _SEEN.clear()
        for h, v in vectors.items():
            vec = np.asarray(v, dtype=np.float32)
            self.vectors[h] = self.new[h] = _SEEN[(model_id, h)] = vec


class _TimedEmbedder:
    """An embedder that charges its time to the 'embedding' stage of a stopwatch."""

    def __init__(self, embedder, watch: Stopwatch) -> None:
        self.embedder, self.watch = embedder, watch

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        with self.watch.stage("embedding"):
            return self.embedder.embed(texts, batch_size=batch_size)


def judge_task(task: JudgeTask) -> JudgeOutcome:
    """Judge one organisation's uncached standards and compute its attributes (in a worker)."""
    from policyaudit.assess.embed import embed_cached

    watch = Stopwatch()
    fw = task.framework.framework
    todo = [s for s in fw.standards if s.id in set(task.todo)]
    embedder, memory = None, DictCache(task.vectors)
    if task.model is not None and todo:
        embedder = _TimedEmbedder(_worker_embedder(task.model), watch)
    with watch.stage("judging"):
        text = prepare(task.org.org_id, task.org.passages, fw)
    fresh: dict[str, Judgement] = {}
    with _memoised_hits() as hits:
        if embedder is not None and todo:
            with watch.stage("judging"):
                texts = _hit_texts(todo, text, hits)
            embed_cached(embedder, texts, memory)  # one length-sorted batch, not one per element
        _judge(task, todo, text, embedder, memory, watch, fresh)
    with watch.stage("judging"):
        judgements = [fresh.get(s.id) or task.cached[s.id] for s in fw.standards]
        attrs = organisation_attributes(fw, text, judgements, task.org.titles, task.org.override)
    return JudgeOutcome(task.org.org_id, judgements, attrs, memory.new, dict(watch.seconds))


def _judge(task, todo, text, embedder, memory, watch: Stopwatch, fresh: dict) -> None:
    if todo:
        similarity = _similarity(embedder, memory) if embedder else None
        with watch.stage("retrieval"):
            index, vecs = _index(text.passages, embedder, memory, todo, task.candidates)
        by_id = {p.id: p for p in text.passages}
        for standard in todo:
            with watch.stage("judging"):
                j = judge_standard(standard, text, similarity)
                assign_confidence(j, standard)
            if index is not None:
                with watch.stage("retrieval"):
                    j.nearest = _nearest(index, standard, vecs.get(standard.id), by_id)
            fresh[standard.id] = j


@contextmanager
def _memoised_hits() -> Iterator[Callable]:
    """Let ``judge_standard`` reuse hits found ahead of it (see ``_hit_texts``).

    Why: similarity needs a vector per hit sentence, and the engine asks element by element;
    finding the hits first lets one batched embedder call serve all of an organisation's
    standards, and this memo keeps the rules from running twice for it.
    """
    from policyaudit.assess import engine, rules

    memo: dict[tuple, list] = {}

    def element_hits(element, sentences, delegating: bool = False):
        key = (id(element), id(sentences), delegating)
        if key not in memo:
            memo[key] = (element, sentences, rules.element_hits(element, sentences, delegating))
        return memo[key][2]

    original = engine.element_hits
    engine.element_hits = element_hits
    try:
        yield element_hits
    finally:
        engine.element_hits = original


def _hit_texts(standards, text, element_hits: Callable) -> list[str]:
    """The sentences the engine will ask similarities for, found by a dry run of the judgement
    that records the requests instead of answering them: the engine only asks about hits tied at
    the top of its lexical ranking, a few per standard, so one batch covers them all."""
    wanted: dict[str, None] = {}

    def record(texts: Sequence[str], examples: Sequence[str]) -> np.ndarray:
        wanted.update(dict.fromkeys([*texts, *examples]))
        return np.zeros((len(texts), len(examples)), dtype=np.float32)

    for standard in standards:
        judge_standard(standard, text, record)
    return list(wanted)


def _nearest(index, standard, query_vec, by_id: dict) -> list[Evidence]:
    hits = index.search(standard.retrieval_query, query_vec, k=NEAREST_K)
    out = []
    for h in hits:
        p = by_id[h.passage_id]
        out.append(Evidence(p.document, p.page, p.section_text, p.text[:MAX_QUOTE], p.id))
    return out


def _similarity(embedder, cache) -> Similarity:
    from policyaudit.assess.embed import embed_cached

    def similarity(texts: Sequence[str], examples: Sequence[str]) -> np.ndarray:
        a = embed_cached(embedder, list(texts), cache)
        b = embed_cached(embedder, list(examples), cache)
        return a @ b.T

    return similarity


def _index(passages: Sequence[PassageView], embedder, cache, standards, candidate_ids=None):
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
    if candidate_ids is None:
        candidates = _candidates(passages, standards)
    else:
        by_id = {p.id: p for p in passages}
        candidates = [by_id[i] for i in candidate_ids]
    index = PassageIndex.build(
        [p.id for p in candidates], [p.text for p in candidates], embedder, cache
    )
    vecs = embed_cached(embedder, [s.retrieval_query for s in standards], cache)
    return index, {s.id: vecs[i] for i, s in enumerate(standards)}


def judge_org(
    org: OrgData,
    loaded: LoadedFramework,
    engine: Engine,
    embedder=None,
) -> tuple[list[Judgement], OrgAttributes, int]:
    """Judge one organisation in-process, reusing cached cells; returns (judgements,
    attributes, judged). ``audit`` does the same for many organisations on an executor."""
    plan = plan_org(org, loaded, engine)
    cache = RunEmbeddingCache(engine)
    if embedder is not None:
        _EMBEDDERS.setdefault(embedder.model_id, embedder)
    if embedder is not None and plan.todo:
        embed_ahead([plan], loaded, cache, embedder, progress=False)
    outcome = judge_task(_task(plan, loaded, cache, embedder))
    _store_outcome(engine, loaded, plan, outcome, cache, embedder)
    return outcome.judgements, outcome.attributes, len(plan.todo)


def attributes_key(loaded: LoadedFramework, org: OrgData) -> str:
    """What an organisation's attributes depend on: its documents, the framework (shared
    settings and every standard, through the judgements), its titles and the csv override."""
    payload = json.dumps(
        {
            "framework": framework_key(loaded),
            "documents": org.fingerprint,
            "standards": [loaded.standard_hash(s) for s in loaded.framework.standards],
            "titles": org.titles,
            "override": org.override,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def previous_attributes(engine: Engine) -> dict[str, list]:
    """Attributes the last complete audit recorded (org id -> [key, attributes]).

    They live in the run's settings, beside the cells they were computed from, so that an
    unchanged re-run needs neither the sentence splitter nor the attribute rules.
    """
    with session_scope(engine) as session:
        settings = session.scalars(
            select(m.Run.settings)
            .where(m.Run.kind == "audit", m.Run.status == "complete")
            .order_by(m.Run.id.desc())
            .limit(1)
        ).first()
    return dict((settings or {}).get("attributes") or {})


def plan_org(
    org: OrgData, loaded: LoadedFramework, engine: Engine, previous: Mapping | None = None
) -> Plan:
    """Which of an organisation's cells (and attributes) the caches already hold."""
    fw = loaded.framework
    hashes = {s.id: loaded.standard_hash(s) for s in fw.standards}
    cached = cached_judgements(engine, framework_key(loaded), org.fingerprint, hashes)
    key, attrs = (previous or {}).get(org.org_id) or (None, None)
    valid = attrs is not None and key == attributes_key(loaded, org)
    return Plan(
        org,
        cached,
        [s for s in fw.standards if s.id not in cached],
        attributes=OrgAttributes(**attrs) if valid else None,
    )


def cached_outcome(plan: Plan, loaded: LoadedFramework) -> JudgeOutcome | None:
    """An organisation whose cells and attributes are all cached: no model or rule work."""
    if plan.todo or plan.attributes is None:
        return None
    judgements = [judgement_from_dict(plan.cached[s.id]) for s in loaded.framework.standards]
    return JudgeOutcome(plan.org.org_id, judgements, plan.attributes, {}, {})


def _task(plan: Plan, loaded: LoadedFramework, cache: RunEmbeddingCache, embedder) -> JudgeTask:
    from policyaudit.assess.embed import text_hash

    vectors: dict[str, np.ndarray] = {}
    if embedder is not None and plan.todo:
        by_id = {p.id: p for p in plan.org.passages}
        texts = [by_id[i].text for i in plan.candidates or []] + _standard_texts(plan.todo)
        hashes = list(dict.fromkeys(text_hash(t) for t in texts))
        vectors = cache.get_many(embedder.model_id, hashes)
    return JudgeTask(
        org=plan.org,
        framework=loaded,
        todo=[s.id for s in plan.todo],
        cached={sid: judgement_from_dict(p) for sid, p in plan.cached.items()},
        candidates=plan.candidates,
        vectors=vectors,
        model=embedder.model_id if embedder is not None else None,
    )


def _store_outcome(
    engine: Engine,
    loaded: LoadedFramework,
    plan: Plan,
    outcome: JudgeOutcome,
    cache: RunEmbeddingCache,
    embedder,
) -> None:
    """Commit one organisation's new judgements (and the vectors its worker made)."""
    if embedder is not None and outcome.vectors:
        cache.put_many(embedder.model_id, outcome.vectors)
    todo = {s.id: loaded.standard_hash(s) for s in plan.todo}
    payloads = {
        j.standard_id: (todo[j.standard_id], judgement_to_dict(j))
        for j in outcome.judgements
        if j.standard_id in todo
    }
    if payloads:
        store_judgements(engine, framework_key(loaded), plan.org.fingerprint, payloads)


# ---------------------------------------------------------------------------------------------
# Recording the run


def record_run(
    engine: Engine,
    loaded: LoadedFramework,
    corpus: Path,
    settings: dict,
    judgements: Sequence[Judgement],
    run_id: int | None = None,
) -> int:
    """Store the run (framework version and hash, engine version, settings) and its cells in
    one transaction, so a run is either complete with all its cells or has none.

    With ``run_id`` (a run started as 'running') it completes that run, replacing any cells it
    already had, so calling it twice never duplicates rows.
    """
    fw = loaded.framework
    with session_scope(engine) as session:
        run = session.get(m.Run, run_id) if run_id is not None else None
        if run is None:
            run = m.Run(kind="audit")
            session.add(run)
        run.corpus = str(corpus.resolve())
        run.framework_id = fw.id
        run.framework_version = fw.version
        run.framework_hash = loaded.sha256
        run.engine_version = __version__
        run.settings = {**(run.settings or {}), **settings}
        run.status = "complete"
        run.finished_at = datetime.now(UTC)
        session.flush()
        session.execute(delete(m.Judgement).where(m.Judgement.run_id == run.id))
        rows = [_judgement_row(run.id, j) for j in judgements]
        if rows:
            session.execute(insert(m.Judgement.__table__), rows)
        return run.id


def _judgement_row(run_id: int, j: Judgement) -> dict[str, Any]:
    ev, cf = j.evidence, j.conflict
    return {
        "run_id": run_id,
        "org_id": j.org_id,
        "standard_id": j.standard_id,
        "verdict": j.verdict,
        "conflicts": j.conflicts,
        "confidence": j.confidence,
        "evidence_document": ev.document if ev else None,
        "evidence_page": ev.page if ev else None,
        "evidence_section": ev.section if ev else None,
        "evidence_quote": ev.quote if ev else None,
        "conflict_document": cf.document if cf else None,
        "conflict_quote": cf.quote if cf else None,
        "source": j.source,
        "coder": None,
        "details": judgement_to_dict(j),
        "created_at": datetime.now(UTC),
    }


def _finish_failed(engine: Engine, run_id: int, exc: BaseException) -> None:
    status = "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"
    with session_scope(engine) as session:
        run = session.get(m.Run, run_id)
        if run is not None and run.status == "running":
            run.status = status
            run.finished_at = datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# The audit


def audit(
    corpus: Path,
    db: str | Path,
    framework: str | Path | None = None,
    workers: int | None = None,
    semantic: bool = True,
    progress: bool = True,
    rejudge: Callable[[list[Judgement], list[OrgData]], int] | None = None,
    executor=None,
    limits=None,
) -> AuditResult:
    """Ingest ``corpus`` into ``db`` and judge every organisation x standard.

    ``executor`` (``corpus.ingest.LocalExecutor`` by default) runs extraction and judging;
    ``limits`` (``corpus.ingest.Limits``) refuses oversized files. ``AuditResult.timings``
    holds wall seconds per stage; the parallel judging phase is shared among embedding,
    retrieval and judging in proportion to the time the workers spent on each.
    """
    from policyaudit.corpus.ingest import LocalExecutor, ingest, start_run

    loaded = load_framework(framework)  # fail on a bad framework before any work
    engine = make_engine(db)
    own = executor is None
    executor = executor or LocalExecutor(workers)
    watch = Stopwatch()
    try:
        with watch.stage("extraction"):  # ingest records (and on a kill, resumes) its own run
            report = ingest(corpus, db, workers, progress, executor=executor, limits=limits)
        run_id = start_run(
            engine,
            "audit",
            corpus=str(Path(corpus).resolve()),
            framework_id=loaded.framework.id,
            framework_version=loaded.framework.version,
            framework_hash=loaded.sha256,
            semantic=semantic,
        )
        try:
            return _audit(
                corpus,
                engine,
                loaded,
                run_id,
                report,
                executor,
                watch,
                semantic,
                progress,
                rejudge,
            )
        except BaseException as exc:
            _finish_failed(engine, run_id, exc)
            raise
    finally:
        if own:
            executor.close()


def _audit(
    corpus, engine, loaded, run_id, report, executor, watch, semantic, progress, rejudge
) -> AuditResult:
    from policyaudit.corpus.ingest import LocalExecutor

    with watch.stage("loading"):
        org_ids = [o.org_id for o in discover(corpus).organisations]
        orgs = load_organisations(engine, org_ids)
        previous = previous_attributes(engine)
        plans = [plan_org(org, loaded, engine, previous) for org in orgs]
    if isinstance(executor, LocalExecutor) and any(p.todo or not p.attributes for p in plans):
        executor.start()  # fork the workers before the model starts its threads here
    embedder, cache, embedded = None, RunEmbeddingCache(engine), 0
    if semantic:
        from policyaudit.assess.embed import Embedder

        embedder = Embedder(max_tokens=MAX_TOKENS)
        _EMBEDDERS[embedder.model_id] = embedder
        with watch.stage("embedding"):
            embedded = embed_ahead(plans, loaded, cache, embedder, progress)
    outcomes = _judge_all(plans, loaded, engine, cache, embedder, executor, watch, progress)
    judgements = [j for o in outcomes for j in o.judgements]
    attributes = [o.attributes for o in outcomes]
    if rejudge is not None:
        rejudge(judgements, orgs)
    settings = {
        "semantic": semantic,
        "embedder": embedder.model_id if embedder else None,
        "executor": executor.name,
        "attributes": {
            o.org_id: [attributes_key(loaded, p.org), asdict(o.attributes)]
            for p, o in zip(plans, outcomes, strict=True)
        },
    }
    with watch.stage("recording"):
        run_id = record_run(engine, loaded, corpus, settings, judgements, run_id)
    judged = sum(len(p.todo) for p in plans)
    timings = {k: round(v, 3) for k, v in watch.seconds.items()}
    return AuditResult(
        run_id,
        loaded,
        orgs,
        judgements,
        attributes,
        report.problems,
        judged,
        timings=timings,
        embedded=embedded,
        extracted=report.extracted,
    )


def _judge_all(plans, loaded, engine, cache, embedder, executor, watch, progress) -> list:
    """Run every organisation's task on the executor, committing each as it completes."""
    outcomes: list[JudgeOutcome | None] = [cached_outcome(p, loaded) for p in plans]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    tasks = [_task(plans[i], loaded, cache, embedder) for i in todo]
    worker: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    done = executor.map_unordered(judge_task, tasks)
    for n, outcome, error in _progress(done, progress, total=len(tasks)):
        if error is not None:
            raise error
        _store_outcome(engine, loaded, plans[todo[n]], outcome, cache, embedder)
        outcomes[todo[n]] = outcome
        for stage, seconds in outcome.seconds.items():
            worker[stage] += seconds
    _share(watch, time.perf_counter() - started, worker)
    return outcomes


def _share(watch: Stopwatch, wall: float, worker: Mapping[str, float]) -> None:
    """Charge the parallel phase's wall time to the stages the workers spent it on."""
    total = sum(worker.values())
    if total <= 0:
        watch.add("judging", wall)
        return
    for stage, seconds in worker.items():
        watch.add(stage, wall * seconds / total)


def _progress(items, enabled: bool, label: str = "judging", weights=None, total=None):
    if not enabled:
        yield from items
        return
    from rich.progress import Progress

    items = list(items) if total is None else items
    steps = weights or None
    with Progress(transient=True) as bar:
        task = bar.add_task(
            label, total=sum(steps) if steps else (total if total is not None else len(items))
        )
        for n, item in enumerate(items):
            yield item
            bar.advance(task, steps[n] if steps else 1)
