"""The export pipeline: ledger rows in, validated dataset files out, streaming a chunk at a time.

In order: decided reviews only (accepts and audited accepts as chosen); forgotten rows dropped;
the minimum-agreement filter; the redaction hook; rows the format has no use for set aside (a
bare reject has no answer to train on, an accept no preference pair); exact and near-duplicate
removal; the grouped, stratified train/validation split; per-target validation; files written
atomically with ``manifest.json`` and a ``README.md`` dataset card.

Memory stays flat: rows are read, rendered and written a chunk at a time; what is kept across
chunks is hashes (dedup: 48 bytes a kept row; split: 8 bytes a group) and capped counters. The
hashes stay in memory up to ``memory_limit`` (:data:`STATE_MEMORY_LIMIT` by default) and spill to
a SQLite file in the export's temporary folder past it (:class:`~hitl_agent.export.hashing.
HashSet64`), with the same results. Rows are parsed from the ledger's payload JSON without
pydantic (:class:`~hitl_agent.export.records.CorrectionData`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import orjson

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ConfigError, ExportError, ValidationError
from hitl_agent.export.card import DatasetStats, render_card
from hitl_agent.export.conversation import redact_context
from hitl_agent.export.dedup import Deduper
from hitl_agent.export.formats import ExportFormat, get_format
from hitl_agent.export.formats.ground_truth import GroundTruthManifest
from hitl_agent.export.manifest import (
    CARD_NAME,
    InvalidRow,
    Manifest,
    load_manifest,
    manifest_path,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import (
    CorrectionData,
    ExportRecord,
    is_feature_vector,
    make_record,
)
from hitl_agent.export.redact import Redactor, redact_value
from hitl_agent.export.split import TRAIN, VALIDATION, GroupSplitter
from hitl_agent.export.state import STATE_NAME, dump_state, restore_state
from hitl_agent.export.writer import ExportWriter
from hitl_agent.memory.ledger import Ledger
from hitl_agent.types import Correction

T = TypeVar("T")
Payload = tuple[int, str, bool]  # (seq, payload_json, forgotten): Ledger.iter_correction_payloads
MAX_INVALID_LISTED = 100
STATE_MEMORY_LIMIT = 128 << 20
"""Bytes of dedup and split state an export keeps in memory before spilling it to disk."""
# Options that must not change between an export and the exports that continue it (--since):
# they decide which rows were kept and on which side of the split they fell.
CONTINUITY = ("val_fraction", "stratify", "split_salt", "dedup", "near_dup")
COUNT_KEYS = (
    "read", "excluded_timeout", "excluded_accepts", "excluded_audited_accepts", "forgotten",
    "below_min_agreement", "unsupported_classification", "unsupported_generation",
    "unsupported_extraction", "unsupported_tool_call", "not_applicable", "duplicates",
    "near_duplicates", "other_shape", "invalid_rows", "records_train", "records_validation",
    "rows_train", "rows_validation",
)
KIND_NAMES = {"classification": "classifications", "generation": "free-text answers",
              "extraction": "structured outputs", "tool_call": "tool calls"}


@dataclass
class ExportResult:
    out: Path
    manifest: Manifest

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest.counts


CHUNK_SIZE = 250
"""Rows read, rendered and written at a time. Small enough that a chunk's objects die young: with
1,000, enough of them outlived two young collections to set off CPython's full collections (each
over every object the process holds) every few thousand rows, a third of a large export's time.
(Setting the process's older objects aside with ``gc.freeze`` for the export made it flatter
still, but left the collector so that the process's next work ran 8 times slower: a library
leaves the collector alone.)"""


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _version() -> str:
    try:
        return f"hitl-agent {metadata.version('hitl-agent')}"
    except metadata.PackageNotFoundError:
        return "hitl-agent (not installed)"


@dataclass
class _Selection:
    """The stages up to the split; its dedup and split state is what ``--since`` replays."""

    options: ExportOptions
    fmt: ExportFormat | None
    ledger: Ledger | None = None
    redact: Redactor | None = None
    memory_limit: int | None = STATE_MEMORY_LIMIT
    spill_dir: Path | None = None
    deduper: Deduper = field(init=False)
    splitter: GroupSplitter = field(init=False)
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        o = self.options
        # Three quarters for dedup (6 keys a kept row), a quarter for the split (1 a group).
        quarter = None if self.memory_limit is None else self.memory_limit // 4
        self.deduper = Deduper(exact=o.dedup, near=o.near_dup, spill_dir=self.spill_dir,
                               memory_limit=None if quarter is None else 3 * quarter)
        self.splitter = GroupSplitter(o.val_fraction, stratify=o.stratify, salt=o.split_salt,
                                      memory_limit=quarter, spill_dir=self.spill_dir)
        self.counts = dict.fromkeys(COUNT_KEYS, 0)

    def close(self) -> None:
        """Delete the dedup and split state's spill files, if any."""
        self.deduper.close()
        self.splitter.close()

    def _contexts(self, chunk: list[tuple[int, CorrectionData, bool]]) -> dict[str, Any]:
        if self.ledger is None:
            return {}
        found = self.ledger.item_contexts([c.thread_id for _, c, _ in chunk])
        out: dict[str, Any] = {}
        for item_id, text in found.items():
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict):
                out[item_id] = redact_context(value, self.redact) if self.redact else value
        return out

    def _select(self, row: tuple[int, CorrectionData, bool],
                contexts: dict[str, Any]) -> ExportRecord | None:
        o, counts = self.options, self.counts
        seq, c, forgotten = row
        counts["read"] += 1
        if c.action == "timeout":
            counts["excluded_timeout"] += 1
            return None
        if c.action == "accept":
            if c.reason == "audit" and not o.include_audited_accepts:
                counts["excluded_audited_accepts"] += 1
                return None
            if c.reason != "audit" and not o.include_accepts:
                counts["excluded_accepts"] += 1
                return None
        if forgotten:
            counts["forgotten"] += 1
            return None
        # A correction without a recorded agreement cannot show that it meets a minimum.
        if o.min_agreement is not None and (c.agreement is None or c.agreement < o.min_agreement):
            counts["below_min_agreement"] += 1
            return None
        if self.redact is not None:
            c = c.with_values(
                redact_value(c.input, self.redact),
                redact_value(c.model_output, self.redact),
                redact_value(c.final_output, self.redact),
            )
        record = make_record(seq, c, o, contexts.get(c.thread_id))
        if self.fmt is not None and record.kind not in self.fmt.task_types:
            counts[f"unsupported_{record.kind}"] += 1
            return None
        if self.fmt is not None and self.fmt.not_applicable(record) is not None:
            counts["not_applicable"] += 1
            return None
        return record

    def run(self, chunk: list[Payload]) -> list[tuple[ExportRecord, str]]:
        parsed = [(seq, CorrectionData.from_payload(p), f) for seq, p, f in chunk]
        contexts = self._contexts(parsed)
        records = [r for r in (self._select(row, contexts) for row in parsed) if r is not None]
        # Tool calls of one conversation share most of their prompt: only exact duplicates.
        verdicts = self.deduper.check(
            [r.prompt if r.kind != "tool_call" else canonical_json(r.messages) for r in records],
            [not is_feature_vector(r.correction.input) and r.kind != "tool_call"
             for r in records],
        )
        kept = []
        for record, verdict in zip(records, verdicts, strict=True):
            if verdict is None:
                kept.append(record)
            else:
                self.counts["duplicates" if verdict == "duplicate" else "near_duplicates"] += 1
        sides = self.splitter.assign(
            [r.correction.split_group for r in kept], [r.label for r in kept]
        )
        return list(zip(kept, sides, strict=True))


