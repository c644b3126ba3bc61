"""What an export remembers for the next one: its dedup and split state, saved beside it.

An export that continues another (``since``) must drop new rows that duplicate old ones and keep
every group on its side of the split. Replaying the old rows rebuilds that state, at a cost that
grows with the ledger; instead each export saves the state it ended with (a few sorted arrays of
64-bit hashes, :class:`~hitl_agent.export.hashing.HashSet64` snapshots) in
:data:`STATE_NAME`, named with its hash in the manifest's ``state``, so the next export starts
from it at a cost that does not depend on what came before. Not a data file: uploads leave it.

The state is what the earlier export saw: a correction forgotten since still counts for dedup
(a new row that repeats it is dropped), as it would have had both been in one export.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from hitl_agent.export.dedup import Deduper
from hitl_agent.export.manifest import Manifest, sha256_file
from hitl_agent.export.split import GroupSplitter

STATE_NAME = "export-state.npz"
STATE_VERSION = 1


def dump_state(deduper: Deduper, splitter: GroupSplitter, *, up_to_seq: int,
               options: dict[str, Any]) -> bytes:
    """The dedup and split state after the rows up to ``up_to_seq``, as one ``.npz`` file."""
    meta = {"version": STATE_VERSION, "up_to_seq": up_to_seq, "options": options,
            "strata": [[label, counts] for label, counts in splitter.strata.items()]}
    out = io.BytesIO()
    np.savez(out, seen=deduper.seen.snapshot(), bands=deduper.bands.snapshot(),
             val=splitter.val_groups.snapshot(), train=splitter.train_groups.snapshot(),
             meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    return out.getvalue()


def restore_state(previous: Manifest, folder: Path | None, deduper: Deduper,
                  splitter: GroupSplitter, options: dict[str, Any]) -> bool:
    """Fill a fresh ``deduper`` and ``splitter`` from the state ``previous`` saved in
    ``folder``; False (nothing changed) when there is none, it does not match its manifest's
    hash, position or ``options``, or it cannot be read: the caller replays the rows instead."""
    if previous.state is None or folder is None:
        return False
    path = folder / previous.state.path
    try:
        if not path.is_file() or sha256_file(path) != previous.state.sha256:
            return False
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if (meta.get("version") != STATE_VERSION
                    or meta.get("up_to_seq") != previous.up_to_seq
                    or meta.get("options") != options):
                return False
            arrays = {k: data[k] for k in ("seen", "bands", "val", "train")}
    except (OSError, ValueError, KeyError):
        return False
    deduper.seen.restore(arrays["seen"])
    deduper.bands.restore(arrays["bands"])
    splitter.val_groups.restore(arrays["val"])
    splitter.train_groups.restore(arrays["train"])
    splitter.strata = {label: list(counts) for label, counts in meta["strata"]}
    return True
