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
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hitl_agent.canonical import canonical_json
from hitl_agent.data_folder import DataFolder
from hitl_agent.errors import ConfigError, MemoryIndexError, ValidationError
from hitl_agent.memory.base import Recall
from hitl_agent.memory.documents import (
    DEFAULT_MAX_CHARS,
    check_where,
    correction_matches,
    correction_metadata,
    input_key,
    prepare_input,
)
from hitl_agent.memory.embeddings import Embedder, resolve_embeddings
from hitl_agent.memory.index import (
    LAYOUT,
    ChromaIndex,
    IndexCollection,
    check_embedding,
    collection_hnsw,
    index_errors,
)
from hitl_agent.memory.layout import fetch_sizes, matches, split_model_filter
from hitl_agent.memory.ledger import Ledger
from hitl_agent.memory.ledger import corrections as corrections_table
from hitl_agent.types import Correction, ReviewAction, SimilarCorrection

log = logging.getLogger(__name__)

LIST_REFRESH_S = 10.0
"""How old the list of a task's model partitions may get before it is read again."""
UNKNOWN_TASK_REFRESH_S = 1.0

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


def _similar(cid: str, data: Mapping[str, Any], similarity: float | None) -> SimilarCorrection:
    """The graph's view of a stored correction (the ledger's JSON, trusted: it wrote it)."""
    return SimilarCorrection.model_construct(
        correction_id=cid, input=data.get("input"), model_output=data.get("model_output"),
        final_output=data.get("final_output"), action=data.get("action", "edit"),
        similarity=similarity)


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
        self._collections: dict[tuple[str, str], Any] = {}
        self._models: dict[str, set[str]] = {}
        self._listed_at = -math.inf
        self._legacy: set[str] = set()
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
        return DataFolder(Path(database).parent).memory

    def _check_existing(self) -> None:
        """Refuse an index built with another embedding now; a broken one only warns."""
        try:
            self._list()
        except MemoryIndexError as exc:
            if "index_embedding" in exc.context:  # built with another embedding: refuse now
                raise
            self._mark_broken(exc)

    def _list(self) -> list[IndexCollection]:
        """Read which collections the index holds (checking their embedding) into the cache."""
        found = self.index.collections()
        models: dict[str, set[str]] = {}
        legacy = set()
        for c in found:
            self._check(c.task, c.collection)
            if c.model_id is None:
                legacy.add(c.task)
                continue
            models.setdefault(c.task, set()).add(c.model_id)
            self._collections.setdefault((c.task, c.model_id), c.collection)
        with self._lock:
            self._models = models
            self._listed_at = time.monotonic()
        if legacy - self._legacy:
            log.warning("correction index %s has collections of an earlier layout (tasks %s), "
                        "which recall does not read: run `hitl-agent memory rebuild`",
                        self.index.describe(), ", ".join(sorted(legacy)))
        self._legacy = legacy
        return found

    def _task_models(self, task: str) -> set[str]:
        """The model partitions ``task`` has in the index (re-listed now and then, so that
        partitions another process created are found)."""
        age = time.monotonic() - self._listed_at
        if age > (LIST_REFRESH_S if task in self._models else UNKNOWN_TASK_REFRESH_S):
            self._list()
        return self._models.get(task, set())

    def _check(self, task: str, col: Any) -> None:
        check_embedding(col, task, self.embedder.name, self.embedder.dimension,
                        self.index.describe())

    # -- state of the index ------------------------------------------------------------------

    def _mark_broken(self, exc: Exception) -> None:
        log.warning("correction index %s unavailable; recall is off until it works again "
                    "(`hitl-agent memory rebuild` repairs it): %s", self.index.describe(), exc)
        with self._lock:
            self._collections.clear()
            self._listed_at = -math.inf
            self._broken_until = time.monotonic() + self.retry_after_s
        self.index.close()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._broken_until

    def _collection(self, task: str, model_id: str, *, create: bool) -> Any:
        col = self._collections.get((task, model_id))
        if col is None:
            col = self.index.collection(task, model_id, embedding=self.embedder.name,
                                        dimension=self.embedder.dimension, create=create)
            if col is not None:
                self._collections[(task, model_id)] = col
                with self._lock:
                    self._models.setdefault(task, set()).add(model_id)
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
        matches. The exact match is the ledger's (it works with the index down); the similar
        ones are the index's, empty when it is unavailable."""
        if self.reuse:
            exact = self._exact_reuse(task, input_key(input))
            if exact is not None:
                return Recall(similar=[exact], reuse=exact)
        if not self.available:
            return Recall()
        try:
            return self._recall(task, input, self.k if k is None else k, where)
        except MemoryIndexError as exc:
            self._mark_broken(exc)
            return Recall()

    def _recall(self, task: str, input: Any, k: int, where: Where | None) -> Recall:
        if k == 0 and self.reuse_threshold is None:
            return Recall()
        prepared = prepare_input(input, self.max_input_chars)
        hits = self._nearest(task, prepared.text, max(k, 1),
                             _and(_chroma_where(self.where), _chroma_where(where)))
        similar = [_similar(cid, data, sim) for cid, sim, data in hits]
        reuse = None
        if self.reuse and self.reuse_threshold is not None and hits:
            top = similar[0]
            if (top.similarity or 0.0) >= self.reuse_threshold and self._reusable(hits[0][2]):
                reuse = top
        if self.min_similarity is not None:
            similar = [s for s in similar if (s.similarity or 0.0) >= self.min_similarity]
        return Recall(similar=similar[:k], reuse=reuse)

    def _reusable(self, data: Mapping[str, Any]) -> bool:
        """Whether a correction (its stored JSON) may be reused as the answer."""
        if data.get("action") not in self.reuse_actions or data.get("final_output") is None:
            return False
        agreement = data.get("agreement")
        return self.reuse_min_agreement is None or (
            isinstance(agreement, int | float) and agreement >= self.reuse_min_agreement
        )

    def _exact_reuse(self, task: str, key: str) -> SimilarCorrection | None:
        """The newest reusable correction of ``task`` with the same input, from the ledger's
        index on (task, input_key)."""
        rows = [(cid, json.loads(payload))
                for cid, payload in self.ledger.corrections_with_input_key(task, key)]
        rows = [(cid, data) for cid, data in rows if self._reusable(data)]
        if not rows:
            return None
        if len({canonical_json(data["final_output"]) for _cid, data in rows}) > 1:
            # People answered the same input differently: that is a question for a person.
            return None
        cid, data = rows[0]  # the newest decision
        return _similar(cid, data, 1.0)

    def _metadata(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A correction's full metadata (what ``where`` filters and search hits see)."""
        correction = Correction.model_validate(data)
        return correction_metadata(correction, prepare_input(correction.input,
                                                             self.max_input_chars))

    def _nearest(self, task: str, text: str, k: int,
                 where: dict[str, Any] | None) -> list[tuple[str, float, dict[str, Any]]]:
        """``(id, similarity, stored correction)`` of the ``k`` nearest live corrections of
        ``task`` that match ``where``. The model the filter pins picks the collections; the
        rest of it is applied to the nearest ones' metadata, fetching more while too few match
        (see :mod:`hitl_agent.memory.layout`)."""
        pinned, residual = split_model_filter(where)
        known = self._task_models(task)
        models = sorted(known if pinned is None else known.intersection(pinned))
        cols = [c for c in (self._collection(task, m, create=False) for m in models)
                if c is not None]
        if not cols:
            return []
        vector = self._embed_query(text)
        hits: list[tuple[str, float, dict[str, Any]]] = []
        for size in fetch_sizes(k, residual is not None):
            found: list[tuple[float, str]] = []
            exhausted = True
            for col in cols:
                with index_errors("query", task=task):
                    res = col.query(query_embeddings=[vector], n_results=size,
                                    include=["distances"])
                ids = res["ids"][0]
                found.extend(zip((res["distances"] or [[]])[0], ids, strict=False))
                exhausted = exhausted and len(ids) < size
            found.sort()
            payloads = self.ledger.correction_payloads([cid for _d, cid in found])
            hits = []
            for dist, cid in found:
                payload = payloads.get(cid)
                if payload is None:  # forgotten, or not in the ledger: never shown
                    continue
                data = json.loads(payload)
                if residual is not None and not matches(self._metadata(data), residual):
                    continue
                hits.append((cid, round(1.0 - float(dist), 6), data))
                if len(hits) == k:
                    return hits
            if exhausted:
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
        """Write corrections to the ledger and the index, a batch at a time: one ledger
        transaction (a correction the ledger holds keeps its record), one embedding call and
        one chromadb ``add`` per model partition. Raises :class:`MemoryIndexError`."""
        n = 0
        chunk: list[Correction] = []
        for c in corrections:
            chunk.append(c)
            if len(chunk) >= batch:
                n += self._index_batch(chunk, record=True)
                chunk = []
        if chunk:
            n += self._index_batch(chunk, record=True)
        return n

    def _index_batch(self, batch: Sequence[Correction], *, record: bool) -> int:
        latest = {c.id: c for c in batch}  # one id twice in a batch: chromadb refuses it
        prepared = {cid: prepare_input(c.input, self.max_input_chars)
                    for cid, c in latest.items()}
        # Ids the index may hold already (upserted, not added). The index is written after the
        # ledger, so an id new to the ledger is new to the index: only the ledger's earlier ones
        # are looked up in chromadb. Without a ledger write (rebuild), every id is looked up.
        maybe_held: set[str] | None = None
        if record:
            recorded = self.ledger.record_corrections_for_index(
                [(c, prepared[cid].key) for cid, c in latest.items()])
            for cid in recorded.forgotten:
                del latest[cid]
            maybe_held = recorded.held
        if not latest:
            return 0
        ids = list(latest)
        vectors = self._embed_documents([prepared[cid].text for cid in ids])
        groups: dict[tuple[str, str], list[int]] = {}
        for i, cid in enumerate(ids):
            groups.setdefault((latest[cid].task, latest[cid].model_id or ""), []).append(i)
        for (task, model_id), rows in groups.items():
            col = self._collection(task, model_id, create=True)
            with index_errors("upsert", task=task):
                # chromadb's upsert costs about a third more than add (it reads every id back):
                # ask once which ids it already holds, add the new ones, upsert only the others.
                asked = [ids[i] for i in rows if maybe_held is None or ids[i] in maybe_held]
                held = set(col.get(ids=asked, include=[])["ids"]) if asked else set()
                for method, chosen in (("add", [i for i in rows if ids[i] not in held]),
                                       ("upsert", [i for i in rows if ids[i] in held])):
                    if chosen:
                        getattr(col, method)(ids=[ids[i] for i in chosen],
                                             embeddings=vectors[chosen])
        return len(ids)

    # -- explicit operations -----------------------------------------------------------------

    def search(self, query: Any, *, task: str | None = None, k: int = 5,
               where: Where | None = None) -> list[MemoryHit]:
        """The ``k`` nearest corrections to ``query`` (a text or a structured input), in one
        task or across all of them."""
        prepared = prepare_input(query, self.max_input_chars)
        filt = _chroma_where(where)
        tasks = [task] if task is not None else sorted(
            {c.task for c in self._list() if c.model_id is not None})
        found = [(t, hit) for t in tasks for hit in self._nearest(t, prepared.text, k, filt)]
        found.sort(key=lambda th: -th[1][1])
        return [MemoryHit(_similar(cid, data, sim), t, self._metadata(data))
                for t, (cid, sim, data) in found[:k]]

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
                    for model_id in self._task_models(str(task)):
                        col = self._collection(str(task), model_id, create=False)
                        if col is not None:
                            col.delete(ids=group)
                if unknown:
                    for c in self.index.collections():
                        c.collection.delete(ids=unknown)
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
        """Recreate the index from the ledger alone (forgotten corrections left out), in the
        current layout. Repairs a missing or corrupt index, one built with another embedding
        model, and one of an earlier layout."""
        start = time.perf_counter()
        with self._lock:
            self._collections.clear()
            self._models = {}
        self.index.drop_all()
        counts: dict[str, int] = {}
        buffer: list[Correction] = []
        done = 0

        def flush() -> None:
            nonlocal done
            self._index_batch(buffer, record=False)
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
        self._list()
        return RebuildReport(corrections=done, tasks=counts,
                             seconds=time.perf_counter() - start, embedding=self.embedder.name)

    def stats(self) -> dict[str, Any]:
        """Per-task document counts (and per model), the HNSW settings of each model's
        collection, the embedding, and the ledger's live correction count; ``in_sync`` when
        the index holds exactly the ledger's live corrections in the current layout."""
        tasks: dict[str, dict[str, Any]] = {}
        legacy = 0
        for c in self.index.collections():
            meta = c.collection.metadata or {}
            with index_errors("count", task=c.task):
                count = int(c.collection.count())
            entry = tasks.setdefault(c.task, {
                "documents": 0, "models": {}, "collections": [], "hnsw": {},
                "embedding": meta.get("hitl_embedding"), "dimension": meta.get("hitl_dimension")})
            if c.model_id is None:
                legacy += count
                entry["earlier_layout_documents"] = count
                continue
            entry["documents"] += count
            entry["models"][c.model_id] = count
            entry["hnsw"][c.model_id] = collection_hnsw(c.collection)
            entry["collections"].append(c.collection.name)
        with self.ledger.engine.connect() as conn:
            ledger_count = int(conn.execute(
                select(func.count()).select_from(corrections_table)
                .where(corrections_table.c.forgotten.is_(False))
            ).scalar_one())
        documents = sum(t["documents"] for t in tasks.values())
        return {
            "index": self.index.describe(),
            "layout": LAYOUT,
            "embedding": self.embedder.name,
            "dimension": self.embedder.dimension,
            "tasks": tasks,
            "documents": documents,
            "earlier_layout_documents": legacy,
            "ledger_corrections": ledger_count,
            "in_sync": legacy == 0 and ledger_count == documents,
        }

    def close(self) -> None:
        self._collections.clear()
        self.index.close()

    def __enter__(self) -> CorrectionMemory:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
