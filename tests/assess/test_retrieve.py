"""Tests for hybrid BM25 + dense retrieval with reciprocal-rank fusion."""

from __future__ import annotations

import numpy as np
import pytest

from policyaudit.assess.embed import Embedder, MemoryEmbeddingCache
from policyaudit.assess.retrieve import (
    RRF_K,
    Hit,
    PassageIndex,
    Query,
    competition_ranks,
    reciprocal_rank_fusion,
    tokenize_for_bm25,
)

# ---------------------------------------------------------------------------------------------
# Pure parts, computed by hand
# ---------------------------------------------------------------------------------------------


def test_rrf_constant_is_60() -> None:
    assert RRF_K == 60


def test_competition_ranks_by_hand() -> None:
    scores = np.array([0.2, 0.9, 0.5, 0.9, 0.0])
    assert competition_ranks(scores).tolist() == [4, 1, 3, 1, 5]
    valid = scores > 0
    assert competition_ranks(scores, valid).tolist() == [4, 1, 3, 1, 0]
    assert competition_ranks(np.array([])).tolist() == []


def test_rrf_by_hand() -> None:
    bm25 = np.array([1, 2, 0, 3])  # 0 = not ranked
    dense = np.array([3, 1, 2, 4])
    fused = reciprocal_rank_fusion(bm25, dense)
    expected = [1 / 61 + 1 / 63, 1 / 62 + 1 / 61, 1 / 62, 1 / 63 + 1 / 64]
    np.testing.assert_allclose(fused, expected, rtol=1e-12)
    assert np.argsort(-fused).tolist() == [1, 0, 3, 2]
    np.testing.assert_allclose(reciprocal_rank_fusion(bm25, k=1), [1 / 2, 1 / 3, 0, 1 / 4])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion(bm25, dense[:3])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion(np.array([-1]))


def test_tokenize_for_bm25_drops_stopwords_and_lowercases() -> None:
    assert tokenize_for_bm25(["The Ward is NOT a place for ligatures"]) == [
        ["ward", "place", "ligatures"]
    ]


def _unit(angle_deg: float) -> np.ndarray:
    """A 3-d unit vector in the x-y plane; cosine with x-axis is cos(angle)."""
    a = np.deg2rad(angle_deg)
    return np.array([np.cos(a), np.sin(a), 0.0], dtype=np.float32)


def _toy_index() -> PassageIndex:
    texts = [
        "Ligature points are audited annually",  # only passage with the query term
        "The kitchen is cleaned daily",
        "Visiting hours are posted at reception",
        "Parking permits are issued by estates",
    ]
    # Cosines with the query direction (x-axis): 0.1, 0.9, 0.5, -0.2.
    angles = [np.rad2deg(np.arccos(c)) for c in (0.1, 0.9, 0.5, -0.2)]
    emb = np.vstack([_unit(a) for a in angles]) * 3.0  # un-normalised on purpose
    return PassageIndex(["p0", "p1", "p2", "p3"], texts, emb)


def test_search_fuses_by_hand() -> None:
    hits = _toy_index().search("ligature", np.array([1.0, 0.0, 0.0]), k=10)
    # BM25 ranks: p0=1, others unranked. Dense ranks: p1=1, p2=2, p0=3, p3=4.
    assert [h.passage_id for h in hits] == ["p0", "p1", "p2", "p3"]
    p0, p1, p2, p3 = hits
    assert (p0.bm25_rank, p0.dense_rank) == (1, 3)
    assert p0.bm25_score > 0
    assert p0.fused_score == pytest.approx(1 / 61 + 1 / 63)
    assert (p1.bm25_rank, p1.bm25_score, p1.dense_rank) == (None, 0.0, 1)
    assert p1.fused_score == pytest.approx(1 / 61)
    assert p2.fused_score == pytest.approx(1 / 62)
    assert p3.fused_score == pytest.approx(1 / 64)
    assert [h.cosine for h in hits] == pytest.approx([0.1, 0.9, 0.5, -0.2], abs=1e-6)


def test_search_k_truncates_and_none_returns_all() -> None:
    index = _toy_index()
    q = np.array([1.0, 0.0, 0.0])
    assert [h.passage_id for h in index.search("ligature", q, k=2)] == ["p0", "p1"]
    assert len(index.search("ligature", q, k=None)) == 4
    assert index.search("ligature", q, k=0) == []