def _state_options(options: ExportOptions) -> dict[str, Any]:
    """The options a saved state depends on: it is reused only under the same ones."""
    return {k: v for k, v in options.filters().items()
            if k in (*CONTINUITY, "task", "include_accepts", "include_audited_accepts",
                     "min_agreement", "prompt_template")}


def _open_ledger(source: Ledger | str | Path) -> Ledger:
    if isinstance(source, Ledger):
        return source
    text = str(source)
    if "://" not in text and not Path(text).is_file():
        raise ConfigError(f"no ledger at {text!r}", field="ledger")
    return Ledger(text)


def select_corrections(
    source: Ledger | str | Path,
    options: ExportOptions,
    *,
    redact: Redactor | None = None,
    chunk_size: int = CHUNK_SIZE,
    memory_limit: int | None = STATE_MEMORY_LIMIT,
) -> Iterator[Correction]:
    """The corrections an export would keep (filters and dedup), without a format or files.

    Dedup state past ``memory_limit`` spills to the system's temporary folder.
    """
    ledger = _open_ledger(source)
    selection = _Selection(options.model_copy(update={"val_fraction": 0.0}), None, ledger,
                           redact, memory_limit)
    rows = ledger.iter_correction_payloads(
        up_to_seq=ledger.last_correction_seq(), task=options.task, include_forgotten=True,
        batch=chunk_size,
    )
    try:
        for chunk in _chunks(rows, chunk_size):
            for record, _ in selection.run(chunk):
                c = record.correction
                yield c if isinstance(c, Correction) else c.to_correction()
    finally:
        selection.close()


