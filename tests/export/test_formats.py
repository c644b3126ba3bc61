"""Each format: the exact row for a known correction, its validator, and the rules it enforces."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.export.formats import FORMATS, get_format
from hitl_agent.export.formats.jumpstart_instruction import TEMPLATE, template_fields
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import make_record
from tests.helpers.exports import make_correction

KNOWN = make_correction(
    7,
    input="The soup was cold",
    model_output="positive",
    final_output="negative",
    agreement=0.75,
    answers=[],
)
SYS = "Label the sentiment."


def rows(name: str, correction: Any = KNOWN, **opts: Any) -> list[dict[str, Any]]:
    options = ExportOptions(format=name, system=SYS, **opts)
    fmt = get_format(name)
    built = fmt.rows(make_record(1, correction, options), options)
    for row in built:
        fmt.validate(row)
        json.loads(fmt.encode(row)) if fmt.extension != "csv" else None
    return built


EXPECTED: dict[str, list[dict[str, Any]]] = {
    "openai-chat": [{"messages": [
        {"role": "system", "content": SYS},
        {"role": "user", "content": "The soup was cold"},
        {"role": "assistant", "content": "negative"},
    ]}],
    "openai-preference": [{
        "input": {"messages": [{"role": "system", "content": SYS},
                               {"role": "user", "content": "The soup was cold"}]},
        "preferred_output": [{"role": "assistant", "content": "negative"}],
        "non_preferred_output": [{"role": "assistant", "content": "positive"}],
    }],
    "bedrock-conversation": [{
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": SYS}],
        "messages": [
            {"role": "user", "content": [{"text": "The soup was cold"}]},
            {"role": "assistant", "content": [{"text": "negative"}]},
        ],
    }],
    "bedrock-prompt-completion": [
        {"prompt": f"{SYS}\n\nThe soup was cold", "completion": "negative"}
    ],
    "jumpstart-instruction": [
        {"instruction": SYS, "context": "The soup was cold", "response": "negative"}
    ],
    "trl-sft": [{"messages": [
        {"role": "system", "content": SYS},
        {"role": "user", "content": "The soup was cold"},
        {"role": "assistant", "content": "negative"},
    ]}],
    "trl-dpo": [{
        "prompt": [{"role": "system", "content": SYS},
                   {"role": "user", "content": "The soup was cold"}],
        "chosen": [{"role": "assistant", "content": "negative"}],
        "rejected": [{"role": "assistant", "content": "positive"}],
    }],
    "trl-kto": [
        {"prompt": [{"role": "system", "content": SYS},
                    {"role": "user", "content": "The soup was cold"}],
         "completion": [{"role": "assistant", "content": "negative"}], "label": True},
        {"prompt": [{"role": "system", "content": SYS},
                    {"role": "user", "content": "The soup was cold"}],
         "completion": [{"role": "assistant", "content": "positive"}], "label": False},
    ],
    "vertex": [{
        "systemInstruction": {"role": "system", "parts": [{"text": SYS}]},
        "contents": [
            {"role": "user", "parts": [{"text": "The soup was cold"}]},
            {"role": "model", "parts": [{"text": "negative"}]},
        ],
    }],
    "ground-truth-manifest": [{
        "source": "The soup was cold",
        "label": 0,
        "label-metadata": {
            "class-name": "negative",
            "class-map": {"0": "negative"},
            "confidence": 0.0,
            "type": "groundtruth/text-classification",
            "job-name": "hitl-agent-sentiment",
            "human-annotated": "yes",
            "creation-date": "2026-01-02T04:05:06.789000",
        },
        "correction-id": "c7",
    }],
    "csv": [{
        "id": "c7", "task": "sentiment", "input": "The soup was cold", "model_output": "positive",
        "final_output": "negative", "action": "edit", "agreement": "0.75",
    }],
}


def test_every_format_has_an_expected_row() -> None:
    assert set(EXPECTED) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_known_correction_renders_exactly(name: str) -> None:
    assert rows(name) == EXPECTED[name]


def test_csv_line_and_header() -> None:
    fmt = get_format("csv")
    assert fmt.header() == b"id,task,input,model_output,final_output,action,agreement\n"
    assert fmt.encode(EXPECTED["csv"][0]) == (
        b"c7,sentiment,The soup was cold,positive,negative,edit,0.75\n"
    )


def test_structured_input_and_output_become_canonical_json() -> None:
    c = make_correction(1, input={"b": [1, 2], "a": "x"}, final_output={"z": 1, "k": None})
    (row,) = rows("trl-sft", c, prompt_template="Extract fields from: {input}")
    assert row["messages"][1]["content"] == 'Extract fields from: {"a":"x","b":[1,2]}'
    assert row["messages"][2]["content"] == '{"k":null,"z":1}'


def test_openai_chat_keeps_the_draft_with_weight_zero() -> None:
    (row,) = rows("openai-chat", keep_draft=True)
    assert row["messages"][2:] == [
        {"role": "assistant", "content": "positive", "weight": 0},
        {"role": "user",
         "content": "That answer was corrected by a reviewer. Give the correct answer."},
        {"role": "assistant", "content": "negative", "weight": 1},
    ]


def test_ground_truth_confidence_is_agreement_with_several_workers() -> None:
    from hitl_agent.types import HumanAnswer

    answers = [HumanAnswer(answer_content={}, worker_id=w) for w in ("a", "b")]
    (row,) = rows("ground-truth-manifest", make_correction(1, agreement=0.5, answers=answers))
    assert row["label-metadata"]["confidence"] == 0.5
    (row,) = rows("ground-truth-manifest", make_correction(2, input="s3://b/img.png"))
    assert row["source-ref"] == "s3://b/img.png" and "source" not in row


def test_jumpstart_template_names_the_row_fields() -> None:
    assert template_fields(TEMPLATE) == set(EXPECTED["jumpstart-instruction"][0])
    files = get_format("jumpstart-instruction").extra_files(
        ExportOptions(format="jumpstart-instruction"), ["train"]
    )
    assert json.loads(files["train/template.json"]) == TEMPLATE


def broken(name: str, mutate: Any) -> ValidationError:
    row = json.loads(json.dumps(EXPECTED[name][0]))
    mutate(row)
    with pytest.raises(ValidationError) as info:
        get_format(name).validate(row)
    return info.value


@pytest.mark.parametrize(
    ("name", "mutate", "rule"),
    [
        ("openai-chat", lambda r: r["messages"].append(dict(r["messages"][-1])),
         "openai-chat.alternation"),
        ("openai-chat", lambda r: r["messages"].pop(), "openai-chat.last_role"),
        ("openai-chat", lambda r: r["messages"][1].update(weight=0), "openai-chat.weight_role"),
        ("openai-chat", lambda r: r["messages"][2].update(content=" "),
         "openai-chat.non_empty_content"),
        ("openai-chat", lambda r: r["messages"].insert(2, {"role": "system", "content": "x"}),
         "openai-chat.system_first"),
        ("openai-preference", lambda r: r["non_preferred_output"][0].update(content="negative"),
         "openai-preference.distinct"),
        ("openai-preference", lambda r: r["preferred_output"].append(r["preferred_output"][0]),
         "openai-preference.one_turn"),
        ("bedrock-conversation", lambda r: r.update(schemaVersion="bedrock-conversion-2024"),
         "bedrock-conversation.schema_version"),
        ("bedrock-conversation", lambda r: r["messages"][0]["content"][0].update(
            text="User: hi"), "bedrock-conversation.reserved_keyword"),
        ("bedrock-conversation", lambda r: r["messages"].reverse(),
         "bedrock-conversation.first_role"),
        ("bedrock-conversation", lambda r: r["messages"][1].update(role="system"),
         "bedrock-conversation.role"),
        ("bedrock-prompt-completion", lambda r: r.update(completion=""),
         "bedrock-prompt-completion.non_empty_completion"),
        ("bedrock-prompt-completion", lambda r: r.update(extra=1),
         "bedrock-prompt-completion.keys"),
        ("jumpstart-instruction", lambda r: r.pop("context"), "jumpstart-instruction.keys"),
        ("trl-dpo", lambda r: r.update(rejected=r["chosen"]), "trl-dpo.distinct"),
        ("trl-kto", lambda r: r.update(label="yes"), "trl-kto.label_bool"),
        ("trl-sft", lambda r: r["messages"].insert(2, {"role": "assistant", "content": "x"}),
         "trl-sft.alternation"),
        ("vertex", lambda r: r["contents"][1].update(role="assistant"), "vertex.role"),
        ("vertex", lambda r: r["contents"][1].update(parts=[]), "vertex.parts"),
        ("ground-truth-manifest", lambda r: r.update({"source-ref": "s3://x"}),
         "ground-truth-manifest.source"),
        ("ground-truth-manifest", lambda r: r["label-metadata"].pop("job-name"),
         "ground-truth-manifest.metadata_keys"),
        ("ground-truth-manifest", lambda r: r["label-metadata"].update(confidence=1.5),
         "ground-truth-manifest.confidence"),
        ("ground-truth-manifest", lambda r: r["label-metadata"].update(
            {"creation-date": "2026-01-02T04:05:06+00:00"}), "ground-truth-manifest.creation_date"),
        ("csv", lambda r: r.update(input="a\x00b"), "csv.nul"),
    ],
)
def test_validators_name_the_broken_rule(name: str, mutate: Any, rule: str) -> None:
    assert broken(name, mutate).rule == rule


def test_ground_truth_refuses_free_text_outputs() -> None:
    options = ExportOptions(format="ground-truth-manifest")
    c = make_correction(1, final_output="A long answer\nover two lines")
    with pytest.raises(ValidationError) as info:
        get_format("ground-truth-manifest").rows(make_record(1, c, options), options)
    assert info.value.rule == "ground-truth-manifest.label"


def test_preference_formats_have_no_use_for_accepts_or_bare_rejects() -> None:
    options = ExportOptions(format="trl-dpo")
    accept = make_record(1, make_correction(1, action="accept", final_output="negative",
                                            model_output="negative"), options)
    bare = make_record(2, make_correction(2, action="reject", final_output=None), options)
    for name in ("trl-dpo", "openai-preference"):
        assert get_format(name).not_applicable(accept) == "no_preference"
    assert get_format("openai-chat").not_applicable(bare) == "no_human_output"
    kto = get_format("trl-kto")
    assert kto.not_applicable(bare) is None
    assert [r["label"] for r in kto.rows(bare, options)] == [False]
    assert [r["label"] for r in kto.rows(accept, options)] == [True]


def test_options_refuse_bad_values() -> None:
    with pytest.raises(ValueError):
        ExportOptions(format="csv", prompt_template="no placeholder")
    with pytest.raises(ValueError):
        ExportOptions(format="csv", label_attribute="label-metadata")
    with pytest.raises(ValueError):
        ExportOptions(format="csv", val_fraction=1.0)


def test_lines_are_compact_utf8_json_whichever_encoder() -> None:
    from hitl_agent.export.formats.base import dumps_line

    row = {"messages": [{"role": "user", "content": "Grüße, 東京 \"quoted\"\n"}], "label": True,
           "confidence": 0.25, "none": None}
    expected = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert dumps_line(row) == expected.encode("utf-8")


TOOL = make_correction(
    9, task="tool_approval", input={"request": "Refund order 1", "assistant": ""},
    model_output={"tool": "refund", "arguments": {"order_id": "1", "amount": 500.0}},
    final_output={"tool": "refund", "arguments": {"order_id": "1", "amount": 50.0}},
)
TOOL_CONTEXT = {
    "system": "Act on orders.",
    "tools": [{"type": "function", "function": {
        "name": "refund", "description": "Refund an order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"},
                                                        "amount": {"type": "number"}}}}}],
    "messages": [
        {"role": "user", "content": "Refund order 1, please"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "refund", "arguments": '{"order_id": "1", "amount": 500.0}'}}]},
    ],
}


def tool_row(name: str, context: Any = TOOL_CONTEXT) -> dict[str, Any]:
    options = ExportOptions(format=name)
    fmt = get_format(name)
    (row,) = fmt.rows(make_record(1, TOOL, options, copy.deepcopy(context)), options)
    fmt.validate(row)
    return row


def test_tool_calls_without_a_recorded_context_are_still_calls() -> None:
    row = tool_row("openai-chat", None)
    user, answer = row["messages"]
    assert user == {"role": "user", "content": "Refund order 1"}  # not the JSON of the input
    assert answer["tool_calls"][0]["function"] == {
        "name": "refund", "arguments": '{"amount":50.0,"order_id":"1"}'}
    # No tools were recorded: the called tool is named, with the arguments it was given.
    assert row["tools"] == [{"type": "function", "function": {"name": "refund", "parameters": {
        "type": "object", "properties": {"order_id": {}, "amount": {}}}}}]


def test_tool_calls_take_the_recorded_call_id_system_and_tools() -> None:
    row = tool_row("trl-dpo")
    assert row["prompt"][0] == {"role": "system", "content": "Act on orders.",
                                "tool_calls": None, "tool_call_id": None}
    assert row["chosen"][0]["tool_calls"][0]["id"] == "c1"
    assert row["tools"] == TOOL_CONTEXT["tools"]


@pytest.mark.parametrize(
    ("name", "mutate", "rule"),
    [
        ("openai-chat", lambda r: r["messages"][-1]["tool_calls"][0]["function"].update(
            arguments={"amount": 1}), "openai-chat.arguments_json"),
        ("openai-chat", lambda r: r["messages"][-1]["tool_calls"][0]["function"].update(
            arguments="[1]"), "openai-chat.arguments_json"),
        ("openai-chat", lambda r: r["messages"][-1]["tool_calls"][0].update(type="tool"),
         "openai-chat.tool_call_type"),
        ("openai-chat", lambda r: r.pop("tools"), "openai-chat.tools"),
        ("openai-chat", lambda r: r["messages"][-1].update(tool_calls=[]),
         "openai-chat.tool_calls"),
        ("openai-preference", lambda r: r["input"].update(tools=[{"type": "function"}]),
         "openai-preference.tool_keys"),
        ("trl-sft", lambda r: r["messages"].append({"role": "tool", "content": "ok",
                                                    "tool_calls": None, "tool_call_id": None}),
         "trl-sft.tool_call_id"),
        ("bedrock-conversation", lambda r: r.pop("toolConfig"), "bedrock-conversation.tool_config"),
        ("bedrock-conversation", lambda r: r["messages"][1]["content"].append(
            {"toolUse": {"toolUseId": "x", "name": "refund", "input": "{}"}}),
         "bedrock-conversation.tool_use_input"),
        ("vertex", lambda r: r.pop("tools"), "vertex.tools"),
    ],
)
def test_tool_call_rules(name: str, mutate: Any, rule: str) -> None:
    row = tool_row(name)
    mutate(row)
    with pytest.raises(ValidationError) as info:
        get_format(name).validate(row)
    assert info.value.rule == rule


def test_ground_truth_class_index_is_a_number() -> None:
    assert broken("ground-truth-manifest", lambda r: r.update(label="0")).rule == \
        "ground-truth-manifest.class_index"
    assert broken("ground-truth-manifest", lambda r: r["label-metadata"].update(
        {"class-map": {"1": "negative"}})).rule == "ground-truth-manifest.class_map"


@pytest.mark.parametrize(
    ("output", "context", "kind"),
    [
        ("positive", None, "classification"),
        (3, None, "classification"),
        ("Your parcel left the depot today.", None, "generation"),
        ("billing", {"messages": [{"role": "user", "content": "x"}]}, "generation"),
        ("billing", {"labels": ["billing", "tech"]}, "classification"),
        ({"total": 3}, None, "extraction"),
        ({"tool": "refund", "arguments": {}}, None, "tool_call"),
    ],
)
def test_task_kind(output: Any, context: Any, kind: str) -> None:
    from hitl_agent.export.records import task_kind

    assert task_kind(make_correction(1, model_output=output, final_output=output),
                     context) == kind
