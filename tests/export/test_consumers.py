"""Every export, proven in the tool that consumes it, for three real runs.

Hugging Face ``datasets`` loads every file; TRL's SFT, DPO and KTO trainers each take a step on a
tiny model built here from a config (nothing is downloaded); the OpenAI files pass the checks of
OpenAI's data-preparation notebook. Needs the ``export-check`` extra (see pyproject.toml).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

for _module in ("datasets", "transformers", "trl", "torch"):
    pytest.importorskip(_module, reason="needs the export-check extra: pip install torch==2.13.0 "
                                        "&& pip install -e '.[export-check]'")

from hitl_agent.errors import ExportError  # noqa: E402
from hitl_agent.export.formats import FORMATS  # noqa: E402
from hitl_agent.export.options import ExportOptions  # noqa: E402
from hitl_agent.export.pipeline import ExportResult, export_dataset  # noqa: E402
from hitl_agent.memory.ledger import Ledger  # noqa: E402
from tests.helpers.consumer_checks import (  # noqa: E402
    load_rows,
    openai_format_errors,
    openai_warnings,
    read_jsonl,
    tiny_tokenizer,
    train_step,
    untyped_columns,
)

RUNS = ("classification", "answers", "tool_approval")
KEEP_DRAFT = ("openai-chat", "trl-sft")
Exports = dict[tuple[str, str], ExportResult | ExportError]


@pytest.fixture(scope="module")
def exports(run_ledgers: dict[str, Ledger], tmp_path_factory: pytest.TempPathFactory) -> Exports:
    """Every run in every format, and the --keep-draft variants: result or refusal."""
    out = tmp_path_factory.mktemp("exports")
    done: Exports = {}
    for run in RUNS:
        variants: list[tuple[str, dict[str, Any]]] = [(f, {}) for f in FORMATS]
        variants += [(f"{f}+keep-draft", {"keep_draft": True}) for f in KEEP_DRAFT]
        for name, opts in variants:
            fmt = name.split("+")[0]
            try:
                done[run, name] = export_dataset(run_ledgers[run], out / run / name,
                                                 ExportOptions(format=fmt, **opts))
            except ExportError as exc:
                done[run, name] = exc
    return done


def files(result: ExportResult) -> list[tuple[Path, int]]:
    return [(result.out / f.path, f.rows or 0) for f in result.manifest.files
            if f.split is not None]


def exported(exports: Exports, run: str, name: str) -> ExportResult:
    result = exports[run, name]
    assert isinstance(result, ExportResult), f"{run} × {name}: {result}"
    return result


# Where a format's own documented shape is a union (a Bedrock content block, a Vertex part, an
# OpenAI message with ``weight`` on assistant turns only, a JSON Schema's properties, Ground
# Truth's class-map keyed by class index), datasets can only type the column as JSON; everywhere
# else every column must be typed.
TOOL_UNIONS = {
    "bedrock-conversation": {"messages", "toolConfig"},
    "vertex": {"contents", "tools"},
    "openai-chat": {"messages", "tools"},
    "openai-chat+keep-draft": {"messages", "tools"},
    "openai-preference": {"input"},
}
UNIONS = {"openai-chat+keep-draft": {"messages"}, "ground-truth-manifest": {"label-metadata"}}


@pytest.mark.parametrize("run", RUNS)
def test_every_export_loads_in_datasets(run: str, exports: Exports) -> None:
    loaded = 0
    for (r, name), result in exports.items():
        if r != run or isinstance(result, ExportError):
            continue
        for path, n_rows in files(result):
            ds = load_rows(path)
            assert len(ds) == n_rows, (name, path.name)
            untyped = set(untyped_columns(ds))
            if name.startswith("trl-"):
                # Tools' JSON Schemas differ by tool: the one place JSON is the type.
                assert untyped <= {"tools"}, (name, ds.features)
                assert "properties" in repr(ds.features.get("tools", "properties"))
            else:
                allowed = TOOL_UNIONS.get(name, set()) if run == "tool_approval" else set()
                assert untyped <= allowed | UNIONS.get(name, set()), (name, ds.features)
            loaded += 1
    assert loaded >= {"classification": 26, "answers": 24, "tool_approval": 20}[run]


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("trainer", ["sft", "dpo", "kto"])
def test_trl_trainer_takes_a_step(run: str, trainer: str, exports: Exports,
                                  tmp_path: Path) -> None:
    result = exported(exports, run, f"trl-{trainer}")
    path = result.out / result.manifest.files[0].path
    loss = train_step(trainer, path, tmp_path)
    assert loss > 0
    if run == "tool_approval":
        # The chat template renders the tools and the calls natively, not as JSON text.
        rows = read_jsonl(path)
        tokenizer = tiny_tokenizer(rows)
        first = rows[0]
        conversation = first.get("messages") or [*first["prompt"],
                                                 *(first.get("chosen") or first["completion"])]
        text = tokenizer.apply_chat_template(conversation, tools=first["tools"], tokenize=False)
        assert "<|tools|>" in text and '"name": "refund"' in text
        assert "<|call|>refund {" in text
        assert '{\\"tool\\"' not in text and '"tool": "refund"' not in text


def test_keep_draft_trains_the_correction_not_the_draft(exports: Exports,
                                                        tmp_path: Path) -> None:
    result = exported(exports, "tool_approval", "trl-sft+keep-draft")
    path = result.out / result.manifest.files[0].path
    rows = read_jsonl(path)
    row = next(r for r in rows if len(r["prompt"]) > 2)
    draft, answer = row["prompt"][2], row["completion"][0]
    assert json.loads(draft["tool_calls"][0]["function"]["arguments"])["amount"] == 500.0
    assert json.loads(answer["tool_calls"][0]["function"]["arguments"])["amount"] != 500.0
    # SFTTrainer trains prompt-completion rows on the completion only.
    assert train_step("sft", path, tmp_path) > 0


@pytest.mark.parametrize("run", RUNS)
def test_openai_files_pass_the_data_preparation_checks(run: str, exports: Exports) -> None:
    for name in ("openai-chat", "openai-chat+keep-draft"):
        result = exported(exports, run, name)
        for path, _ in files(result):
            dataset = read_jsonl(path)
            assert openai_format_errors(dataset) == {}, (name, path.name)
            warnings = openai_warnings(dataset)
            assert warnings == {"missing_system": 0, "missing_user": 0, "too_long": 0}
        assert result.counts["rows_train"] >= 10  # the fine-tuning minimum
    pref = exported(exports, run, "openai-preference")
    for path, _ in files(pref):
        for row in read_jsonl(path):
            for side in ("preferred_output", "non_preferred_output"):
                example = {"messages": row["input"]["messages"] + row[side]}
                if "tools" in row["input"]:
                    example["tools"] = row["input"]["tools"]
                assert openai_format_errors([example]) == {}, (side, row)
    assert pref.counts["rows_train"] >= 10


def test_the_consumers_run_offline() -> None:
    import datasets
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE and datasets.config.HF_HUB_OFFLINE


def test_refusals_name_the_format(exports: Exports) -> None:
    refused = {key for key, result in exports.items() if isinstance(result, ExportError)}
    assert refused == {
        ("answers", "ground-truth-manifest"),
        ("tool_approval", "ground-truth-manifest"),
        ("tool_approval", "bedrock-prompt-completion"),
        ("tool_approval", "jumpstart-instruction"),
    }
    for key in refused:
        assert key[1] in str(exports[key]) and "cannot carry" in str(exports[key])
