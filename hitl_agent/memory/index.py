"""The chromadb side of the correction memory: clients, one collection per task and model, and
repairs.

Layout 3: a collection holds one task's corrections of one model (``model_id``; corrections
without one share the task's ``""`` partition), and nothing but their ids and vectors. The common
query (a task, the model the memory is configured for) is then a plain nearest-neighbour query
with no metadata filter; what a hit says is read from the ledger by id. Collections written with
the earlier layouts (one per task, metadata in chromadb) are listed as ``layout < 3`` and are not
queried: ``hitl-agent memory rebuild`` replaces them.

A collection's HNSW graph settings (:class:`HnswSettings`) are fixed when it is created;
collections created earlier keep theirs (they open, answer and take new corrections as before).

The index is never the truth (the ledger is), so every repair here may throw the index away.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hitl_agent.errors import ConfigError, InvalidStateError, MemoryIndexError

TASK_KEY = "hitl_task"
EMBEDDING_KEY = "hitl_embedding"
DIMENSION_KEY = "hitl_dimension"
PARTITION_KEY = "hitl_model_id"
LAYOUT_KEY = "hitl_layout"
LAYOUT = 3
_NAME_MAX = 63  # chromadb's limit on a collection name

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _chromadb() -> Any:
    from hitl_agent._extras import require

    return require("chromadb", "memory")


def _settings() -> Any:
    return _chromadb().config.Settings(anonymized_telemetry=False, allow_reset=False)


@contextmanager
def index_errors(what: str, **context: Any) -> Iterator[None]:
    """Turn whatever chromadb, its SQLite or its HTTP client raised into a MemoryIndexError."""
    try:
        yield
    except MemoryIndexError:
        raise
    except Exception as exc:  # noqa: BLE001 - chromadb raises many unrelated types (Rust, HTTP, OS)
        raise MemoryIndexError(f"correction index: {what} failed: {type(exc).__name__}: {exc}",
                               **context) from exc


@dataclass(frozen=True)
class IndexCollection:
    """One collection of an index: its task, its model partition (``None`` in the earlier
    layouts, which had one collection per task), and its layout."""

    task: str
    model_id: str | None
    layout: int
    collection: Any


_HNSW_LIMITS = {"ef_construction": (1, 10_000), "ef_search": (1, 10_000),
                "max_neighbors": (2, 512)}


@dataclass(frozen=True)
class HnswSettings:
    """The HNSW graph settings of the collections an index creates (chromadb's ``hnsw``
    configuration; cosine space).

    - ``ef_construction``: how wide each insert searches for its neighbours. Most of the cost
      of ingest is here: with chromadb's default (100) the graph costs more per correction
      than all the rest of its ``add``.
    - ``ef_search``: how wide a query searches. Raising it costs query time only.
    - ``max_neighbors``: the graph's ``M`` (links per node); fewer cost recall more than a
      lower ``ef_construction`` saves.

    Ours (the defaults) build a cheaper graph and search it wider: ``ef_construction=32``,
    ``ef_search=400``, ``max_neighbors=16``, against chromadb's 100, 100 and 16
    (:meth:`chromadb_defaults`). Measured on 20,000 WordLlama vectors of the benchmark's
    synthetic corrections (one model partition at 100k), 1,000 near-duplicate and 1,000 unseen
    queries, all settings built in the same run on a 2-core machine:

    ===================  ==========  ==========  ===============  =============
    ef_construction /    recall@5    recall@5    CPU per add      bare query
    ef_search            near-dup    unseen      (per vector)     p50
    ===================  ==========  ==========  ===============  =============
    100 / 100 (chromadb) 0.9994      0.9928      309 us           0.92 ms
    32 / 600             0.9998      0.9998      184 us           1.46 ms
    32 / 400 (ours)      0.9994      0.9992      184 us           1.29 ms
    24 / 600             0.9990      0.9992      162 us           1.48 ms
    32 / 100             0.9898      0.9796      184 us           0.94 ms
    ===================  ==========  ==========  ===============  =============

    So ours spend about 40% less on the graph at insert, find the exact nearest at least as
    often (as often on near duplicates, more often on unseen queries), and a query spends a
    few tenths of a millisecond more. A wider search (600) gains 0.0004-0.0006 of recall for
    about 0.2 ms more a query here and 0.5-1 ms more in a whole pinned recall at 100k (where
    it put the 5 ms goal of a pinned recall within the noise of the machine); a cheaper build
    (24) falls below chromadb's defaults; fewer neighbours (12) cost more recall than they
    save.
    ``benchmarks/memory.py`` measures ours beside chromadb's defaults (ingest, recall@5 against
    the exact nearest, query time) in one run at any size; at 100k (five partitions of 20k, a
    loaded 2-core machine) ``remember_many`` ingested 2,685 corrections/s with ours against
    2,078/s with chromadb's defaults (341 against 467 us of CPU per correction), the pinned
    recall found 0.9993 against 0.9960 of the exact nearest, at a p50 of 3.1 against 2.5 ms.

    The settings are written into a collection when it is created and kept with it: an index
    created with other settings (or by an earlier release, which used chromadb's defaults)
    keeps them until ``hitl-agent memory rebuild`` recreates it.
    """

    ef_construction: int = 32
    ef_search: int = 400
    max_neighbors: int = 16

    def __post_init__(self) -> None:
        for name, (low, high) in _HNSW_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"hnsw.{name} must be an integer from {low} to {high}, "
                                  f"not {value!r}", field=f"hnsw.{name}")

    @classmethod
    def chromadb_defaults(cls) -> HnswSettings:
        """chromadb's own defaults (what collections created before these settings use)."""
        return cls(ef_construction=100, ef_search=100, max_neighbors=16)

    def configuration(self) -> dict[str, Any]:
        """chromadb's ``configuration=`` for a new collection with these settings."""
        return {"hnsw": {"space": "cosine", "ef_construction": self.ef_construction,
                         "ef_search": self.ef_search, "max_neighbors": self.max_neighbors}}


def collection_hnsw(col: Any) -> dict[str, int]:
    """The HNSW settings a collection was created with (what chromadb reports of them)."""
    hnsw = (getattr(col, "configuration_json", None) or {}).get("hnsw") or {}
    return {name: int(hnsw[name]) for name in _HNSW_LIMITS if hnsw.get(name) is not None}


class ChromaIndex:
    """Where the correction index lives: a folder (``PersistentClient``), a Chroma server
    (``url``, ``HttpClient``), or a client you built.

    - ``prefix`` names this index's collections (``{prefix}-{task}-{hash}``), so several data
      folders can share one server.
    - A ``PersistentClient`` folder is for one process at a time (chromadb's own rule); several
      processes should share a Chroma server.
    - ``hnsw``: the graph settings of the collections it creates (:class:`HnswSettings`;
      default: ours, a cheaper build searched wider). Existing collections keep their own.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        url: str | None = None,
        client: Any = None,
        prefix: str = "hitl-corrections",
        headers: dict[str, str] | None = None,
        hnsw: HnswSettings | None = None,
    ) -> None:
        if sum(x is not None for x in (path, url, client)) != 1:
            raise ConfigError("ChromaIndex needs exactly one of path, url or client",
                              field="index")
        if client is None:
            _chromadb()  # without the 'memory' extra: MissingExtra now, naming it
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}", prefix):
            raise ConfigError(f"collection prefix {prefix!r} must be letters, digits, - and _",
                              field="prefix")
        self.path = Path(path).expanduser().resolve() if path is not None else None
        self.url = url
        self.prefix = prefix
        self.headers = headers
        if hnsw is not None and not isinstance(hnsw, HnswSettings):
            raise ConfigError(f"hnsw must be an HnswSettings, not {type(hnsw).__name__}",
                              field="hnsw")
        self.hnsw = hnsw if hnsw is not None else HnswSettings()
        self._client = client
        self._given_client = client is not None
        self._lock = threading.RLock()
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"chroma URL {url!r} must look like http://host:port",
                                  field="chroma_url")

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        return self.url or f"client {type(self._client).__name__}"

    # -- the client ----------------------------------------------------------------------------

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                with index_errors(f"opening {self.describe()}", index=self.describe()):
                    try:
                        self._client = self._connect()
                    except Exception:
                        self._forget_system()
                        raise
            return self._client

    def _connect(self) -> Any:
        chromadb = _chromadb()
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(str(self.path), settings=_settings())
        elif self.url is not None:
            parts = urlsplit(self.url)
            ssl = parts.scheme == "https"
            client = chromadb.HttpClient(host=parts.hostname or "localhost",
                                         port=parts.port or (443 if ssl else 8000), ssl=ssl,
                                         headers=self.headers, settings=_settings())
        else:
            raise InvalidStateError("this index was given its client: it has nothing to connect")
        client.heartbeat()
        # A corrupt SQLite file opens fine and fails on the first real read: read now.
        client.list_collections(limit=1)
        return client

    def _forget_system(self) -> None:
        """chromadb caches one System per folder and keeps a broken one: drop ours."""
        if self.path is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        if system is not None:
            with suppress(Exception):  # a half-built system may not stop cleanly
                system.stop()

    def close(self) -> None:
        with self._lock:
            if not self._given_client:
                self._client = None
                self._forget_system()

    # -- collections -------------------------------------------------------------------------

    def collection_name(self, task: str, model_id: str = "") -> str:
        """``{prefix}-{task slug}-{hash of task and model}``, within chromadb's 63 characters."""
        digest = hashlib.sha256(f"{task}\x00{model_id}".encode()).hexdigest()[:16]
        room = max(_NAME_MAX - len(self.prefix) - len(digest) - 2, 0)
        slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", task).strip("-_")[:min(room, 30)].rstrip("-_")
        return "-".join(p for p in (self.prefix, slug or "t", digest) if p)[:_NAME_MAX]

    def owns(self, name: str) -> bool:
        return name.startswith(self.prefix + "-")

    def collection(self, task: str, model_id: str = "", *, embedding: str, dimension: int,
                   create: bool) -> Any:
        """The collection of ``task``'s corrections by ``model_id``, checked against the
        embedding; ``None`` if absent and not ``create``. Raises :class:`MemoryIndexError` if it
        was built with another embedding."""
        client = self.client()
        name = self.collection_name(task, model_id)
        with index_errors(f"opening collection {name}", task=task, index=self.describe()):
            if create:
                col = client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    configuration=self.hnsw.configuration(),
                    metadata={TASK_KEY: task, PARTITION_KEY: model_id, LAYOUT_KEY: LAYOUT,
                              EMBEDDING_KEY: embedding, DIMENSION_KEY: dimension},
                )
            else:
                try:
                    col = client.get_collection(name, embedding_function=None)
                except Exception as exc:  # noqa: BLE001 - NotFoundError differs across clients
                    if "not exist" in str(exc) or "not found" in str(exc).lower():
                        return None
                    raise
        check_embedding(col, task, embedding, dimension, self.describe())
        return col

    def collections(self) -> list[IndexCollection]:
        """Every collection of this index, with its task, model partition and layout."""
        client = self.client()
        out = []
        with index_errors("listing collections", index=self.describe()):
            for col in client.list_collections():
                if self.owns(col.name):
                    got = client.get_collection(col.name, embedding_function=None)
                    meta = got.metadata or {}
                    layout = int(meta.get(LAYOUT_KEY, 2))
                    out.append(IndexCollection(
                        task=str(meta.get(TASK_KEY, col.name)),
                        model_id=str(meta.get(PARTITION_KEY, "")) if layout >= LAYOUT else None,
                        layout=layout, collection=got))
        return out

    def drop_all(self) -> None:
        """Remove every collection of this index; a broken folder is deleted and recreated."""
        with self._lock:
            try:
                client = self.client()
                with index_errors("dropping collections", index=self.describe()):
                    for col in client.list_collections():
                        if self.owns(col.name):
                            client.delete_collection(col.name)
                return
            except MemoryIndexError:
                if self.path is None:
                    raise
            self._wipe_folder()

    def _wipe_folder(self) -> None:
        path = self.path
        if path is None:
            raise InvalidStateError("only an index in a folder can be wiped")
        if path.exists():
            strangers = [p.name for p in path.iterdir()
                         if not (p.name.startswith("chroma.sqlite3") or
                                 (p.is_dir() and _UUID.match(p.name)))]
            if strangers:
                raise MemoryIndexError(
                    f"refusing to delete {path}: it holds files that are not a chroma index "
                    f"({', '.join(sorted(strangers)[:5])})",
                    index=str(path),
                )
        self._client = None
        self._forget_system()
        shutil.rmtree(path, ignore_errors=True)
        self.client()


def check_embedding(col: Any, task: str, embedding: str, dimension: int, where: str) -> None:
    meta = col.metadata or {}
    built_name, built_dim = meta.get(EMBEDDING_KEY), meta.get(DIMENSION_KEY)
    if built_dim is not None and int(built_dim) != dimension or (
        built_name is not None and built_name != embedding
    ):
        raise MemoryIndexError(
            f"the correction index for task {task!r} at {where} was built with embedding "
            f"{built_name} ({built_dim} dimensions), but this memory uses {embedding} "
            f"({dimension} dimensions). Rebuild it from the ledger: `hitl-agent memory rebuild` "
            f"(or CorrectionMemory.rebuild()).",
            task=task,
            index_embedding=built_name,
            index_dimension=built_dim,
            embedding=embedding,
            dimension=dimension,
        )
