"""Exports rebuild what the model saw: recorded system prompts, native tool calls, task types.

The ledgers come from real runs (consumer_runs): a chat-model classification graph and an
open-ended answer graph, both with a system prompt, and a tool-approval agent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.errors import ExportError
from hitl_agent.export.formats import FORMATS
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.pipeline import ExportResult, export_dataset
from hitl_agent.memory.ledger import Ledger
from tests.helpers.consumer_runs import AGENT_SYSTEM, ANSWER_SYSTEM, CLASSIFY_SYSTEM, N

REFUSED = {
    "answers": {"ground-truth-manifest"},
    "tool_approval": {"ground-truth-manifest", "bedrock-prompt-completion",
                      "jumpstart-instruction"},
}


def export(ledger: Ledger, out: Path, fmt: str, **opts: Any) -> ExportResult:
    return export_dataset(ledger, out / fmt, ExportOptions(format=fmt, **opts))


def lines(result: ExportResult, split: str = "train") -> list[dict[str, Any]]:
    entry = result.manifest.file(split)
    assert entry is not None
    return [json.loads(x) for x in (result.out / entry.path).read_text().splitlines()]


def test_the_ledger_records_what_the_model_saw(run_ledgers: dict[str, Ledger]) -> None:
    ledger = run_ledgers["classification"]
    [context] = ledger.item_contexts(["digits-3"]).values()
    assert json.loads(context) == {
        "system": CLASSIFY_SYSTEM,
        "messages": [{"role": "user", "content": "three (item 3)"}],
        "labels": [str(d) for d in range(10)],
    }
    # A reviewed tool call is its own ledger item: <thread>:<tool call id>
    item = "agent-5:call-8805"
    agent = json.loads(run_ledgers["tool_approval"].item_contexts([item])[item])
    assert agent["system"] == AGENT_SYSTEM
    assert [t["function"]["name"] for t in agent["tools"]] == ["refund", "lookup"]
    assert agent["tools"][0]["function"]["parameters"]["required"] == ["order_id", "amount"]
    user, call = agent["messages"]
    assert user == {"role": "user",
                    "content": "Please refund order 8805, it arrived broken (ticket 5)."}
    assert call["tool_calls"] == [{"type": "function", "id": "call-8805", "function": {
        "name": "refund", "arguments": '{"order_id": "8805", "amount": 500.0}'}}]


@pytest.mark.parametrize("run", ["classification", "answers", "tool_approval"])
def test_each_format_carries_or_refuses_each_run(run: str, run_ledgers: dict[str, Ledger],
                                                 tmp_path: Path) -> None:
    kind = {"classification": "classification", "answers": "generation",
            "tool_approval": "tool_call"}[run]
    for fmt in FORMATS:
        if fmt in REFUSED.get(run, ()):
            with pytest.raises(ExportError) as err:
                export(run_ledgers[run], tmp_path, fmt)
            assert err.value.context["rule"] == f"{fmt}.task_type"
            assert fmt in str(err.value) and "cannot carry" in str(err.value)
            assert err.value.context["counts"][f"unsupported_{kind}"] == N
            assert not (tmp_path / fmt).exists()  # no folder, no partial files
            continue
        result = export(run_ledgers[run], tmp_path, fmt)
        assert set(result.manifest.task_types) == {kind}, fmt
        assert result.counts["other_shape"] == 0
        shapes = {tuple(sorted(row)) for row in lines(result)} if fmt != "csv" else {()}
        assert len(shapes) == 1, (fmt, shapes)


def test_the_recorded_system_prompt_reaches_the_rows(run_ledgers: dict[str, Ledger],
                                                     tmp_path: Path) -> None:
    chat = lines(export(run_ledgers["answers"], tmp_path, "openai-chat"))
    assert {row["messages"][0]["content"] for row in chat} == {ANSWER_SYSTEM}
    vertex = lines(export(run_ledgers["answers"], tmp_path, "vertex"))
    assert vertex[0]["systemInstruction"]["parts"] == [{"text": ANSWER_SYSTEM}]
    jump = lines(export(run_ledgers["classification"], tmp_path, "jumpstart-instruction"))
    assert jump[0]["instruction"] == CLASSIFY_SYSTEM
    # --system still wins when given.
    mine = export_dataset(run_ledgers["answers"], tmp_path / "mine",
                          ExportOptions(format="trl-sft", system="Be terse."))
    assert {row["messages"][0]["content"] for row in lines(mine)} == {"Be terse."}


def test_tool_calls_are_native_with_their_tools(run_ledgers: dict[str, Ledger],
                                               tmp_path: Path) -> None:
    ledger = run_ledgers["tool_approval"]
    [row] = [r for r in lines(export(ledger, tmp_path, "openai-chat"))
             if "8805" in r["messages"][1]["content"]]
    system, user, answer = row["messages"]
    assert system == {"role": "system", "content": AGENT_SYSTEM}
    assert user == {"role": "user",
                    "content": "Please refund order 8805, it arrived broken (ticket 5)."}
    assert answer["content"] == "Let me refund that." and answer["weight"] == 1
    [call] = answer["tool_calls"]
    assert call["type"] == "function" and call["id"] == "call-8805"
    assert call["function"]["name"] == "refund"
    assert json.loads(call["function"]["arguments"]) == {"order_id": "8805", "amount": 15.0}
    assert [t["function"]["name"] for t in row["tools"]] == ["refund", "lookup"]

    [pref] = [r for r in lines(export(ledger, tmp_path, "openai-preference"))
              if "8805" in r["input"]["messages"][1]["content"]]
    assert pref["input"]["tools"] == row["tools"]
    good, bad = pref["preferred_output"][0], pref["non_preferred_output"][0]
    assert json.loads(good["tool_calls"][0]["function"]["arguments"])["amount"] == 15.0
    assert json.loads(bad["tool_calls"][0]["function"]["arguments"])["amount"] == 500.0

    [conv] = [r for r in lines(export(ledger, tmp_path, "bedrock-conversation"))
              if "8805" in r["messages"][0]["content"][0]["text"]]
    assert conv["messages"][1]["content"] == [
        {"text": "Let me refund that."},
        {"toolUse": {"toolUseId": "call-8805", "name": "refund",
                     "input": {"amount": 15.0, "order_id": "8805"}}}]
    spec = conv["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "refund" and spec["inputSchema"]["json"]["type"] == "object"

    [gem] = [r for r in lines(export(ledger, tmp_path, "vertex"))
             if "8805" in r["contents"][0]["parts"][0]["text"]]
    assert gem["contents"][1]["parts"][1] == {
        "functionCall": {"name": "refund", "args": {"amount": 15.0, "order_id": "8805"}}}
    assert gem["tools"][0]["functionDeclarations"][0]["name"] == "refund"


def test_ground_truth_writes_class_indexes_as_aws_does(run_ledgers: dict[str, Ledger],
                                                       tmp_path: Path) -> None:
    result = export(run_ledgers["classification"], tmp_path, "ground-truth-manifest")
    rows = lines(result) + lines(result, "validation")
    assert len(rows) == N
    for row in rows:
        meta = row["label-metadata"]
        digit = meta["class-name"]
        # The class index is the label's position among the labels offered: digit d is d.
        assert row["label"] == int(digit) and isinstance(row["label"], int)
        assert meta["class-map"] == {digit: digit}
        assert meta["type"] == "groundtruth/text-classification"
        assert meta["confidence"] == 0.0  # one reviewer: AWS writes 0.00
    assert result.manifest.class_map == {d: int(d) for d in result.manifest.class_map}


def test_free_text_is_never_a_class(run_ledgers: dict[str, Ledger], tmp_path: Path) -> None:
    result = export(run_ledgers["answers"], tmp_path, "trl-sft")
    assert result.manifest.labels == {}  # no "classes" made of sentences
    assert result.manifest.task_types == {"generation": result.counts["records_train"]
                                          + result.counts["records_validation"]}


def test_keep_draft_keeps_one_row_shape(run_ledgers: dict[str, Ledger], tmp_path: Path) -> None:
    chat = lines(export(run_ledgers["classification"], tmp_path, "openai-chat", keep_draft=True))
    assert len({tuple(sorted(r)) for r in chat}) == 1
    for row in chat:
        assistants = [m for m in row["messages"] if m["role"] == "assistant"]
        assert all("weight" in m for m in assistants) and assistants[-1]["weight"] == 1
        assert all(m["weight"] == 0 for m in assistants[:-1])
    assert any(len(r["messages"]) == 5 for r in chat)  # some rows do hold a draft
    sft = lines(export(run_ledgers["classification"], tmp_path, "trl-sft", keep_draft=True))
    assert {tuple(sorted(r)) for r in sft} == {("completion", "prompt")}
    drafted = [r for r in sft if len(r["prompt"]) == 4]
    assert drafted and all(r["prompt"][2]["role"] == "assistant" for r in drafted)


def test_recalled_examples_stay_out_of_the_recorded_system_prompt() -> None:
    from hitl_agent.agents.fakes import ScriptedChatModel
    from hitl_agent.models.chat import ChatModelAdapter
    from hitl_agent.types import SimilarCorrection

    adapter = ChatModelAdapter(ScriptedChatModel(lambda m: None),  # type: ignore[arg-type,return-value]
                               system_prompt="Be brief.", labels=["a", "b"])
    example = SimilarCorrection(correction_id="c1", input="other item", model_output="a",
                                final_output="b", action="edit")
    context = adapter.context("this item", [example])
    # The model saw the example in its system message; the record keeps it apart, so a training
    # row never carries another item's answer.
    assert "other item" in adapter.messages("this item", [example])[0].text
    assert context["system"] == "Be brief."
    assert "other item" in context["few_shot"]
    assert context["messages"] == [{"role": "user", "content": "this item"}]
    assert context["labels"] == ["a", "b"]
