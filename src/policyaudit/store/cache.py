"""Caches kept in the database: embeddings by text hash, judgements by what they depend on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from policyaudit.store.db import session_scope, upsert
from policyaudit.store.models import EmbeddingCache, JudgementCache

_CHUNK = 500  # keeps IN (...) lists under every backend's parameter limit


class StoreEmbeddingCache:
    """The engine's ``EmbeddingCache`` protocol on the ``embedding_cache`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with session_scope(self.engine) as session:
            for i in range(0, len(hashes), _CHUNK):
                chunk = list(hashes[i : i + _CHUNK])
                rows = session.execute(
                    select(EmbeddingCache.text_hash, EmbeddingCache.vector).where(
                        EmbeddingCache.model == model_id, EmbeddingCache.text_hash.in_(chunk)
                    )
                )
                for text_hash, blob in rows:
                    found[text_hash] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [
            {"model": model_id, "text_hash": h, "vector": np.asarray(v, np.float32).tobytes()}
            for h, v in vectors.items()
        ]
        with session_scope(self.engine) as session:
            upsert(session, EmbeddingCache, rows)


def cached_judgements(
    engine: Engine, framework_key: str, org_fingerprint: str, standard_hashes: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Payloads of the standards whose framework, standard text and documents are unchanged."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(JudgementCache).where(
                JudgementCache.framework_hash == framework_key,
                JudgementCache.org_fingerprint == org_fingerprint,
            )
        ).all()
        return {
            r.standard_id: r.payload
            for r in rows
            if standard_hashes.get(r.standard_id) == r.standard_hash
        }


def store_judgements(
    engine: Engine,
    framework_key: str,
    org_fingerprint: str,
    payloads: Mapping[str, tuple[str, dict[str, Any]]],
) -> None:
    """Remember payloads by standard id -> (standard hash, payload)."""
    rows = [
        {
            "framework_hash": framework_key,
            "standard_hash": standard_hash,
            "org_fingerprint": org_fingerprint,
            "standard_id": standard_id,
            "payload": payload,
        }
        for standard_id, (standard_hash, payload) in payloads.items()
    ]
    with session_scope(engine) as session:
        upsert(session, JudgementCache, rows)
