"""Embeddings for the correction index: an offline default, or any LangChain / chromadb embedder.

Every embedder here returns L2-normalised float32 rows, so the index can use cosine distance
and the similarity it reports is ``1 - distance`` in [-1, 1].

The default, :class:`WordLlamaEmbeddings`, needs no network at install or run time: its static
token embeddings (256-d, MIT) ship inside the ``wordllama`` wheel. chromadb's own default
embedding function downloads an ONNX model on first use, so it is never used implicitly: the
index is always fed vectors computed here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from hitl_agent.errors import ConfigError, InvalidArgumentError

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. ``name`` identifies the model in the index."""

    name: str

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def normalise_rows(vectors: Any) -> Vectors:
    """L2-normalise each row; a zero row (an empty text) becomes a fixed unit vector.

    >>> normalise_rows([[3.0, 4.0], [0.0, 0.0]]).tolist()
    [[0.6000000238418579, 0.800000011920929], [1.0, 0.0]]
    """
    arr = np.array(vectors, dtype=np.float32, copy=True)
    if arr.ndim != 2:
        raise InvalidArgumentError(f"embeddings must be a 2-d array, got shape {arr.shape}",
                                   field="embeddings", rule="2-d")
    arr[~np.isfinite(arr)] = 0.0
    norms = np.linalg.norm(arr, axis=1)
    zero = norms < 1e-12
    if zero.any():
        arr[zero] = 0.0
        arr[zero, 0] = 1.0
        norms[zero] = 1.0
    arr /= norms[:, None]
    return arr


class WordLlamaEmbeddings:
    """The offline default: WordLlama's static embeddings (``l2_supercat``), loaded from its wheel.

    - ``dim``: 256 (the bundled weights), or 64 / 128 for a Matryoshka truncation of them
      (faster, smaller index, lower quality).
    - The model loads on first use (about 0.4 s, 16 MB) and never downloads anything.
    """

    def __init__(
        self, dim: int = 256, *, config: str = "l2_supercat", batch_size: int = 64
    ) -> None:
        if dim not in (64, 128, 256):
            raise ConfigError(f"wordllama dim must be 64, 128 or 256, got {dim}", field="dim")
        self.dim = dim
        self.config = config
        self.batch_size = batch_size
        self.name = f"wordllama:{config}:{dim}"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.dim

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_wordllama(self.config, self.dim)
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        # WordLlama pads each batch to its longest text: embedding in length order keeps batches
        # of similar lengths together, which matters when one enormous text sits among short ones.
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = model.embed([texts[i] for i in order], norm=False, batch_size=self.batch_size)
        out = np.empty_like(vectors)
        out[order] = vectors
        return normalise_rows(out)

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]


def _load_wordllama(config: str, dim: int) -> Any:
    try:
        # wordllama.inference calls logging.basicConfig() at import; a library must not configure
        # the application's logging, so the root logger is put back as it was.
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        import wordllama
        from wordllama import WordLlama

        root.handlers[:], root.level = handlers, level
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        from hitl_agent.errors import MissingExtra

        raise MissingExtra("wordllama", "memory") from exc
    # WordLlama.load() looks for its bundled tokenizer in the wrong place unless the package
    # folder is passed as the cache; disable_download keeps it from ever reaching the network.
    package_dir = Path(wordllama.__file__).parent
    trunc = None if dim == 256 else dim
    return WordLlama.load(config, cache_dir=package_dir, dim=256, trunc_dim=trunc,
                          disable_download=True)


class _ProbedEmbedder:
    """An embedder whose dimension is learned from one query (a remote model does not say it).
    Subclasses give ``_embed(texts)``; empty input needs no call."""

    _dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed_query("dimension probe").shape[0])
        return self._dimension

    def _embed(self, texts: list[str]) -> Vectors:
        raise NotImplementedError

    def embed_query(self, text: str) -> Vectors:
        raise NotImplementedError

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._embed(list(texts))


class LangChainEmbedder(_ProbedEmbedder):
    """Any LangChain ``Embeddings`` (Bedrock, OpenAI, HuggingFace, …)."""

    def __init__(self, embeddings: Any, *, name: str | None = None) -> None:
        self.embeddings = embeddings
        model = next((getattr(embeddings, a) for a in ("model", "model_id", "model_name")
                      if isinstance(getattr(embeddings, a, None), str)), "")
        self.name = name or f"langchain:{type(embeddings).__name__}:{model}".rstrip(":")

    def _embed(self, texts: list[str]) -> Vectors:
        return normalise_rows(self.embeddings.embed_documents(texts))

    def embed_query(self, text: str) -> Vectors:
        return normalise_rows([self.embeddings.embed_query(text)])[0]


class ChromaFunctionEmbedder(_ProbedEmbedder):
    """A chromadb ``EmbeddingFunction`` (or any ``fn(list[str]) -> vectors``)."""

    def __init__(self, fn: Callable[[list[str]], Any], *, name: str | None = None) -> None:
        self.fn = fn
        fn_name = getattr(fn, "name", None)
        if name is None and callable(fn_name):
            try:
                name = f"chroma:{fn_name()}"
            except Exception:  # noqa: BLE001 - name() is optional in chromadb's protocol
                name = None
        self.name = name or f"chroma:{type(fn).__name__}"

    def _embed(self, texts: list[str]) -> Vectors:
        return normalise_rows([np.asarray(v, dtype=np.float32) for v in self.fn(texts)])

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]


def resolve_embeddings(embeddings: Any = None) -> Embedder:
    """``None`` → the offline default; an :class:`Embedder`, a LangChain ``Embeddings`` or a
    chromadb embedding function → an :class:`Embedder`."""
    if embeddings is None:
        return WordLlamaEmbeddings()
    # The known classes first: a protocol isinstance() reads `dimension`, which may call a model.
    if isinstance(embeddings, WordLlamaEmbeddings | LangChainEmbedder | ChromaFunctionEmbedder):
        return embeddings
    if isinstance(embeddings, Embedder):
        return embeddings
    if hasattr(embeddings, "embed_documents") and hasattr(embeddings, "embed_query"):
        return LangChainEmbedder(embeddings)
    if callable(embeddings):
        return ChromaFunctionEmbedder(embeddings)
    raise ConfigError(
        f"embeddings must be an Embedder, a LangChain Embeddings or a chromadb embedding "
        f"function, got {type(embeddings).__name__}",
        field="embeddings",
    )
