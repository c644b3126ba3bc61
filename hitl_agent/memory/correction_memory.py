"""``CorrectionMemory``: every human verdict indexed in chromadb and put back to work.

It is what the review graph calls before the model (:meth:`CorrectionMemory.recall`) and after a
review (:meth:`CorrectionMemory.remember`). The ledger is the system of record; the index is
rebuilt from it (:meth:`CorrectionMemory.rebuild`) whenever it is lost, corrupt, or built with
another embedding model.

``recall`` and ``remember`` never raise because of the index: a missing or broken index logs a
warning and the graph goes on without recall (the ledger still has every correction). The
explicit operations (``search``, ``forget``, ``rebuild``, ``stats``) raise
:class:`~hitl_agent.errors.MemoryIndexError`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hitl_agent.errors import ConfigError, MemoryIndexError, ValidationError
from hitl_agent.memory.base import Recall
from hitl_agent.memory.documents import (
    DEFAULT_MAX_CHARS,
    check_where,
    correction_matches,
    correction_metadata,
    input_key,
    prepare_input,
    similar_from_metadata,
)
from hitl_agent.memory.embeddings import Embedder, resolve_embeddings
from hitl_agent.memory.index import ChromaIndex, check_embedding, index_errors
from hitl_agent.memory.layout import fetch_sizes, matches, pack, unpack
from hitl_agent.memory.ledger import Ledger
from hitl_agent.memory.ledger import corrections as corrections_table
from hitl_agent.types import Correction, ReviewAction, SimilarCorrection

log = logging.getLogger(__name__)

Where = Mapping[str, Any]


@dataclass(frozen=True)
class MemoryHit:
    """One search result: the correction as the graph sees it, its task and index metadata."""

    correction: SimilarCorrection
    task: str
    metadata: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.correction.model_dump(mode="json"),
            "task": self.task,
            "decided_at": self.metadata.get("decided_at"),
            "model_id": self.metadata.get("model_id"),
            "reviewers": json.loads(str(self.metadata.get("reviewers", "[]"))),
            "input_truncated": bool(self.metadata.get("input_truncated", False)),
        }


@dataclass(frozen=True)
class ForgetReport:
    forgotten: list[str]
    """Every correction id matched (now forgotten in the ledger and gone from the index)."""
    newly_marked: int
    """How many of them the ledger had not marked before."""
    not_found: list[str] = field(default_factory=list)
    """Ids given that the ledger does not hold (still removed from the index if there)."""


@dataclass(frozen=True)
class RebuildReport:
    corrections: int
    tasks: dict[str, int]
    seconds: float
    embedding: str


def _chroma_where(where: Where | None) -> dict[str, Any] | None:
    """``{k: v, …}`` → chromadb's ``$and`` of equalities; a dict already using operators is
    passed through."""
    if not where:
        return None
    if any(k.startswith("$") for k in where):
        return dict(where)
    clauses = [{k: v if isinstance(v, dict) else {"$eq": v}} for k, v in where.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _and(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if a is None or b is None:
        return a or b
    return {"$and": [a, b]}


class CorrectionMemory:
    """The correction memory. Implements the graph's ``CorrectionRecall``.

    - ``ledger``: the :class:`Ledger` (or its URL / SQLite path): the truth the index is built from.
    - ``index``: a :class:`ChromaIndex`; default: ``memory/`` beside a SQLite ledger.
    - ``embeddings``: ``None`` for the offline default (WordLlama), an ``Embedder``, a LangChain
      ``Embeddings`` or a chromadb embedding function.
    - ``k``: how many similar corrections recall returns (few-shot examples).
    - ``where``: a metadata filter every few-shot query adds (``{"model_id": "m2"}``, or
      chromadb's operators), on top of the task.
    - ``min_similarity``: drop few-shot examples less similar than this (cosine, in [-1, 1]).
    - ``reuse``: take the human answer for an input that matches a decided one (same normalised
      text, same task). ``reuse_threshold`` (e.g. 0.97) also reuses the nearest correction when
      its similarity reaches it; ``None`` (the default) reuses exact matches only.
    - ``reuse_actions``: which verdicts may be reused; a verdict whose final output is ``None``
      (an abstention) never is, nor are matches whose human answers disagree with each other.
    - ``reuse_min_agreement``: skip verdicts whose reviewers agreed less than this.
    - ``max_input_chars``: longer inputs are cut (``input_truncated`` in the metadata).
    - ``retry_after_s``: how long a broken index is left alone before recall tries it again.
    - ``check_index``: refuse (``MemoryIndexError``) an index built with another embedding model
      now rather than at first use; ``False`` to open it anyway in order to :meth:`rebuild` it.
    """

    def __init__(
        self,
        ledger: Ledger | str | Path,
        *,
        index: ChromaIndex | None = None,
        embeddings: Any = None,
        k: int = 5,
        where: Where | None = None,
        min_similarity: float | None = None,
        reuse: bool = True,
        reuse_threshold: float | None = None,
        reuse_actions: Sequence[ReviewAction] = ("accept", "edit", "reject"),
        reuse_min_agreement: float | None = None,
        max_input_chars: int = DEFAULT_MAX_CHARS,
        retry_after_s: float = 30.0,
        check_index: bool = True,
    ) -> None:
        if k < 0:
            raise ConfigError("k must be >= 0", field="k")
        if reuse_threshold is not None and not 0.0 < reuse_threshold <= 1.0:
            raise ConfigError("reuse_threshold must lie in (0, 1]", field="reuse_threshold")
        if max_input_chars < 1:
            raise ConfigError("max_input_chars must be positive", field="max_input_chars")
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.index = index if index is not None else ChromaIndex(self._default_index_path())
        self.embedder: Embedder = resolve_embeddings(embeddings)
        self.k = k
        self.where = dict(where) if where else None
        self.min_similarity = min_similarity
        self.reuse = reuse
        self.reuse_threshold = reuse_threshold
        self.reuse_actions = frozenset(reuse_actions)
        self.reuse_min_agreement = reuse_min_agreement
        self.max_input_chars = max_input_chars
        self.retry_after_s = retry_after_s
        self._collections: dict[str, Any] = {}
        self._broken_until = 0.0
        self._lock = threading.Lock()
        if check_index:
            self._check_existing()

    def _default_index_path(self) -> Path:
        url = self.ledger.engine.url
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            raise ConfigError(
                "this ledger has no folder to keep the index in: pass "
                "index=ChromaIndex(path) or ChromaIndex(url=...)",
                field="index",
            )
        return Path(database).parent / "memory"

    def _check_existing(self) -> None:
        """Refuse an index built with another embedding now; a broken one only warns."""
        try:
            collections = self.index.collections()
        except MemoryIndexError as exc:
            self._mark_broken(exc)
            return
        for task, col in collections:
            self._check(task, col)
            self._collections[task] = col

    def _check(self, task: str, col: Any) -> None:
        check_embedding(col, task, self.embedder.name, self.embedder.dimension,
                        self.index.describe())

    # -- state of the index ------------------------------------------------------------------

    def _mark_broken(self, exc: Exception) -> None:
        log.warning("correction index %s unavailable; recall is off until it works again "
                    "(`hitl-agent memory rebuild` repairs it): %s", self.index.describe(), exc)
        with self._lock:
            self._collections.clear()
            self._broken_until = time.monotonic() + self.retry_after_s
        self.index.close()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._broken_until

    def _collection(self, task: str, *, create: bool) -> Any:
        col = self._collections.get(task)
        if col is None:
            col = self.index.collection(task, embedding=self.embedder.name,
                                        dimension=self.embedder.dimension, create=create)
            if col is not None:
                self._collections[task] = col
        return col

    def _embed_documents(self, texts: Sequence[str]) -> Any:
        with index_errors(f"embedding with {self.embedder.name}", embedding=self.embedder.name):
            return self.embedder.embed_documents(texts)

    def _embed_query(self, text: str) -> Any:
        with index_errors(f"embedding with {self.embedder.name}", embedding=self.embedder.name):
            return self.embedder.embed_query(text)

    # -- the graph's protocol ----------------------------------------------------------------

    def recall(self, task: str, input: Any, *, k: int | None = None,
               where: Where | None = None) -> Recall:
        """Similar corrections of ``task`` for ``input``, and a human answer to reuse if one
        matches. Returns an empty :class:`Recall` when the index is unavailable."""
        if not self.available:
            return Recall()
        try:
            return self._recall(task, input, self.k if k is None else k, where)
        except MemoryIndexError as exc:
            self._mark_broken(exc)
            return Recall()

    def _recall(self, task: str, input: Any, k: int, where: Where | None) -> Recall:
        col = self._collection(task, create=False)
        if col is None:
            return Recall()
        if self.reuse:
            exact = self._exact_reuse(col, input_key(input))
            if exact is not None:
                return Recall(similar=[exact], reuse=exact)
        if k == 0 and self.reuse_threshold is None:
            return Recall()
        prepared = prepare_input(input, self.max_input_chars)
        hits = self._query(col, task, prepared.text, max(k, 1),
                           _and(_chroma_where(self.where), _chroma_where(where)))
        similar = [h.correction for h in hits]
        reuse = None
        if self.reuse and self.reuse_threshold is not None and hits:
            top = hits[0]
            if (top.correction.similarity or 0.0) >= self.reuse_threshold and self._reusable(
                top.metadata
            ):
                reuse = top.correction
        if self.min_similarity is not None:
            similar = [s for s in similar if (s.similarity or 0.0) >= self.min_similarity]
        return Recall(similar=similar[:k], reuse=reuse)

    def _reusable(self, meta: Mapping[str, Any]) -> bool:
        if meta.get("action") not in self.reuse_actions or meta.get("final_output") == "null":
            return False
        agreement = meta.get("agreement")
        return self.reuse_min_agreement is None or (
            isinstance(agreement, int | float) and agreement >= self.reuse_min_agreement
        )

    def _exact_reuse(self, col: Any, key: str) -> SimilarCorrection | None:
        with index_errors("exact-match lookup"):
            got = col.get(where={"input_key": key}, include=["metadatas", "documents"], limit=50)
        documents = got["documents"] or [None] * len(got["ids"])
        rows = [(i, d, m) for i, (m, d) in zip(
            got["ids"], (unpack(m, d) for m, d in zip(got["metadatas"] or [], documents,
                                                     strict=False)), strict=False)
                if self._reusable(m)]
        if not rows:
            return None
        if len({m["final_output"] for _i, _d, m in rows}) > 1:
            # People answered the same input differently: that is a question for a person.
            return None
        cid, doc, meta = max(rows, key=lambda r: float(r[2].get("decided_ts", 0.0)))
        return self._similar(cid, doc, meta, 1.0)

    def _similar(self, cid: str, doc: str | None, meta: Mapping[str, Any],
                 similarity: float | None) -> SimilarCorrection:
        similar = similar_from_metadata(cid, doc, meta, similarity)
        if meta.get("input_truncated"):
            record = self.ledger.get_correction(cid)
            if record is not None:
                similar = similar.model_copy(update={"input": record.correction.input})
        return similar

    def _query(self, col: Any, task: str, text: str, k: int,
               where: dict[str, Any] | None) -> list[MemoryHit]:
        """The ``k`` nearest corrections that match ``where``. chromadb is never asked to
        filter (see :mod:`hitl_agent.memory.layout`): the filter is applied to the nearest
        ones, fetching more while too few match."""
        vector = self._embed_query(text)
        hits: list[MemoryHit] = []
        for size in fetch_sizes(k, where is not None):
            with index_errors("query", task=task):
                res = col.query(query_embeddings=[vector], n_results=size,
                                include=["metadatas", "documents", "distances"])
            ids = res["ids"][0]
            documents = (res["documents"] or [[]])[0] or [None] * len(ids)
            hits = []
            for cid, doc, stored, dist in zip(ids, documents, (res["metadatas"] or [[]])[0],
                                              (res["distances"] or [[]])[0], strict=False):
                meta, document = unpack(stored, doc)
                if where is not None and not matches(meta, where):
                    continue
                hits.append(MemoryHit(self._similar(cid, document, meta,
                                                    round(1.0 - float(dist), 6)), task, meta))
                if len(hits) == k:
                    return hits
            if len(ids) < size:
                break  # the index has no more
        return hits

    def remember(self, correction: Correction) -> None:
        """Index one decided correction (upsert by its id: a retried write never duplicates).
        A broken index is logged and skipped: the ledger has the correction."""
        if not self.available:
            log.warning("correction %s not indexed: the index is unavailable", correction.id)
            return
        try:
            self.remember_many([correction])
        except MemoryIndexError as exc:
            self._mark_broken(exc)

    def remember_many(self, corrections: Iterable[Correction], *, batch: int = 512) -> int:
        """Index corrections in batches (upserts). Raises :class:`MemoryIndexError`."""
        n = 0
        pending: dict[str, list[Correction]] = {}
        for c in corrections:
            pending.setdefault(c.task, []).append(c)
            if len(pending[c.task]) >= batch:
                n += self._upsert(c.task, pending.pop(c.task))
        for task, group in pending.items():
            n += self._upsert(task, group)
        return n

    def _upsert(self, task: str, group: list[Correction]) -> int:
        latest = {c.id: c for c in group}  # one id twice in a batch: chromadb refuses it
        prepared = [prepare_input(c.input, self.max_input_chars) for c in latest.values()]
        vectors = self._embed_documents([p.text for p in prepared])
        metadatas = [pack(correction_metadata(c, p), p.text)
                     for c, p in zip(latest.values(), prepared, strict=True)]
        ids = list(latest)
        col = self._collection(task, create=True)
        with index_errors("upsert", task=task):
            # chromadb's upsert costs about a third more than add (it reads every id back):
            # ask once which ids it already holds, add the new ones, upsert only the others.
            held = set(col.get(ids=ids, include=[])["ids"])
            fresh = [i for i, cid in enumerate(ids) if cid not in held]
            for method, rows in (("add", fresh),
                                 ("upsert", [i for i, cid in enumerate(ids) if cid in held])):
                if rows:
                    getattr(col, method)(ids=[ids[i] for i in rows],
                                         embeddings=vectors[rows],
                                         metadatas=[metadatas[i] for i in rows])
        return len(latest)

    # -- explicit operations -----------------------------------------------------------------

    def search(self, query: Any, *, task: str | None = None, k: int = 5,
               where: Where | None = None) -> list[MemoryHit]:
        """The ``k`` nearest corrections to ``query`` (a text or a structured input), in one
        task or across all of them."""
        prepared = prepare_input(query, self.max_input_chars)
        filt = _chroma_where(where)
        if task is not None:
            col = self._collection(task, create=False)
            return [] if col is None else self._query(col, task, prepared.text, k, filt)
        hits: list[MemoryHit] = []
        for name, col in self.index.collections():
            self._check(name, col)
            hits.extend(self._query(col, name, prepared.text, k, filt))
        hits.sort(key=lambda h: -(h.correction.similarity or 0.0))
        return hits[:k]

    def forget(self, ids: Iterable[str] = (), *, where: Where | None = None) -> ForgetReport:
        """Forget corrections by id and/or by ``where`` (``{field or dotted.path: value}`` over
        the ledger's corrections, e.g. ``{"thread_id": "t1"}``, ``{"input.user_id": 42}``,
        ``{"reviewer": "w7"}``): marked in the ledger (no export uses them) and removed from
        the index (no query finds them).

        The ledger is marked first, so a privacy request holds even when the index is down; the
        index error is raised afterwards (rebuild then leaves the forgotten ones out).
        """
        ids = list(ids)
        if not ids and not where:
            raise ValidationError("forget needs ids or a where filter", field="ids",
                                  rule="required")
        resolved = check_where(where) if where else None
        targets: dict[str, str | None] = {}
        not_found = []
        for cid in ids:
            record = self.ledger.get_correction(cid)
            if record is None:
                not_found.append(cid)
                targets[cid] = None
            else:
                targets[cid] = record.correction.task
        if resolved:
            for record in self.ledger.iter_corrections(include_forgotten=True):
                if correction_matches(record.correction, resolved):
                    targets[record.correction.id] = record.correction.task
        known = [cid for cid, task in targets.items() if task is not None]
        newly = self.ledger.forget_corrections(known)
        by_task: dict[str | None, list[str]] = {}
        for cid, task in targets.items():
            by_task.setdefault(task, []).append(cid)
        unknown = by_task.pop(None, [])
        try:
            with index_errors("forget", ids=known):
                for task, group in by_task.items():
                    assert task is not None
                    col = self._collection(task, create=False)
                    if col is not None:
                        col.delete(ids=group)
                if unknown:
                    for _task, col in self.index.collections():
                        col.delete(ids=unknown)
        except MemoryIndexError as exc:
            raise MemoryIndexError(
                f"{len(known)} corrections are marked forgotten in the ledger (no export uses "
                f"them), but the index could not drop them: {exc}. Run `hitl-agent memory "
                "rebuild` once the index works again.",
                ids=known,
            ) from exc
        return ForgetReport(forgotten=sorted(known), newly_marked=newly, not_found=not_found)

    def rebuild(self, *, batch: int = 512,
                progress: Callable[[int], None] | None = None) -> RebuildReport:
        """Recreate the index from the ledger alone (forgotten corrections left out). Repairs a
        missing or corrupt index, and one built with another embedding model."""
        start = time.perf_counter()
        with self._lock:
            self._collections.clear()
        self.index.drop_all()
        counts: dict[str, int] = {}
        buffer: list[Correction] = []
        done = 0

        def flush() -> None:
            nonlocal done
            self.remember_many(buffer, batch=batch)
            for c in buffer:
                counts[c.task] = counts.get(c.task, 0) + 1
            done += len(buffer)
            buffer.clear()
            if progress is not None:
                progress(done)

        for record in self.ledger.iter_corrections(batch=batch):
            buffer.append(record.correction)
            if len(buffer) >= batch:
                flush()
        if buffer:
            flush()
        self._broken_until = 0.0
        return RebuildReport(corrections=done, tasks=counts,
                             seconds=time.perf_counter() - start, embedding=self.embedder.name)

    def stats(self) -> dict[str, Any]:
        """Per-task document counts, the embedding, and the ledger's live correction count."""
        tasks = {}
        for task, col in self.index.collections():
            meta = col.metadata or {}
            with index_errors("count", task=task):
                tasks[task] = {"documents": col.count(), "collection": col.name,
                               "embedding": meta.get("hitl_embedding"),
                               "dimension": meta.get("hitl_dimension")}
        with self.ledger.engine.connect() as conn:
            ledger_count = int(conn.execute(
                select(func.count()).select_from(corrections_table)
                .where(corrections_table.c.forgotten.is_(False))
            ).scalar_one())
        return {
            "index": self.index.describe(),
            "embedding": self.embedder.name,
            "dimension": self.embedder.dimension,
            "tasks": tasks,
            "documents": sum(t["documents"] for t in tasks.values()),
            "ledger_corrections": ledger_count,
            "in_sync": ledger_count == sum(t["documents"] for t in tasks.values()),
        }

    def close(self) -> None:
        self._collections.clear()
        self.index.close()

    def __enter__(self) -> CorrectionMemory:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
