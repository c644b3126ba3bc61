"""The pipeline's order and guarantees, against a real SQLite ledger."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.errors import ConfigError, ExportError
from hitl_agent.export import (
    ExportOptions,
    export_dataset,
    load_manifest,
    regex_redactor,
    select_corrections,
    verify_files,
)
from hitl_agent.memory.ledger import Ledger
from tests.helpers.exports import make_correction, sentence

Fill = Callable[..., Ledger]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def ids_in(out: Path, fmt: str = "csv") -> dict[str, set[str]]:
    import csv

    found = {}
    for split in ("train", "validation"):
        p = out / f"{split}.{fmt}"
        found[split] = {r["id"] for r in csv.DictReader(p.open())} if p.exists() else set()
    return found


def test_filters_run_in_order_and_are_counted(ledger: Ledger, tmp_path: Path) -> None:
    rows = [
        make_correction(0, action="timeout"),
        make_correction(1, action="accept", final_output="negative"),
        make_correction(2, action="accept", reason="audit", final_output="negative"),
        make_correction(3),  # forgotten below
        make_correction(4, agreement=0.5),
        make_correction(5, agreement=None),
        make_correction(6, action="reject", final_output=None),  # nothing to train on
        make_correction(7),
        make_correction(8, input=sentence(7)),  # exact duplicate of 7
        make_correction(9, input=sentence(7) + " again"),  # near duplicate of 7
        *[make_correction(i) for i in range(10, 22)],
    ]
    for c in rows:
        ledger.record_correction(c)
    ledger.forget_corrections(["c3"])
    result = export_dataset(ledger, tmp_path / "out", ExportOptions(
        format="openai-chat", min_agreement=0.6, val_fraction=0.0))
    counts = result.counts
    assert counts["read"] == 22
    assert counts["excluded_timeout"] == 1
    assert counts["excluded_audited_accepts"] == 1
    assert counts["forgotten"] == 1
    assert counts["below_min_agreement"] == 2
    assert counts["not_applicable"] == 1
    assert counts["duplicates"] == 1
    assert counts["near_duplicates"] == 1
    assert counts["rows_train"] == 14  # c1 (accept), c7 and c10..c21
    out = lines(tmp_path / "out" / "train.jsonl")
    assert out[0]["messages"][-1]["content"] == "negative"  # the accept came through

    again = export_dataset(ledger, tmp_path / "out2", ExportOptions(
        format="openai-chat", val_fraction=0.0, include_accepts=False,
        include_audited_accepts=True, dedup=False, near_dup=False))
    assert again.counts["excluded_accepts"] == 1
    assert again.counts["excluded_audited_accepts"] == 0
    assert again.counts["duplicates"] == again.counts["near_duplicates"] == 0


def test_redaction_hook_runs_before_dedup(fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    fill(12)
    ledger.record_correction(make_correction(
        50, input="mail me at ann@example.com please", final_output="call +44 20 7946 0958"))
    ledger.record_correction(make_correction(51, input="mail me at bob@example.org please"))
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="trl-sft",
                            val_fraction=0.0), redact=regex_redactor())
    text = (tmp_path / "o" / "train.jsonl").read_text()
    assert "example.com" not in text and "7946" not in text
    assert "mail me at <EMAIL_ADDRESS> please" in text
    assert "<PHONE_NUMBER>" in text
    assert result.counts["duplicates"] == 1  # the two inputs are the same once redacted


def test_presidio_redactor(tmp_path: Path) -> None:
    pytest.importorskip("presidio_analyzer")
    pytest.importorskip("presidio_anonymizer")
    from hitl_agent.export import presidio_redactor

    try:
        redact = presidio_redactor()
    except OSError as exc:  # the spaCy model is not installed
        pytest.skip(str(exc))
    assert "John Smith" not in redact("My name is John Smith")


def test_groups_never_straddle_the_split(ledger: Ledger, tmp_path: Path) -> None:
    for i in range(300):
        ledger.record_correction(make_correction(i, split_group=f"g{i % 40}"))
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0.25))
    found = ids_in(tmp_path / "o")
    groups = {side: {f"g{int(i[1:]) % 40}" for i in ids} for side, ids in found.items()}
    assert groups["train"] and groups["validation"]
    assert not groups["train"] & groups["validation"]
    assert len(found["train"]) + len(found["validation"]) == 300


def test_split_is_stratified_by_label(ledger: Ledger, tmp_path: Path) -> None:
    labels = ["rare"] * 20 + ["common"] * 180
    for i, label in enumerate(labels):
        ledger.record_correction(make_correction(i, final_output=label))
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0.2))
    found = ids_in(tmp_path / "o")
    val = Counter(labels[int(i[1:])] for i in found["validation"])
    assert abs(val["rare"] - 4) <= 1 and abs(val["common"] - 36) <= 1
    assert result.manifest.labels == {"common": 180, "rare": 20}


def test_split_is_deterministic(fill: Fill, tmp_path: Path) -> None:
    ledger = fill(80)
    a = export_dataset(ledger, tmp_path / "a", ExportOptions(format="trl-sft"))
    b = export_dataset(ledger, tmp_path / "b", ExportOptions(format="trl-sft"))
    assert [f.sha256 for f in a.manifest.files[:2]] == [f.sha256 for f in b.manifest.files[:2]]


def test_failing_row_leaves_no_file(fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    fill(30)
    ledger.record_correction(make_correction(99, final_output=""))  # an empty completion
    fill(30, start=100)
    out = tmp_path / "out"
    with pytest.raises(ExportError) as info:
        export_dataset(ledger, out, ExportOptions(format="openai-chat"), chunk_size=10)
    assert info.value.context["rule"] == "openai-chat.non_empty_content"
    assert info.value.context["correction_id"] == "c99"
    assert not out.exists()  # the folder the export made is gone with its files


def test_skip_reports_each_invalid_row(fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    fill(20)
    ledger.record_correction(make_correction(99, final_output=""))
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(
        format="bedrock-prompt-completion", on_invalid="skip"))
    assert result.counts["invalid_rows"] == 1
    (bad,) = result.manifest.invalid
    assert bad.correction_id == "c99"
    assert bad.rule == "bedrock-prompt-completion.non_empty_completion"
    assert "c99" in (tmp_path / "o" / "README.md").read_text()


def test_too_few_examples_is_a_clear_error(fill: Fill, tmp_path: Path) -> None:
    ledger = fill(9)
    with pytest.raises(ExportError, match="needs at least 10") as info:
        export_dataset(ledger, tmp_path / "o", ExportOptions(format="openai-chat", val_fraction=0))
    assert info.value.context["rule"] == "openai-chat.min_examples"
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_manifest_hashes_match_the_files(fill: Fill, tmp_path: Path) -> None:
    ledger = fill(40)
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="jumpstart-instruction"))
    m = load_manifest(tmp_path / "o")
    assert m == result.manifest
    assert {f.path for f in m.files} == {
        "train/train.jsonl", "validation/validation.jsonl", "train/template.json",
        "validation/template.json", "README.md",
    }
    assert verify_files(tmp_path / "o") == []
    assert m.up_to_seq == ledger.last_correction_seq() and m.after_seq == 0
    (tmp_path / "o" / "train" / "train.jsonl").write_text("tampered\n")
    assert verify_files(tmp_path / "o") == ["train/train.jsonl: sha256 differs from the manifest"]


def test_since_exports_only_what_is_new(fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    for i in range(40):
        ledger.record_correction(make_correction(i, split_group=f"g{i % 20}"))
    first = export_dataset(ledger, tmp_path / "v1", ExportOptions(format="csv", val_fraction=0.3))
    old = ids_in(tmp_path / "v1")
    old_side = {f"g{int(i[1:]) % 20}": side for side, ids in old.items() for i in ids}
    for i in range(40, 70):
        ledger.record_correction(make_correction(i, split_group=f"g{i % 20}"))
    ledger.record_correction(make_correction(70, input=sentence(3)))  # duplicates an old input
    second = export_dataset(ledger, tmp_path / "v2", ExportOptions(format="csv", val_fraction=0.3),
                            since=tmp_path / "v1")
    new = ids_in(tmp_path / "v2")
    assert second.manifest.after_seq == first.manifest.up_to_seq == 40
    assert second.manifest.up_to_seq == 71
    assert {int(i[1:]) for ids in new.values() for i in ids} == set(range(40, 70))
    assert second.counts["duplicates"] == 1
    for side, new_ids in new.items():
        for cid in new_ids:
            assert old_side[f"g{int(cid[1:]) % 20}"] == side  # groups keep their side


def test_since_without_anything_new_fails_clearly(fill: Fill, tmp_path: Path) -> None:
    ledger = fill(12)
    export_dataset(ledger, tmp_path / "v1", ExportOptions(format="csv"))
    with pytest.raises(ExportError, match="after seq 12"):
        export_dataset(ledger, tmp_path / "v2", ExportOptions(format="csv"), since=tmp_path / "v1")
    with pytest.raises(ConfigError):
        export_dataset(ledger, tmp_path / "v3", ExportOptions(format="csv"), since=tmp_path / "x")


def test_export_is_a_snapshot(fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    fill(50)
    written: list[int] = []

    def write_more(n_read: int) -> None:  # another process keeps recording corrections
        ledger.record_correction(make_correction(1000 + n_read))
        written.append(n_read)

    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0),
                            progress=write_more, chunk_size=10)
    assert written and result.manifest.up_to_seq == 50
    assert result.counts["read"] == 50


def test_reexport_replaces_stale_files(fill: Fill, tmp_path: Path) -> None:
    ledger = fill(30)
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0.3))
    assert (tmp_path / "o" / "validation.csv").exists()
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0.0))
    assert not (tmp_path / "o" / "validation.csv").exists()
    assert [p.name for p in (tmp_path / "o").iterdir() if p.name.startswith(".")] == []


def test_feature_vectors_get_exact_dedup_only(ledger: Ledger, tmp_path: Path) -> None:
    for i in range(12):
        ledger.record_correction(make_correction(i, input=[0.0] * 10 + [float(i)], final_output=i))
    ledger.record_correction(make_correction(12, input=[0.0] * 10 + [3.0], final_output=3))
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv", val_fraction=0))
    assert result.counts["duplicates"] == 1 and result.counts["near_duplicates"] == 0
    kept = list(select_corrections(ledger, ExportOptions(format="csv")))
    assert [c.final_output for c in kept] == list(range(12))


def test_a_failed_export_into_an_existing_folder_keeps_the_folder(
        fill: Fill, ledger: Ledger, tmp_path: Path) -> None:
    ledger.record_correction(make_correction(99, final_output=""))
    fill(12)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError):
        export_dataset(ledger, out, ExportOptions(format="openai-chat"))
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_since_starts_from_the_state_the_last_export_saved(ledger: Ledger,
                                                           tmp_path: Path) -> None:
    options = ExportOptions(format="csv", val_fraction=0.3)
    for i in range(40):
        ledger.record_correction(make_correction(i, split_group=f"g{i % 20}"))
    first = export_dataset(ledger, tmp_path / "v1", options).manifest
    assert first.state is not None and (tmp_path / "v1" / first.state.path).is_file()
    assert first.state.path not in {f.path for f in first.files}  # not data: never uploaded
    for i in range(40, 70):
        ledger.record_correction(make_correction(i, split_group=f"g{i % 20}"))
    ledger.record_correction(make_correction(70, input=sentence(3)))  # repeats c3's input
    # From the saved state (a folder) or by replaying the old rows (a bare manifest): the same.
    from_state = export_dataset(ledger, tmp_path / "v2", options, since=tmp_path / "v1")
    replayed = export_dataset(ledger, tmp_path / "v3", options, since=first)
    assert from_state.counts == replayed.counts and from_state.counts["duplicates"] == 1
    assert ids_in(tmp_path / "v2") == ids_in(tmp_path / "v3")
    # The state is what the earlier export saw: c5, forgotten since, still counts for dedup
    # (a replay no longer sees it).
    ledger.forget_corrections(["c5"])
    ledger.record_correction(make_correction(71, input=sentence(5)))
    ledger.record_correction(make_correction(72))
    assert export_dataset(ledger, tmp_path / "v4", options, since=tmp_path / "v2"
                          ).counts["duplicates"] == 1
    replayed = export_dataset(ledger, tmp_path / "v5", options, since=from_state.manifest)
    assert replayed.counts["duplicates"] == 0
    # A state that does not match its manifest is not trusted: the rows are replayed.
    assert from_state.manifest.state is not None
    (tmp_path / "v2" / from_state.manifest.state.path).write_bytes(b"tampered")
    again = export_dataset(ledger, tmp_path / "v6", options, since=tmp_path / "v2")
    assert again.counts == replayed.counts
