"""The database caches: embeddings by (model, text hash), judgements by what they depend on."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from policyaudit.store import models as m
from policyaudit.store.cache import StoreEmbeddingCache, cached_judgements, store_judgements
from policyaudit.store.db import make_engine, session_scope


def _vectors(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"{i:064x}": rng.standard_normal(384).astype(np.float32) for i in range(n)}


def test_embedding_cache_round_trips_vectors_exactly(db_url: str) -> None:
    cache = StoreEmbeddingCache(make_engine(db_url))
    vectors = _vectors(1200)  # more than one IN (...) chunk
    cache.put_many("minilm", vectors)
    got = cache.get_many("minilm", [*vectors, "not-cached"])
    assert set(got) == set(vectors)
    for key, vec in vectors.items():
        assert got[key].dtype == np.float32 and np.array_equal(got[key], vec)
    assert cache.get_many("another-model", list(vectors)) == {}


def test_embedding_cache_overwrites_instead_of_duplicating(db_url: str) -> None:
    engine = make_engine(db_url)
    cache = StoreEmbeddingCache(engine)
    cache.put_many("minilm", _vectors(10))
    newer = _vectors(5, seed=1)
    cache.put_many("minilm", newer)
    got = cache.get_many("minilm", list(newer))
    assert all(np.array_equal(got[k], v) for k, v in newer.items())
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(m.EmbeddingCache)) == 10


def test_judgement_cache_returns_only_unchanged_standards(db_url: str) -> None:
    engine = make_engine(db_url)
    payload = {"verdict": "met", "evidence": [{"quote": "Staff ask.", "page": 3}], "score": 0.5}
    store_judgements(engine, "fw", "org", {"S1": ("h1", payload), "S2": ("h2", {"x": None})})
    store_judgements(engine, "fw", "org", {"S1": ("h1", payload)})  # again: no duplicate
    assert cached_judgements(engine, "fw", "org", {"S1": "h1", "S2": "h2"}) == {
        "S1": payload,
        "S2": {"x": None},
    }
    assert cached_judgements(engine, "fw", "org", {"S1": "h1", "S2": "edited"}) == {"S1": payload}
    assert cached_judgements(engine, "fw", "other-org", {"S1": "h1"}) == {}
