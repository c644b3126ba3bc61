"""Bounded export state: hash sets that spill to disk, and the payload fast path.

Both are optimisations that must not change a single byte of an export: each test here compares
against the path without them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hitl_agent.errors import InvalidStateError
from hitl_agent.export import ExportOptions, export_dataset, select_corrections
from hitl_agent.export.hashing import HashSet64
from hitl_agent.export.records import CorrectionData
from hitl_agent.export.state import map_npz
from hitl_agent.memory.ledger import Ledger
from hitl_agent.types import Correction
from tests.helpers.exports import make_correction, sentence

TINY = 3 * 8 * 16  # bytes: each hash set keeps at most a few keys in memory before spilling


def _data_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.suffix in (".csv", ".jsonl")}


def _card(out: Path) -> list[str]:
    return [x for x in (out / "README.md").read_text().splitlines()
            if not x.startswith("- created:")]


@pytest.fixture
def spills(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many times, so far, any hash set of the export went to disk."""
    made: list[HashSet64] = []
    original = HashSet64.__init__

    def recording(self: HashSet64, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(HashSet64, "__init__", recording)
    return lambda: sum(keys.spills for keys in made)


def _fill_mixed(ledger: Ledger, start: int, stop: int) -> None:
    """Rows with exact and near duplicates (of earlier rows too) and groups shared by rows."""
    for i in range(start, stop):
        text = sentence(i)
        if i % 7 == 3:
            text = sentence(i - 3)  # exact duplicate
        elif i % 11 == 5:
            text = sentence(i - 5) + " again"  # near duplicate
        ledger.record_correction(make_correction(
            i, input=text, split_group=f"g{i % 97}",
            final_output=["positive", "neutral", "negative"][i % 3]))


@pytest.mark.parametrize("fmt", ["csv", "openai-chat"])
def test_tiny_memory_limit_gives_the_same_export(
    ledger: Ledger, tmp_path: Path, spills: Callable[[], int], fmt: str
) -> None:
    _fill_mixed(ledger, 0, 600)
    options = ExportOptions(format=fmt, val_fraction=0.2)
    free = export_dataset(ledger, tmp_path / "free", options, memory_limit=None, chunk_size=50)
    assert spills() == 0
    capped = export_dataset(ledger, tmp_path / "capped", options, memory_limit=TINY, chunk_size=50)
    assert spills() > 10  # dedup and split state went to disk, many times over
    assert free.counts == capped.counts
    assert free.counts["duplicates"] and free.counts["near_duplicates"]
    assert free.counts["rows_validation"]
    assert _data_files(tmp_path / "free") == _data_files(tmp_path / "capped")
    assert _card(tmp_path / "free") == _card(tmp_path / "capped")
    assert not any(p.name.startswith(".") for p in (tmp_path / "capped").iterdir())


def test_tiny_memory_limit_gives_the_same_since_export(
    ledger: Ledger, tmp_path: Path, spills: Callable[[], int]
) -> None:
    _fill_mixed(ledger, 0, 400)
    options = ExportOptions(format="csv", val_fraction=0.3)
    export_dataset(ledger, tmp_path / "v1", options, memory_limit=None)
    _fill_mixed(ledger, 400, 700)
    free = export_dataset(ledger, tmp_path / "free", options, since=tmp_path / "v1",
                          memory_limit=None, chunk_size=40)
    assert spills() == 0
    capped = export_dataset(ledger, tmp_path / "capped", options, since=tmp_path / "v1",
                            memory_limit=TINY, chunk_size=40)
    assert spills() > 0  # the new rows' keys spilled (the saved state is mapped, not spilled)
    assert free.counts == capped.counts and free.counts["duplicates"]
    assert _data_files(tmp_path / "free") == _data_files(tmp_path / "capped")


def test_select_corrections_with_a_tiny_memory_limit(
    ledger: Ledger, spills: Callable[[], int]
) -> None:
    _fill_mixed(ledger, 0, 300)
    options = ExportOptions(format="csv")
    free = list(select_corrections(ledger, options, memory_limit=None, chunk_size=30))
    capped = list(select_corrections(ledger, options, memory_limit=TINY, chunk_size=30))
    assert spills() > 0 and free == capped and all(isinstance(c, Correction) for c in capped)
    assert len(free) < 300


def test_hash_set_spills_and_answers_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    keys = HashSet64(buffer_limit=64, memory_limit=3 * 8 * 100, spill_dir=tmp_path)
    reference: set[int] = set()
    kept: list[int] = []
    for _ in range(60):
        batch = rng.integers(0, 2**64 - 1, size=80, dtype=np.uint64, endpoint=True)
        if kept:  # some keys seen before: in memory, in the buffer or on disk
            batch[:30] = rng.choice(np.array(kept, dtype=np.uint64), 30)
        found = keys.lookup_sorted(batch).tolist()
        for k, hit in zip(batch.tolist(), found, strict=True):
            assert (hit or k in keys.buffer) == (k in reference)
            assert (k in keys) == (k in reference)
            if k not in reference:
                keys.add(k)
                reference.add(k)
                kept.append(k)
        keys.compact()
    assert keys.spilled > 0 and len(keys) == len(reference)
    assert keys.nbytes <= 3 * 8 * 100 + 70 * 64
    assert list(tmp_path.iterdir())
    # A snapshot (what an export saves for the next) holds every key, wherever it lived, and
    # restores into a set as bounded as the first.
    snapshot = keys.snapshot()
    assert snapshot.tolist() == sorted(reference)
    again = HashSet64(buffer_limit=64, memory_limit=3 * 8 * 100, spill_dir=tmp_path)
    again.restore(snapshot)
    assert again.spilled > 0 and len(again) == len(reference)
    probe = np.concatenate([snapshot[::7], rng.integers(0, 2**63, 50, dtype=np.uint64)])
    assert again.lookup_sorted(probe).tolist() == [k in reference for k in probe.tolist()]
    keys.close()
    again.close()
    assert list(tmp_path.iterdir()) == []


def test_restored_state_is_mapped_from_its_file_not_loaded_or_spilled(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    old = np.unique(rng.integers(0, 2**64 - 1, size=5000, dtype=np.uint64, endpoint=True))
    np.savez(tmp_path / "state.npz", seen=old, empty=np.empty(0, dtype=np.uint64),
             meta=np.frombuffer(b'{"a": 1}', dtype=np.uint8))
    arrays = map_npz(tmp_path / "state.npz")
    assert isinstance(arrays["seen"], np.memmap) and arrays["seen"].tolist() == old.tolist()
    assert len(arrays["empty"]) == 0 and bytes(np.asarray(arrays["meta"])) == b'{"a": 1}'

    # Far more keys than the limit lets it hold: none is copied into memory or onto disk.
    keys = HashSet64(buffer_limit=64, memory_limit=3 * 8 * 100, spill_dir=tmp_path / "spill")
    keys.restore(arrays["seen"], mapped=True)
    assert len(keys) == len(old) and keys.spilled == 0 and keys.nbytes == 0
    new = rng.integers(0, 2**63, size=500, dtype=np.uint64)
    probe = np.concatenate([old[::9], new])
    assert keys.lookup_sorted(probe).tolist() == [True] * len(old[::9]) + [False] * len(new)
    for k in new.tolist():
        keys.add(k)
        keys.compact()
    assert keys.spilled > 0  # the new keys spill as before
    assert keys.snapshot().tolist() == sorted({*old.tolist(), *new.tolist()})
    keys.close()
    with pytest.raises(InvalidStateError):
        HashSet64().restore(np.array([3, 1], dtype=np.uint64), mapped=True)


def test_compressed_state_is_not_mapped(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "state.npz", seen=np.arange(10, dtype=np.uint64))
    with pytest.raises(ValueError, match="not a stored"):
        map_npz(tmp_path / "state.npz")


def test_iter_correction_payloads_matches_iter_corrections(ledger: Ledger) -> None:
    for i in range(30):
        ledger.record_correction(make_correction(i, task="a" if i % 3 else "b"))
    ledger.forget_corrections(["c4", "c5"])
    for kwargs in ({}, {"include_forgotten": True}, {"task": "a", "after_seq": 3, "up_to_seq": 20},
                   {"batch": 7, "include_forgotten": True}):
        models = [(r.seq, r.correction, r.forgotten) for r in ledger.iter_corrections(**kwargs)]
        payloads = [(s, Correction.model_validate_json(p), f)
                    for s, p, f in ledger.iter_correction_payloads(**kwargs)]
        assert payloads == models and models


def _fields(c: CorrectionData) -> dict[str, Any]:
    skip = ("payload", "redacted")
    return {f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.name not in skip}


@pytest.mark.parametrize("overrides", [
    {},
    {"input": {"b": [1, 2.5, None, True], "a": "ü\n"}, "final_output": 3, "agreement": None},
    {"reason": None, "model_id": None, "answers": [], "action": "reject", "final_output": None},
    {"confidence": math.nan},  # NaN is not JSON: pydantic's parser takes it
    {"input": 2**70},  # beyond orjson's integers
])
def test_payload_fast_path_reads_what_pydantic_reads(overrides: dict[str, Any]) -> None:
    model = make_correction(1, **overrides)
    payload = model.model_dump_json()
    fast = CorrectionData.from_payload(payload)
    slow = CorrectionData.from_correction(Correction.model_validate_json(payload))
    assert _fields(fast) == _fields(slow)
    assert fast.decided_at.isoformat() == slow.decided_at.isoformat()
    assert fast.to_correction().model_dump_json() == payload


def test_payload_fast_path_rejects_what_pydantic_rejects() -> None:
    payload = json.loads(make_correction(1).model_dump_json())
    for bad in ({**payload, "surprise": 1}, {**payload, "action": "shrug"},
                {k: v for k, v in payload.items() if k != "input"}):
        with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
            CorrectionData.from_payload(json.dumps(bad))
