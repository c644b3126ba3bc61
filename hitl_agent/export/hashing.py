"""Compact sets of 64-bit hashes: the only state that grows with the ledger during an export.

A :class:`HashSet64` keeps its keys in memory up to a cap, then spills them to disk, so an export
takes bounded memory however many rows it reads:

- in memory: a sorted ``uint64`` array (8 bytes a key) and a small Python set of the newest keys;
- past ``memory_limit``: the sorted array moves into a SQLite file in ``spill_dir`` (one table,
  ``INTEGER PRIMARY KEY``, filled in key order through ``json_each``: about 0.6 µs a key), and
  a fixed-size blocked Bloom filter in memory remembers roughly what went there.

A look-up goes to SQLite only for the keys the Bloom filter cannot rule out: the true hits and
about 1-2% of misses while the filter is not overfull (it gets worse gracefully past ~8 spills'
worth of keys, never wrong). Measured on this machine: a batched ``SELECT … IN`` costs ~2.5 µs a
key, so probing SQLite for every key of a chunk (6 keys a row for dedup) would cost more than
the rest of the pipeline; with the filter in front it costs next to nothing. Sorted run files
merged on disk were the other candidate: as cheap to write, but a look-up must probe every run
(or the runs be merged), which SQLite's B-tree does for us.

Answers are exact either way (the filter has no false negatives, and every positive is checked),
so a spilled set gives the same results as one held in memory.

A set restored from an earlier export's state (:meth:`HashSet64.restore`) may keep those keys in
a read-only base array memory-mapped from the state file: no copy into memory or onto disk, and
a look-up reads only the pages its binary search touches, so an export continuing another costs
next to nothing for the keys before it, however many there are.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import weakref
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hitl_agent.errors import InvalidStateError

U64 = npt.NDArray[np.uint64]
BOOL = npt.NDArray[np.bool_]

_BLOOM_BITS = 6  # bits set per key, all in one 64-bit word (a blocked Bloom filter)
_SQL_BATCH = 100_000  # keys per statement when spilling or probing
_SET_ENTRY_BYTES = 70  # a Python int in a set: the int object and its slot


def key64(text: str) -> int:
    """A stable 64-bit hash of a text (blake2b; the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class _Bloom:
    """A blocked Bloom filter over uniformly distributed 64-bit keys.

    Each key sets 6 bits of one 64-bit word: the word is chosen by the key's low 32 bits, the
    bits by six 6-bit fields of its high bits. One memory access per key, vectorised per chunk.
    """

    def __init__(self, nbytes: int) -> None:
        self.words: U64 = np.zeros(max(nbytes // 8, 1), dtype=np.uint64)

    @property
    def nbytes(self) -> int:
        return int(self.words.nbytes)

    def _where(self, keys: U64) -> tuple[npt.NDArray[np.intp], U64]:
        n = np.uint64(len(self.words))
        idx = (((keys & np.uint64(0xFFFFFFFF)) * n) >> np.uint64(32)).astype(np.intp)
        mask = np.zeros(len(keys), dtype=np.uint64)
        high = keys >> np.uint64(32)
        for j in range(_BLOOM_BITS):
            mask |= np.uint64(1) << ((high >> np.uint64(6 * j)) & np.uint64(63))
        return idx, mask

    def add(self, keys: U64) -> None:
        for start in range(0, len(keys), _SQL_BATCH):
            idx, mask = self._where(keys[start:start + _SQL_BATCH])
            np.bitwise_or.at(self.words, idx, mask)

    def might_contain(self, keys: U64) -> BOOL:
        idx, mask = self._where(keys)
        return np.asarray((self.words[idx] & mask) == mask)


class _DiskKeys:
    """Keys in a SQLite file of their own, deleted when closed (or when garbage collected)."""

    def __init__(self, spill_dir: str | Path | None) -> None:
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="hashset-", suffix=".db", dir=spill_dir)
        os.close(fd)
        self.path = Path(name)
        self.db = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                       "cache_size=-4096", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE k (k INTEGER PRIMARY KEY)")
        self._finalizer = weakref.finalize(self, _DiskKeys._remove, self.db, self.path)

    @staticmethod
    def _remove(db: sqlite3.Connection, path: Path) -> None:
        with contextlib.suppress(sqlite3.Error):
            db.close()
        with contextlib.suppress(OSError):
            path.unlink()

    def close(self) -> None:
        self._finalizer()

    @staticmethod
    def _json(keys: U64) -> str:
        # SQLite integers are signed: store the same 64 bits as int64.
        return "[" + ",".join(map(str, keys.view(np.int64).tolist())) + "]"

    def add(self, sorted_keys: U64) -> None:
        self.db.execute("BEGIN")
        for start in range(0, len(sorted_keys), _SQL_BATCH):
            self.db.execute("INSERT OR IGNORE INTO k SELECT value FROM json_each(?)",
                            (self._json(sorted_keys[start:start + _SQL_BATCH]),))
        self.db.execute("COMMIT")

    def all(self) -> U64:
        """Every key on disk."""
        values = [r[0] for r in self.db.execute("SELECT k FROM k")]
        return np.array(values, dtype=np.int64).view(np.uint64)

    def contains(self, keys: U64) -> BOOL:
        found: list[int] = []
        for start in range(0, len(keys), _SQL_BATCH):
            rows = self.db.execute(
                "SELECT k FROM k WHERE k IN (SELECT value FROM json_each(?))",
                (self._json(keys[start:start + _SQL_BATCH]),),
            ).fetchall()
            found.extend(r[0] for r in rows)
        if not found:
            return np.zeros(len(keys), dtype=bool)
        return np.isin(keys.view(np.int64), np.array(found, dtype=np.int64))


class HashSet64:
    """A set of 64-bit hashes at about 8 bytes each, spilling to disk past ``memory_limit``.

    A Python set of ints costs ~70 bytes an entry; here entries live in a sorted ``uint64`` array
    and only the newest ``buffer_limit`` sit in a Python set. Look-ups against the array (and the
    spilled keys) are done a chunk at a time (:meth:`lookup_sorted`), then per key against the
    buffer; :meth:`compact` merges the buffer in between chunks, so a chunk never sees keys move
    under it.

    ``memory_limit`` (bytes; None: no limit) bounds the sorted array, the buffer (~70 bytes a
    key, so ``buffer_limit`` is lowered to fit) and the Bloom filter: a third each; a merge briefly
    copies the array on top. When the array would pass its third, it is spilled to a SQLite file
    in ``spill_dir`` (the system's temporary folder when None); :meth:`close` deletes that file.
    """

    def __init__(
        self,
        buffer_limit: int = 1 << 16,
        *,
        memory_limit: int | None = None,
        spill_dir: str | Path | None = None,
    ) -> None:
        if memory_limit is not None:
            buffer_limit = max(1, min(buffer_limit, memory_limit // 3 // _SET_ENTRY_BYTES))
        self.buffer_limit = buffer_limit
        self.memory_limit = memory_limit
        self.spill_dir = spill_dir
        self._sorted: U64 = np.empty(0, dtype=np.uint64)
        self._base: U64 = np.empty(0, dtype=np.uint64)
        """Restored keys, sorted and read-only (memory-mapped from a state file, or not)."""
        self.buffer: set[int] = set()
        """The newest keys; callers may test and add to it directly in their hot loops."""
        self._bloom: _Bloom | None = None
        self._disk: _DiskKeys | None = None
        self.spilled = 0
        """How many keys live on disk."""
        self.spills = 0
        """How many times keys went to disk."""

    def __len__(self) -> int:
        return len(self._base) + len(self._sorted) + len(self.buffer) + self.spilled

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (a memory-mapped base is the file's, not counted)."""
        bloom = self._bloom.nbytes if self._bloom is not None else 0
        base = 0 if isinstance(self._base, np.memmap) else int(self._base.nbytes)
        return base + int(self._sorted.nbytes) + _SET_ENTRY_BYTES * len(self.buffer) + bloom

    @property
    def _array_cap(self) -> int | None:
        """The most keys the sorted array may hold before it spills."""
        return None if self.memory_limit is None else max(self.memory_limit // 3 // 8, 1)

    def lookup_sorted(self, keys: U64) -> BOOL:
        """Which of ``keys`` are in the base, the merged part or on disk (not the buffer)."""
        if len(keys) == 0:
            return np.zeros(0, dtype=bool)
        hit = _in_sorted(self._sorted, keys)
        if len(self._base):
            hit |= _in_sorted(self._base, keys)
        if self._disk is not None and self._bloom is not None:
            maybe = np.flatnonzero(~hit & self._bloom.might_contain(keys))
            if len(maybe):
                hit[maybe] = self._disk.contains(keys[maybe])
        return hit

    def add(self, key: int) -> None:
        self.buffer.add(key)

    def __contains__(self, key: int) -> bool:
        return key in self.buffer or bool(self.lookup_sorted(np.array([key], dtype=np.uint64))[0])

    def compact(self, *, force: bool = False) -> None:
        if not self.buffer or (len(self.buffer) < self.buffer_limit and not force):
            return
        new = np.fromiter(self.buffer, dtype=np.uint64, count=len(self.buffer))
        new.sort()
        self.buffer.clear()
        cap = self._array_cap
        if cap is not None and len(self._sorted) + len(new) > cap:
            # Spill the array rather than grow it past the cap; the new keys start the next one.
            if len(self._sorted):
                self._spill(self._sorted)
                self._sorted = np.empty(0, dtype=np.uint64)
            if len(new) > cap:
                self._spill(new)
                return
        # Linear merge of two sorted arrays (np.insert), not a re-sort of everything.
        self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, new), new)

    def snapshot(self) -> U64:
        """Every key, sorted: the base, the merged array, the buffer and the spilled ones."""
        parts = [self._base, self._sorted,
                 np.fromiter(self.buffer, dtype=np.uint64, count=len(self.buffer))]
        if self._disk is not None:
            parts.append(self._disk.all())
        keys = np.concatenate(parts)
        keys.sort(kind="stable")  # runs already sorted: a merge of them
        return keys

    def restore(self, keys: U64, *, mapped: bool = False) -> None:
        """Fill an empty set with ``keys`` (a :meth:`snapshot`). ``mapped``: the keys are a
        read-only memory map of a snapshot (strictly increasing), kept as they are (the file
        must stay while the set is used); otherwise they are held, spilling past the memory
        limit as adding them one by one would."""
        if len(self):
            raise InvalidStateError("restore fills an empty set")
        if mapped:
            if keys.dtype != np.uint64 or keys.ndim != 1 or not _increasing(keys):
                raise InvalidStateError("a mapped restore takes a snapshot's sorted keys")
            self._base = keys
            return
        keys = np.asarray(keys, dtype=np.uint64)
        if not _increasing(keys):  # not a snapshot's order
            keys = np.sort(keys)
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        cap = self._array_cap
        if cap is not None and len(keys) > cap:
            self._spill(keys)
        else:
            self._sorted = keys

    def _spill(self, sorted_keys: U64) -> None:
        if self._disk is None:
            if self.memory_limit is None:
                raise InvalidStateError("a set without a memory limit never spills")
            self._disk = _DiskKeys(self.spill_dir)
            self._bloom = _Bloom(self.memory_limit // 3)
        if self._bloom is None:
            raise InvalidStateError("spilled keys without their Bloom filter")
        self._disk.add(sorted_keys)
        self._bloom.add(sorted_keys)
        self.spilled += len(sorted_keys)
        self.spills += 1

    def close(self) -> None:
        """Delete the spill file, if any, and let go of a mapped base; the set must not be
        used afterwards."""
        self._base = np.empty(0, dtype=np.uint64)
        if self._disk is not None:
            self._disk.close()


def _in_sorted(sorted_keys: U64, keys: U64) -> BOOL:
    """Which of ``keys`` are in the sorted array (a binary search each)."""
    n = len(sorted_keys)
    if not n:
        return np.zeros(len(keys), dtype=bool)
    idx = np.searchsorted(sorted_keys, keys)
    np.minimum(idx, n - 1, out=idx)
    return np.asarray(sorted_keys[idx] == keys)


def _increasing(keys: U64, block: int = 1 << 20) -> bool:
    """Strictly increasing (a block at a time: a mapped array is not read into memory at once)."""
    for start in range(0, max(len(keys) - 1, 0), block):
        part = np.asarray(keys[start:start + block + 1])
        if not bool(np.all(part[1:] > part[:-1])):
            return False
    return True
