"""Tests for the offline MiniLM embedder and the embedding cache."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from policyaudit.assess.embed import (
    EMBEDDING_DIM,
    VOCAB_PATH,
    VOCAB_SHA256,
    Embedder,
    MemoryEmbeddingCache,
    embed_cached,
    text_hash,
    vector_from_bytes,
    vector_to_bytes,
)

STATEMENT = "Staff must not use risk scores to predict suicide"
PARAPHRASE = "Risk assessment tools should not be used to predict future self-harm"
UNRELATED = "The ward kitchen is cleaned daily"

# (statement, paraphrase, unrelated) in the self-harm policy domain.
TRIPLETS = [
    (STATEMENT, PARAPHRASE, UNRELATED),
    (
        "Every patient who has self-harmed receives a psychosocial assessment",
        "People presenting after self-harm should have a psychosocial assessment",
        "Car parking permits are issued by the estates team",
    ),
    (
        "Families and carers are involved in safety planning where the patient agrees",
        "With consent, relatives and carers take part in drawing up the safety plan",
        "Invoices must be approved by the finance manager",
    ),
    (
        "Ligature points on the ward are audited every year",
        "An annual audit identifies anchor points that could be used for hanging",
        "Staff may wear their own clothes on training days",
    ),
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=2)


def test_vendored_vocab_is_the_pinned_file() -> None:
    data = VOCAB_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == VOCAB_SHA256
    assert data.decode("utf-8").count("\n") == 30522


def test_shape_dtype_and_normalisation(embedder: Embedder) -> None:
    texts = [STATEMENT, PARAPHRASE, UNRELATED, "", "word " * 400]
    v = embedder.embed(texts)
    assert v.shape == (5, EMBEDDING_DIM)
    assert v.dtype == np.float32
    assert np.all(np.isfinite(v))
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    v = embedder.embed([])
    assert v.shape == (0, EMBEDDING_DIM)
    assert v.dtype == np.float32


def test_single_string_is_rejected(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed(STATEMENT)  # type: ignore[arg-type]


def test_deterministic_and_independent_of_batching(embedder: Embedder) -> None:
    texts = [t for triplet in TRIPLETS for t in triplet] + ["word " * 300]
    a = embedder.embed(texts, batch_size=16)
    b = Embedder(threads=1).embed(texts, batch_size=3)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    # Same inputs, same call -> identical bits.
    assert np.array_equal(a, embedder.embed(texts, batch_size=16))
    # Different batching / padding / threads -> same vectors (this is what makes caching sound).
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(a, alone, atol=1e-5)


def test_input_order_is_preserved_despite_length_sorting(embedder: Embedder) -> None:
    texts = [PARAPHRASE, UNRELATED, STATEMENT]  # deliberately not in length order
    together = embedder.embed(texts)
    for row, text in enumerate(texts):
        np.testing.assert_allclose(together[row], embedder.embed([text])[0], atol=1e-5)


def test_paraphrases_score_higher_than_unrelated(embedder: Embedder) -> None:
    for statement, paraphrase, unrelated in TRIPLETS:
        s, p, u = embedder.embed([statement, paraphrase, unrelated])
        # Measured: paraphrase 0.44-0.85, unrelated -0.03-0.18.
        assert float(s @ p) > 0.4, (statement, float(s @ p))
        assert float(s @ u) < 0.25, (statement, float(s @ u))
        assert float(s @ p) - float(s @ u) > 0.2


def test_max_tokens_truncates(embedder: Embedder) -> None:
    short = Embedder(threads=2, max_tokens=16)
    head = "Staff must not use risk scores to predict suicide or allocate care."
    long_text = head + " The ward kitchen is cleaned daily and menus rotate." * 20
    # Texts identical in their first 14 word pieces embed identically at max_tokens=16 ...
    a, b = short.embed([long_text, head + " The ward kitchen is cleaned"])
    np.testing.assert_allclose(a, b, atol=1e-6)
    # ... but not at 256, where the tails are seen.
    c, d = embedder.embed([long_text, head + " The ward kitchen is cleaned"])
    assert float(c @ d) < 0.99


def test_model_id_names_model_and_truncation() -> None:
    a, b = Embedder(max_tokens=256), Embedder(max_tokens=128)
    assert "MiniLM-L6-v2" in a.model_id
    assert a.model_id != b.model_id
    assert a.model_id == Embedder(threads=4, max_tokens=256).model_id  # threads don't matter


@pytest.mark.parametrize("kwargs", [{"threads": 0}, {"max_tokens": 4}, {"max_tokens": 513}])
def test_invalid_arguments(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Embedder(**kwargs)


def test_session_is_lazy() -> None:
    e = Embedder()
    assert e._session is None
    e.embed(["x"])
    assert e._session is not None


# ---------------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------------


class CountingEmbedder:
    """Wraps the real embedder and records every text that reaches the model."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls = 0
        self.texts_embedded: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        self.calls += 1
        self.texts_embedded.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size)


