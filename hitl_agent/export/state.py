"""What an export remembers for the next one: its dedup and split state, saved beside it.

An export that continues another (``since``) must drop new rows that duplicate old ones and keep
every group on its side of the split. Replaying the old rows rebuilds that state, at a cost that
grows with the ledger; instead each export saves the state it ended with (a few sorted arrays of
64-bit hashes, :class:`~hitl_agent.export.hashing.HashSet64` snapshots) in
:data:`STATE_NAME`, named with its hash in the manifest's ``state``, so the next export starts
from it at a cost that does not depend on what came before. Not a data file: uploads leave it.

The state is what the earlier export saw: a correction forgotten since still counts for dedup
(a new row that repeats it is dropped), as it would have had both been in one export.

The arrays are stored uncompressed, so the next export memory-maps them where they lie in the
file (:func:`map_npz`) rather than reading them: whatever their size, it neither loads them into
memory nor spills them to disk, and its look-ups read only the pages they touch. What still
grows with the state is reading it once to check its hash and writing the new one (a few
nanoseconds a key).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
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
        arrays = map_npz(path)
        meta = json.loads(bytes(np.asarray(arrays["meta"])).decode("utf-8"))
        if (meta.get("version") != STATE_VERSION
                or meta.get("up_to_seq") != previous.up_to_seq
                or meta.get("options") != options):
            return False
        sets = {"seen": deduper.seen, "bands": deduper.bands, "val": splitter.val_groups,
                "train": splitter.train_groups}
        if any(arrays[k].dtype != np.uint64 or arrays[k].ndim != 1 for k in sets):
            return False
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, struct.error):
        return False
    for key, keys in sets.items():
        keys.restore(arrays[key], mapped=True)
    splitter.strata = {label: list(counts) for label, counts in meta["strata"]}
    return True


def map_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed ``.npz`` (what :func:`numpy.savez` writes), each
    memory-mapped where it lies in the file, read-only. Raises ``ValueError`` for a compressed
    or malformed one."""
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as f:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise ValueError(f"{info.filename}: not a stored .npy member")
            # The local header's name and extra fields may differ in length from the central
            # directory's: read them where the member starts.
            f.seek(info.header_offset)
            header = f.read(30)
            if header[:4] != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: no local header")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"{info.filename}: .npy format {version}")
            if fortran or dtype.hasobject:
                raise ValueError(f"{info.filename}: not a plain C-ordered array")
            count = int(np.prod(shape))
            name = info.filename[:-4]
            out[name] = (np.memmap(f, dtype=dtype, mode="r", offset=f.tell(), shape=shape)
                         if count else np.zeros(shape, dtype=dtype))
    return out