def export_dataset(
    source: Ledger | str | Path,
    out: str | Path,
    options: ExportOptions,
    *,
    since: Manifest | str | Path | None = None,
    redact: Redactor | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    memory_limit: int | None = STATE_MEMORY_LIMIT,
) -> ExportResult:
    """Export the ledger's corrections as a dataset in ``options.format`` under ``out``.

    ``since`` (a manifest or its folder) exports only corrections after that export's ledger
    position; earlier rows are replayed through dedup and the split first, so new rows that
    duplicate old ones are dropped and groups keep their side.

    ``memory_limit`` bounds the bytes of dedup and split state held in memory (None: no bound);
    past it the state spills to a file in the export's temporary folder, with the same results.
    """
    ledger = _open_ledger(source)
    fmt = get_format(options.format)
    up_to = ledger.last_correction_seq()
    after = 0
    warnings: list[str] = []
    previous: Manifest | None = None
    since_folder: Path | None = None
    if since is not None:
        previous = since if isinstance(since, Manifest) else load_manifest(since)
        if not isinstance(since, Manifest):
            since_folder = manifest_path(since).parent
        if previous.task != options.task:
            raise ConfigError(
                f"--since manifest is for task {previous.task!r}, this export for {options.task!r}",
                field="since",
            )
        if previous.up_to_seq > up_to:
            raise ConfigError(
                f"--since manifest stops at seq {previous.up_to_seq}, beyond this ledger's last "
                f"({up_to}): is it from another ledger?", field="since",
            )
        after = previous.up_to_seq
        kept = {k: previous.options[k] for k in CONTINUITY if k in previous.options}
        changed = sorted(k for k, v in kept.items() if getattr(options, k) != v)
        if changed:
            warnings.append(f"kept {changed} of the --since export so the split stays stable")
            options = options.model_copy(update=kept)
        if isinstance(fmt, GroundTruthManifest) and previous.class_map:
            fmt.class_map = dict(previous.class_map)

    writer = ExportWriter(Path(out))
    spill_dir = writer.tmp / "state"
    selection = _Selection(options, fmt, ledger, redact, memory_limit, spill_dir)
    try:
        restored = previous is not None and after > 0 and restore_state(
            previous, since_folder, selection.deduper, selection.splitter, _state_options(options))
        if previous is not None and after > 0 and not restored:
            replay_options = ExportOptions.model_validate({**previous.options, **kept})
            # The replay fills the dedup and split state that the selection then goes on with
            # (bounded and spilled the same way); it keeps nothing per row.
            replay = _Selection(replay_options, get_format(replay_options.format), ledger,
                                redact, memory_limit, spill_dir)
            selection.close()
            selection.deduper, selection.splitter = replay.deduper, replay.splitter
            old = ledger.iter_correction_payloads(up_to_seq=after, task=options.task,
                                                  include_forgotten=True, batch=chunk_size)
            for chunk in _chunks(old, chunk_size):
                replay.run(chunk)
        manifest = _write(ledger, fmt, options, selection, writer, after, up_to, previous,
                          warnings, progress, chunk_size)
    except BaseException:
        selection.close()
        writer.abort()
        raise
    selection.close()
    return ExportResult(Path(out), manifest)