def test_text_hash_is_sha256_of_utf8() -> None:
    assert text_hash("café") == hashlib.sha256("café".encode()).hexdigest()


def test_vector_bytes_roundtrip() -> None:
    v = np.arange(EMBEDDING_DIM, dtype=np.float32) / 7
    blob = vector_to_bytes(v)
    assert len(blob) == EMBEDDING_DIM * 4
    back = vector_from_bytes(blob)
    assert back.dtype == np.float32
    assert np.array_equal(back, v)
    back[0] = 99.0  # must be a writable copy


def test_cache_hit_avoids_model_calls(embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    cache = MemoryEmbeddingCache()
    texts = [STATEMENT, PARAPHRASE, STATEMENT, UNRELATED]  # one duplicate

    first = embed_cached(counting, texts, cache)
    assert counting.calls == 1
    assert counting.texts_embedded == [STATEMENT, PARAPHRASE, UNRELATED]  # duplicate embedded once
    assert len(cache) == 3
    np.testing.assert_allclose(first, embedder.embed(texts), atol=1e-6)

    second = embed_cached(counting, texts, cache)
    assert counting.calls == 1  # all hits: no model call at all
    assert np.array_equal(first, second)

    third = embed_cached(counting, [UNRELATED, "A new sentence about discharge planning"], cache)
    assert counting.calls == 2
    assert counting.texts_embedded[3:] == ["A new sentence about discharge planning"]
    assert np.array_equal(third[0], first[3])


def test_cache_is_keyed_by_model_id(embedder: Embedder) -> None:
    cache = MemoryEmbeddingCache()
    embed_cached(embedder, [STATEMENT], cache)
    other = CountingEmbedder(Embedder(threads=2, max_tokens=128))
    embed_cached(other, [STATEMENT], cache)
    assert other.calls == 1  # a different max_tokens must not reuse the 256-token vector
    assert len(cache) == 2


def test_cache_returns_copies() -> None:
    cache = MemoryEmbeddingCache()
    cache.put_many("m", {"h": np.ones(EMBEDDING_DIM, dtype=np.float32)})
    got = cache.get_many("m", ["h", "missing"])
    assert list(got) == ["h"]
    got["h"][:] = 0
    assert cache.get_many("m", ["h"])["h"][0] == 1.0


def test_embed_cached_rejects_bad_cached_vectors() -> None:
    class Fixed:
        model_id = "fixed"

        def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
            raise AssertionError("should not be called")

    cache = MemoryEmbeddingCache()
    cache.put_many("fixed", {text_hash("a"): np.ones(3, dtype=np.float32)})
    with pytest.raises(ValueError):
        embed_cached(Fixed(), ["a"], cache)


def test_embed_cached_empty() -> None:
    cache = MemoryEmbeddingCache()
    out = embed_cached(CountingEmbedder(Embedder()), [], cache)
    assert out.shape == (0, EMBEDDING_DIM)
