"""Several writers on one database (workers, coders): no corruption, no duplicated rows.

The primary keys and unique constraints make duplicates impossible on both backends; what
differs is whether a writer that races another fails. ``StoreEmbeddingCache.put_many``
(``session.merge``) and a bare ``ingest`` can lose a race with an ``IntegrityError`` that rolls
back cleanly; writers that use ``store.db.upsert`` and ingests under ``store.db.exclusive`` all
succeed.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from policyaudit.corpus.ingest import ingest
from policyaudit.store import models as m
from policyaudit.store.cache import StoreEmbeddingCache
from policyaudit.store.db import (
    current_revision,
    exclusive,
    head_revision,
    make_engine,
    session_scope,
    upsert,
)

FILES = {
    f"ORG{o}/policy-{d}.txt": f"Policy {o}-{d}\n# 1. Purpose\nWe help.\n# 2. Steps\nAsk {d}."
    for o in range(4)
    for d in range(8)
}
VECTORS = {
    f"{i:064x}": np.random.default_rng(i).standard_normal(8).astype(np.float32) for i in range(300)
}


def run_together(*jobs: Callable[[], Any]) -> list[BaseException]:
    """Run ``jobs`` in threads released at the same moment; return what they raised."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job: Callable[[], Any]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # collected for the assertion, with its message
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _halves() -> list[dict[str, np.ndarray]]:
    items = list(VECTORS.items())
    return [dict(items[:200]), dict(items[100:])]  # 100 keys written by both


def _chunks(part: dict[str, np.ndarray], size: int = 20) -> list[dict[str, np.ndarray]]:
    items = list(part.items())
    return [dict(items[i : i + size]) for i in range(0, len(items), size)]


def _assert_cache_holds_every_vector_once(db_url: str) -> None:
    engine = make_engine(db_url, create=False)
    got = StoreEmbeddingCache(engine).get_many("minilm", list(VECTORS))
    assert set(got) == set(VECTORS)
    assert all(np.array_equal(got[k], v) for k, v in VECTORS.items())
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(m.EmbeddingCache)) == len(VECTORS)


def test_concurrent_upserts_of_the_same_keys_all_succeed(db_url: str) -> None:
    make_engine(db_url)

    def writer(part: dict[str, np.ndarray]) -> Callable[[], None]:
        def job() -> None:
            engine = make_engine(db_url, create=False)
            for chunk in _chunks(part):
                with session_scope(engine) as s:
                    rows = [
                        {"model": "minilm", "text_hash": k, "vector": v.tobytes()}
                        for k, v in chunk.items()
                    ]
                    upsert(s, m.EmbeddingCache, rows)

        return job

    assert run_together(*[writer(h) for h in _halves()]) == []
    _assert_cache_holds_every_vector_once(db_url)


def test_racing_cache_writers_never_corrupt_and_a_retry_completes(db_url: str) -> None:
    make_engine(db_url)

    def writer(part: dict[str, np.ndarray]) -> Callable[[], None]:
        def job() -> None:
            cache = StoreEmbeddingCache(make_engine(db_url, create=False))
            for chunk in _chunks(part):
                cache.put_many("minilm", chunk)

        return job

    errors = run_together(*[writer(h) for h in _halves()])
    assert all(isinstance(e, IntegrityError) for e in errors), errors
    for part in _halves():  # what a worker does after a failure: write its batch again
        writer(part)()
    _assert_cache_holds_every_vector_once(db_url)


def _assert_corpus_stored_once(db_url: str) -> None:
    with session_scope(make_engine(db_url, create=False)) as s:
        paths = s.execute(select(m.Document.org_id, m.Document.relpath)).all()
        assert sorted(f"{o}/{r}" for o, r in paths) == sorted(FILES)
        docs, sections = select(m.Document.id), select(m.Section.id)
        orphans = s.scalar(
            select(func.count()).where(
                m.Passage.document_id.not_in(docs) | m.Passage.section_id.not_in(sections)
            )
        )
        assert orphans == 0
        assert s.scalar(select(func.count()).select_from(m.Passage)) == 3 * len(
            FILES
        )  # title line and two paragraphs
        assert s.scalar(select(func.count()).select_from(m.Organisation)) == 4


def test_concurrent_ingests_under_the_ingest_lock_all_succeed(
    db_url: str, corpus_factory, fake_extract
) -> None:
    corpus = corpus_factory(FILES)
    engine = make_engine(db_url)

    def job() -> None:
        with exclusive(engine, "ingest"):
            ingest(corpus, db_url, workers=1, progress=False)

    assert run_together(job, job) == []
    _assert_corpus_stored_once(db_url)
    assert len(fake_extract) == len(FILES)  # the second ingest found everything unchanged


def test_racing_ingests_never_duplicate_and_a_rerun_completes(
    db_url: str, corpus_factory, fake_extract
) -> None:
    corpus = corpus_factory(FILES)
    make_engine(db_url)  # the schema first: here the ingests race over rows, not tables
    errors = run_together(*[lambda: ingest(corpus, db_url, workers=1, progress=False)] * 2)
    assert all(isinstance(e, IntegrityError) for e in errors), errors
    later = ingest(corpus, db_url, workers=1, progress=False)
    assert later.extracted + later.unchanged == len(FILES)
    _assert_corpus_stored_once(db_url)


def _upgrade(db_url: str) -> str | None:
    return current_revision(make_engine(db_url))


def test_processes_creating_the_schema_at_once_all_succeed(db_url: str) -> None:
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        revisions = pool.map(_upgrade, [db_url] * 3)
    assert revisions == [head_revision()] * 3