def _write(
    ledger: Ledger,
    fmt: ExportFormat,
    options: ExportOptions,
    selection: _Selection,
    writer: ExportWriter,
    after: int,
    up_to: int,
    previous: Manifest | None,
    warnings: list[str],
    progress: Callable[[int], None] | None,
    chunk_size: int,
) -> Manifest:
    counts = selection.counts
    stats = DatasetStats()
    invalid: list[InvalidRow] = []
    paths = fmt.paths()

    def reject(record: ExportRecord, exc: ValidationError) -> None:
        if options.on_invalid == "fail":
            raise ExportError(
                f"correction {record.id} (seq {record.seq}) breaks {exc.rule}: {exc.message}",
                rule=exc.rule, field=exc.field, correction_id=record.id, seq=record.seq,
            ) from exc
        counts["invalid_rows"] += 1
        if len(invalid) < MAX_INVALID_LISTED:
            invalid.append(InvalidRow(correction_id=record.id, seq=record.seq, rule=exc.rule,
                                      field=exc.field, message=exc.message))

    shape: tuple[str, ...] | None = None
    rows = ledger.iter_correction_payloads(after_seq=after, up_to_seq=up_to, task=options.task,
                                           include_forgotten=True, batch=chunk_size)
    for chunk in _chunks(rows, chunk_size):
        lines: dict[str, list[bytes]] = {TRAIN: [], VALIDATION: []}
        exported: list[Correction | CorrectionData] = []
        labels: list[str | None] = []
        for record, side in selection.run(chunk):
            try:
                built = fmt.rows(record, options)
            except ValidationError as exc:
                reject(record, exc)
                continue
            good = 0
            for row in built:
                try:
                    fmt.validate(row)
                except ValidationError as exc:
                    reject(record, exc)
                    continue
                # One row shape for the whole file: datasets and TRL type a file by its rows.
                keys = tuple(row)
                shape = shape or keys
                if keys != shape:
                    counts["other_shape"] += 1
                    continue
                lines[side].append(fmt.encode(row))
                good += 1
            if good:
                counts[f"records_{side}"] += 1
                counts[f"rows_{side}"] += good
                exported.append(record.correction)
                labels.append(record.label)
                stats.kinds[record.kind] += 1
        stats.add(exported, labels)
        for side, side_lines in lines.items():
            if side_lines:
                writer.write(side, paths[side], side_lines, fmt.header())
        if progress is not None:
            progress(counts["read"])
    state = writer.add_file(STATE_NAME, dump_state(
        selection.deduper, selection.splitter, up_to_seq=up_to,
        options=_state_options(options)), listed=False)
    selection.close()  # the dedup and split state is done with: drop its spill files now

    for kind, name in KIND_NAMES.items():
        if counts[f"unsupported_{kind}"]:
            warnings.append(f"{fmt.name} cannot carry {name}: {counts[f'unsupported_{kind}']} "
                            f"correction(s) skipped (it carries "
                            f"{', '.join(sorted(fmt.task_types))})")
    if counts["other_shape"]:
        warnings.append(f"{counts['other_shape']} row(s) of another shape than the file's "
                        f"{list(shape or ())} skipped: export one --task at a time")
    if fmt.name == "bedrock-conversation" and stats.tool_calls:
        warnings.append(f"bedrock-conversation: {stats.tool_calls} tool-call example(s); AWS "
                        "documents that Nova 2.0 SFT does not train on tool sections yet")
    n_train, n_val = counts["rows_train"], counts["rows_validation"]
    unsupported = {k: counts[f"unsupported_{k}"] for k in KIND_NAMES
                   if counts[f"unsupported_{k}"]}
    if n_train == 0 and unsupported:
        raise ExportError(
            f"{fmt.name} cannot carry "
            f"{' or '.join(KIND_NAMES[k] for k in unsupported)}: "
            f"{sum(unsupported.values())} correction(s) refused; it carries "
            f"{', '.join(sorted(fmt.task_types))}",
            rule=f"{fmt.name}.task_type", counts=counts,
        )
    needed = max(fmt.min_examples, 1)
    if n_train < needed:
        where = f"after seq {after}" if previous is not None else "in the ledger"
        raise ExportError(
            f"{n_train} training example(s) {where} for {fmt.name}, which needs at least "
            f"{needed} (pipeline: {', '.join(f'{k} {v}' for k, v in counts.items() if v)})",
            rule=f"{fmt.name}.min_examples", counts=counts,
        )
    if fmt.max_validation_examples is not None and n_val > fmt.max_validation_examples:
        raise ExportError(
            f"{n_val} validation examples; {fmt.name} takes at most "
            f"{fmt.max_validation_examples}: lower --val-fraction",
            rule=f"{fmt.name}.max_validation_examples",
        )
    if fmt.recommended_examples is not None and n_train < fmt.recommended_examples:
        warnings.append(f"{n_train} training examples; {fmt.name} recommends at least "
                        f"{fmt.recommended_examples}")

    writer.close_data()
    splits = [s for s in (TRAIN, VALIDATION) if counts[f"rows_{s}"]]
    for path, data in fmt.extra_files(options, splits).items():
        writer.add_file(path, data)
    manifest = Manifest(
        format=fmt.name,
        created=datetime.now(UTC),
        generator=_version(),
        ledger=ledger.engine.url.render_as_string(hide_password=True),
        task=options.task,
        after_seq=after,
        up_to_seq=up_to,
        since=None if previous is None else f"{previous.format}@{previous.up_to_seq}",
        options=options.filters(),
        counts=counts,
        labels=dict(stats.labels.most_common()),
        task_types=dict(stats.kinds),
        class_map=fmt.class_map if isinstance(fmt, GroundTruthManifest) else None,
        files=list(writer.entries),
        state=state,
        invalid=invalid,
        warnings=warnings,
    )
    card = render_card(manifest, stats, doc_url=fmt.doc_url)
    manifest.files.append(writer.add_file(CARD_NAME, card.encode("utf-8")))
    writer.commit(manifest.model_dump_json(indent=2))
    return manifest
