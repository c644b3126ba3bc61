"""Dataset statistics gathered while streaming, and the ``README.md`` dataset card built from them.

Every counter is capped, so the statistics take bounded memory however large the ledger.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hitl_agent.export.manifest import Manifest
from hitl_agent.export.records import CorrectionData
from hitl_agent.types import Correction

CAP = 1000
OTHER = "(other)"


def _update(counter: Counter[str], keys: list[str]) -> None:
    """Count keys (at C speed); past CAP distinct keys the rarest are folded into OTHER."""
    counter.update(keys)
    if len(counter) > CAP:
        overflow = counter.most_common()[CAP - 1:]
        for key, _ in overflow:
            del counter[key]
        counter[OTHER] += sum(n for _, n in overflow)


@dataclass
class DatasetStats:
    labels: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    models: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    reviewers: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    agreement_hist: list[int] = field(default_factory=lambda: [0] * 5)
    agreement_sum: float = 0.0
    agreement_n: int = 0
    answers: int = 0
    first_decided: datetime | None = None
    last_decided: datetime | None = None

    @property
    def tool_calls(self) -> int:
        return self.kinds["tool_call"]

    def add(
        self, corrections: Sequence[Correction | CorrectionData], labels: list[str | None]
    ) -> None:
        """Count a chunk of exported corrections with their labels."""
        if not corrections:
            return
        _update(self.labels, [x for x in labels if x is not None])
        _update(self.actions, [c.action for c in corrections])
        _update(self.reasons, [c.reason or "unknown" for c in corrections])
        _update(self.sources, [c.source for c in corrections])
        _update(self.models, [f"{c.model_id or 'unknown'}@{c.model_version or '-'}"
                              for c in corrections])
        workers = [a.worker_id or "anonymous" for c in corrections for a in c.answers]
        self.answers += len(workers)
        _update(self.reviewers, workers)
        agreements = [c.agreement for c in corrections if c.agreement is not None]
        self.agreement_n += len(agreements)
        self.agreement_sum += sum(agreements)
        for a in agreements:
            self.agreement_hist[min(int(a * 5), 4)] += 1
        first = min(c.decided_at for c in corrections)
        last = max(c.decided_at for c in corrections)
        if self.first_decided is None or first < self.first_decided:
            self.first_decided = first
        if self.last_decided is None or last > self.last_decided:
            self.last_decided = last


def _table(counter: Counter[str], head: str, limit: int = 20) -> list[str]:
    if not counter:
        return ["_none_", ""]
    total = sum(counter.values())
    lines = [f"| {head} | count | share |", "|---|---:|---:|"]
    for key, n in counter.most_common(limit):
        cell = key.replace("|", "\\|")
        lines.append(f"| {cell} | {n} | {n / total:.1%} |")
    if len(counter) > limit:
        lines.append(f"| … {len(counter) - limit} more | | |")
    return [*lines, ""]


def render_card(manifest: Manifest, stats: DatasetStats, *, doc_url: str) -> str:
    m = manifest
    train = m.file("train")
    val = m.file("validation")
    lines = [
        f"# Correction dataset: {m.task or 'all tasks'} ({m.format})",
        "",
        "Human corrections exported from a hitl-agent ledger for fine-tuning or retraining.",
        "",
        "## Provenance",
        "",
        f"- format: `{m.format}` (rules: {doc_url})",
        f"- ledger: `{m.ledger}`, corrections with seq in ({m.after_seq}, {m.up_to_seq}]",
        f"- continues: `{m.since}`" if m.since else "- continues: (full export)",
        f"- created: {m.created.isoformat()} by {m.generator}",
        f"- decided between: {stats.first_decided} and {stats.last_decided}",
        f"- train rows: {train.rows if train else 0}, validation rows: {val.rows if val else 0}",
        "- split: grouped by `split_group` (a group never straddles train/validation), "
        f"stratified by label, validation fraction {m.options.get('val_fraction')}",
        "- filters: "
        + ", ".join(f"{k}={v}" for k, v in m.options.items() if k not in ("format", "system")),
        "",
        "## Pipeline counts",
        "",
        "| step | rows |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in m.counts.items()],
        "",
        "## Task types",
        "",
        *_table(stats.kinds, "task type"),
        "## Labels",
        "",
        *_table(stats.labels, "label"),
        "## Review actions",
        "",
        *_table(stats.actions, "action"),
        "## Why items were reviewed",
        "",
        *_table(stats.reasons, "routing reason"),
        "## Agreement",
        "",
    ]
    if stats.agreement_n:
        lines += [
            f"Mean agreement {stats.agreement_sum / stats.agreement_n:.3f} over "
            f"{stats.agreement_n} reviews.",
            "",
            "| agreement | reviews |",
            "|---|---:|",
            *[f"| [{i / 5:.1f}, {(i + 1) / 5:.1f}{']' if i == 4 else ')'} | {n} |"
              for i, n in enumerate(stats.agreement_hist)],
            "",
        ]
    else:
        lines += ["No agreement recorded.", ""]
    lines += [
        "## Reviewers",
        "",
        f"{stats.answers} answers from {len(stats.reviewers)} reviewer id(s)"
        + (" (capped)" if OTHER in stats.reviewers else "") + ".",
        "",
        *_table(stats.reviewers, "reviewer", limit=10),
        "## Models that produced the reviewed outputs",
        "",
        *_table(stats.models, "model"),
    ]
    if m.invalid:
        lines += ["## Skipped invalid rows", "", "| correction | rule | message |", "|---|---|---|"]
        lines += [f"| {r.correction_id} | {r.rule} | {r.message} |" for r in m.invalid[:20]]
        lines.append("")
    if m.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in m.warnings], ""]
    lines += ["## Files", "", "| file | rows | sha256 |", "|---|---:|---|"]
    lines += [f"| {f.path} | {f.rows if f.rows is not None else ''} | `{f.sha256}` |"
              for f in m.files]
    return "\n".join(lines) + "\n"