def test_search_without_vector_is_bm25_only() -> None:
    hits = _toy_index().search("kitchen ligature ligature", None, k=10)
    assert {h.passage_id for h in hits} == {"p0", "p1"}  # passages matching no term are absent
    assert all(h.cosine is None and h.dense_rank is None for h in hits)
    assert [h.bm25_rank for h in hits] == [1, 2]
    assert hits[0].fused_score == pytest.approx(1 / 61)


def test_no_term_match_and_stopword_only_query() -> None:
    index = _toy_index()
    assert index.search("the and of", None) == []
    hits = index.search("zebra", np.array([1.0, 0.0, 0.0]), k=1)
    assert hits[0].passage_id == "p1" and hits[0].bm25_rank is None


def test_multiple_examples_take_max() -> None:
    index = _toy_index()
    # Example 2 points straight at p3 (cos -0.2 with x-axis, so use its own direction).
    p3_dir = index.embeddings[3]
    both = np.vstack([np.array([1.0, 0.0, 0.0]), p3_dir])
    cos = index.cosines(both)
    assert cos[3] == pytest.approx(1.0, abs=1e-6)
    assert cos[1] == pytest.approx(max(0.9, float(index.embeddings[1] @ p3_dir)), abs=1e-6)
    # BM25 side: max over example texts, not a concatenation.
    # Two examples hit p0, so max and sum differ there.
    examples = ["ligature", "ligature points audited", "kitchen"]
    singles = np.vstack([index.bm25_scores(t) for t in examples])
    assert (singles[:2, 0] > 0).all()
    np.testing.assert_allclose(index.bm25_scores(examples), singles.max(axis=0))
    hits = index.search(["ligature", "kitchen"], both, k=None)
    assert {h.passage_id: h.bm25_rank for h in hits}["p0"] is not None
    assert {h.passage_id: h.bm25_rank for h in hits}["p1"] is not None


def test_ties_share_rank_and_order_is_stable() -> None:
    texts = ["self harm policy", "self harm policy", "unrelated text here"]
    emb = np.vstack([_unit(10), _unit(10), _unit(80)])
    index = PassageIndex([10, 20, 30], texts, emb)
    hits = index.search("harm", np.array([1.0, 0.0, 0.0]))
    assert [h.passage_id for h in hits] == [10, 20, 30]
    assert hits[0].bm25_rank == hits[1].bm25_rank == 1
    assert hits[0].dense_rank == hits[1].dense_rank == 1
    assert hits[0].fused_score == hits[1].fused_score


def test_fused_tie_goes_to_dense_rank() -> None:
    # "a" is BM25 rank 1 / dense rank 2, "b" is BM25 rank 2 / dense rank 1:
    # both fuse to 1/61 + 1/62 exactly; "b" must win on its dense rank despite coming second.
    texts = ["harm harm harm policy", "harm policy document text"]
    emb = np.vstack([_unit(40), _unit(20)])
    index = PassageIndex(["a", "b"], texts, emb)
    hits = index.search("harm", np.array([1.0, 0.0, 0.0]))
    assert [(h.passage_id, h.bm25_rank, h.dense_rank) for h in hits] == [
        ("b", 2, 1),
        ("a", 1, 2),
    ]
    assert hits[0].fused_score == hits[1].fused_score == pytest.approx(1 / 61 + 1 / 62)


def test_search_many_matches_search() -> None:
    index = _toy_index()
    queries = [
        Query("ligature", np.array([1.0, 0.0, 0.0])),
        Query("kitchen", None),
        Query(["visiting", "parking"], np.vstack([_unit(0), _unit(120)])),
    ]
    many = index.search_many(queries, k=3)
    single = [index.search(q.text, q.vec, k=3) for q in queries]
    assert many == single


def test_validation_errors() -> None:
    with pytest.raises(ValueError):
        PassageIndex(["a", "a"], ["x", "y"])
    with pytest.raises(ValueError):
        PassageIndex(["a"], ["x", "y"])
    with pytest.raises(ValueError):
        PassageIndex(["a", "b"], ["x", "y"], np.zeros((3, 4)))
    lexical = PassageIndex(["a"], ["ligature"])
    assert not lexical.has_embeddings
    with pytest.raises(ValueError):
        lexical.search("ligature", np.ones(4))
    with pytest.raises(ValueError):
        _toy_index().search("ligature", np.ones(5))


