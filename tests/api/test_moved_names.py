"""Every public name that moved keeps its old import path for one release: reading it there warns
``DeprecationWarning`` naming the new path, and gives the very object found at the new path."""

from __future__ import annotations

import importlib

import pytest

MOVED: list[tuple[str, str, str]] = [
    # (old module, name, new module)
    ("hitl_agent.graph.worker", "ReviewWorker", "hitl_agent.receivers.polling"),
    ("hitl_agent.graph.worker", "WebhookReceiver", "hitl_agent.receivers.webhook"),
    ("hitl_agent.graph.worker", "review_name_of", "hitl_agent.receivers.base"),
    ("hitl_agent.graph.worker", "EVENT_DETAIL_TYPE", "hitl_agent.receivers.base"),
    ("hitl_agent.graph.worker", "load_graph", "hitl_agent.cli.graph_loader"),
    ("hitl_agent.graph", "ReviewWorker", "hitl_agent.receivers"),
    ("hitl_agent.graph.loop", "loop_of", "hitl_agent.graph.parts"),
    ("hitl_agent.graph.loop", "open_ledger", "hitl_agent.graph.parts"),
    ("hitl_agent.agents.review_node", "node_of", "hitl_agent.graph.node"),
    ("hitl_agent.agents.tool_approval", "ToolRiskPolicy", "hitl_agent.policy"),
    ("hitl_agent.agents.tool_policy", "ToolRiskPolicy", "hitl_agent.policy.tool_risk"),
    ("hitl_agent.agents.tool_policy", "ToolCallConfidence", "hitl_agent.uncertainty.tool_call"),
    ("hitl_agent.uncertainty", "JudgeScorer", "hitl_agent.models.judge"),
    ("hitl_agent.uncertainty.reflexive", "JudgeScorer", "hitl_agent.models.judge"),
    ("hitl_agent.uncertainty.reflexive", "DEFAULT_JUDGE_PROMPT", "hitl_agent.models.judge"),
    ("hitl_agent.models.aws", "ServiceConfidenceScorer",
     "hitl_agent.uncertainty.service_confidence"),
    ("hitl_agent.review.builtin", "BuiltinLoopPolicy", "hitl_agent.policy.builtin_loop"),
    ("hitl_agent.review.builtin", "selected_response", "hitl_agent.policy.builtin_loop"),
    ("hitl_agent.review.builtin", "builtin_input_content", "hitl_agent.policy.builtin_loop"),
    ("hitl_agent.service.client_auth", "service_credentials", "hitl_agent.credentials"),
    ("hitl_agent.service.signing", "parse_s3_url", "hitl_agent.s3_uri"),
    ("hitl_agent.memory.ledger", "canonical_json", "hitl_agent.canonical"),
    ("hitl_agent.memory.ledger", "content_hash", "hitl_agent.canonical"),
    ("hitl_agent.memory.ledger.schema", "content_hash", "hitl_agent.canonical"),
    ("hitl_agent.review.answers", "combine_answers", "hitl_agent.review.consensus"),
    ("hitl_agent.service.control_plane", "MAX_WORKTEAMS", "hitl_agent.service.workteams"),
    ("hitl_agent.service.portal", "HISTORY_LIMIT", "hitl_agent.service.portal_history"),
    ("hitl_agent.service.portal", "history", "hitl_agent.service.portal_history"),
    ("hitl_agent.service.portal", "files", "hitl_agent.service.portal_assets"),
    ("hitl_agent.service.portal", "static", "hitl_agent.service.portal_assets"),
    ("hitl_agent.service.portal", "STATIC_DIR", "hitl_agent.service.portal_static"),
]

RENAMED: list[tuple[str, str, str, str]] = [
    # (old module, old name, new module, new name)
    ("hitl_agent.export.s3", "parse_s3_uri", "hitl_agent.s3_uri", "parse_s3_prefix"),
    ("hitl_agent.models.aws", "parse_s3_uri", "hitl_agent.s3_uri", "parse_s3_url"),
    ("hitl_agent.service.settings", "default_data_dir", "hitl_agent.data_folder", "data_dir"),
    ("hitl_agent.service.output", "split_s3", "hitl_agent.s3_uri", "parse_s3_url"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=[f"{o}.{n}" for o, n, _ in MOVED])
def test_old_path_warns_and_gives_the_same_object(old: str, name: str, new: str) -> None:
    expected = getattr(importlib.import_module(new), name)
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated"):
        found = getattr(importlib.import_module(old), name)
    assert found is expected


@pytest.mark.parametrize(("old", "name", "new", "new_name"), RENAMED,
                         ids=[f"{o}.{n}" for o, n, _, _ in RENAMED])
def test_renamed_name_warns_and_gives_the_new_object(old: str, name: str, new: str,
                                                     new_name: str) -> None:
    expected = getattr(importlib.import_module(new), new_name)
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated.*{new}\.{new_name}"):
        found = getattr(importlib.import_module(old), name)
    assert found is expected


def test_graph_nodes_review_loop_parts_alias() -> None:
    from hitl_agent.graph.loop import ReviewLoop

    with pytest.warns(DeprecationWarning, match="hitl_agent.graph.loop.ReviewLoop"):
        from hitl_agent.graph.nodes import ReviewLoopParts  # noqa: F401
    assert ReviewLoopParts is ReviewLoop


def test_unknown_names_still_raise_attribute_error() -> None:
    import hitl_agent.graph.worker as old

    with pytest.raises(AttributeError):
        old.nothing_here  # noqa: B018