def test_empty_index() -> None:
    index = PassageIndex([], [], np.zeros((0, 3), dtype=np.float32))
    assert len(index) == 0
    assert index.search("ligature", np.array([1.0, 0.0, 0.0])) == []
    assert index.search_many([Query("x", np.array([1.0, 0.0, 0.0]))]) == [[]]


def test_passages_without_indexable_words() -> None:
    index = PassageIndex(["a", "b"], ["The and of", ""], np.vstack([_unit(0), _unit(90)]))
    assert np.array_equal(index.bm25_scores("the harm"), [0.0, 0.0])
    hits = index.search("the harm", np.array([1.0, 0.0, 0.0]))
    assert [(h.passage_id, h.bm25_rank, h.dense_rank) for h in hits] == [
        ("a", None, 1),
        ("b", None, 2),
    ]


def test_hit_is_frozen() -> None:
    h = Hit("a", 1.0, 1, 0.5, 1, 0.03)
    with pytest.raises(AttributeError):
        h.fused_score = 1.0  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# With the real model
# ---------------------------------------------------------------------------------------------

PASSAGES = {
    "risk-tools": "Risk assessment tools and scales must not be used to predict future suicide "
    "or repetition of self-harm, nor to decide who should or should not receive treatment.",
    "psychosocial": "Everyone who presents to the emergency department after an episode of "
    "self-harm will be offered a comprehensive psychosocial assessment by trained staff.",
    "safety-plan": "Each patient has a personal safety plan written together with them, "
    "covering warning signs, coping strategies and people they can contact in a crisis.",
    "families": "Where the person consents, families and carers are involved in care planning "
    "and are given information about support services.",
    "ligature": "The estates team carries out an annual environmental audit of ligature points "
    "and anchor points on inpatient wards.",
    "kitchen": "The ward kitchen is cleaned daily and food is stored at the correct temperature.",
    "parking": "Staff parking permits are issued by the estates office each April.",
    "training": "All clinical staff complete suicide prevention training every three years, "
    "recorded in the learning management system.",
    "follow-up": "Patients discharged from inpatient care are contacted within 72 hours of "
    "discharge to check on their wellbeing.",
    "leave": "Annual leave requests must be submitted to the line manager six weeks in advance.",
}

QUERIES = {
    "Do not use risk scores to predict who will die by suicide": "risk-tools",
    "People who have harmed themselves get a psychosocial assessment": "psychosocial",
    "Involve relatives and carers when the patient agrees": "families",
    "Contact patients within three days of leaving hospital": "follow-up",
    "Staff are trained in preventing suicide": "training",
}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=2)


@pytest.fixture(scope="module")
def real_index(embedder: Embedder) -> PassageIndex:
    return PassageIndex.build(list(PASSAGES), list(PASSAGES.values()), embedder)


def test_relevant_passage_ranks_first(embedder: Embedder, real_index: PassageIndex) -> None:
    texts = list(QUERIES)
    vecs = embedder.embed(texts)
    results = real_index.search_many([Query(t, v) for t, v in zip(texts, vecs, strict=True)], k=3)
    for text, hits in zip(texts, results, strict=True):
        assert hits[0].passage_id == QUERIES[text], (text, hits)
        assert hits[0].dense_rank == 1, (text, hits)


def test_example_sentences_query(embedder: Embedder, real_index: PassageIndex) -> None:
    examples = [
        "A written safety plan is agreed with the patient",
        "Patients know who to call when they are in crisis",
    ]
    hits = real_index.search(examples, embedder.embed(examples), k=3)
    assert hits[0].passage_id == "safety-plan"


def test_build_uses_cache(embedder: Embedder) -> None:
    cache = MemoryEmbeddingCache()
    a = PassageIndex.build(list(PASSAGES), list(PASSAGES.values()), embedder, cache)
    assert len(cache) == len(PASSAGES)
    b = PassageIndex.build(list(PASSAGES), list(PASSAGES.values()), embedder, cache)
    assert a.embeddings is not None and b.embeddings is not None
    assert np.array_equal(a.embeddings, b.embeddings)
