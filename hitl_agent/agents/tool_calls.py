"""Tool calls as reviews see them: which tools are gated (``interrupt_on``), the tools' specs,
edited arguments checked against a tool's schema, and the messages a refused call leaves."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.config import get_config
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from hitl_agent.errors import ConfigError
from hitl_agent.models.context import context_from_messages
from hitl_agent.review.inbox import Decision, DecisionType

log = logging.getLogger(__name__)

ALL_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject", "respond")


class InterruptOnConfig(TypedDict, total=False):
    """How one tool is reviewed (LangChain's ``InterruptOnConfig``)."""

    allowed_decisions: list[DecisionType]
    description: str | Callable[[ToolCall, Any, Any], str]
    """Shown to the reviewer above the review summary (text, or a function of the call)."""
    when: Callable[[ToolCallRequest], bool]
    """Ask only when this is true (deterministic across resumes); the policy decides after."""


def gates_of(spec: Mapping[str, Any] | None) -> dict[str, InterruptOnConfig] | None:
    if spec is None:
        return None
    gated: dict[str, InterruptOnConfig] = {}
    for name, value in spec.items():
        if value is True:
            gated[name] = InterruptOnConfig(allowed_decisions=list(ALL_DECISIONS))
        elif value is False or value is None:
            continue
        elif isinstance(value, Mapping):
            config = InterruptOnConfig(**value)  # type: ignore[typeddict-item]
            config.setdefault("allowed_decisions", list(ALL_DECISIONS))
            gated[name] = config
        else:
            gated[name] = InterruptOnConfig(allowed_decisions=list(value))
        bad = [d for d in gated.get(name, {}).get("allowed_decisions", [])
               if d not in ALL_DECISIONS]
        if bad:
            raise ConfigError(f"unknown decisions for {name!r}: {bad} (allowed: "
                              f"{list(ALL_DECISIONS)})", field=f"interrupt_on.{name}",
                              rule="decision")
    return gated


def args_error(tool: BaseTool | None, args: Mapping[str, Any]) -> tuple[str, str] | None:
    schema = tool.tool_call_schema if tool is not None else None
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            schema.model_validate(dict(args))
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            errors = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                               for e in exc.errors())
            return where, f"edited arguments do not fit the tool's schema: {errors}"
    return None


def check_decision(decision: Decision, allowed: Sequence[DecisionType],
           tool: BaseTool | None) -> str | None:
    """Why a decision cannot be used (None when it can)."""
    if decision.get("type") not in allowed:
        return f"decision {decision.get('type')!r} is not allowed (allowed: {list(allowed)})"
    if decision["type"] != "edit":
        return None
    args = decision.get("edited_action", {}).get("args")
    if not isinstance(args, Mapping):
        return "edited arguments must be an object"
    why = args_error(tool, args)
    return why[1] if why is not None else None


def tool_specs(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Name, description and JSON Schema of each tool."""
    out = []
    for t in tools:
        if not isinstance(t, BaseTool):
            continue
        try:
            schema: Any = t.tool_call_schema
            parameters = (schema.model_json_schema() if hasattr(schema, "model_json_schema")
                          else dict(schema or {}))
        except Exception:  # noqa: BLE001 - a tool without a JSON schema still has a name
            parameters = {}
        out.append({"name": t.name, "description": t.description or "",
                    "parameters": parameters})
    return out


def answer_message(call: ToolCall, decision: Decision) -> ToolMessage:
    if decision["type"] == "respond":
        content = str(decision["message"])
    elif decision.get("message"):
        content = f"User rejected the tool call for `{call['name']}` with reason: " \
                  f"{decision['message']}"
    else:
        content = (f"User rejected the tool call for `{call['name']}`. The tool was not "
                   "executed. Do not retry this tool call unless the user asks for it.")
    return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"] or "",
                       status="success" if decision["type"] == "respond" else "error")


def messages_of(state: Any) -> list[BaseMessage]:
    messages = state.get("messages") if isinstance(state, Mapping) else getattr(
        state, "messages", None)
    return list(messages or [])


def message_of(state: Any, call_id: str) -> AIMessage | None:
    for message in reversed(messages_of(state)):
        if isinstance(message, AIMessage) and any(
                c.get("id") == call_id for c in message.tool_calls):
            return message
    return None


def conversation_input(state: Any) -> Any:
    """The last human request and the model's own words before the call."""
    out: dict[str, Any] = {}
    for message in reversed(messages_of(state)):
        if message.type == "human" and "request" not in out:
            out["request"] = message.text
        if message.type == "ai" and "assistant" not in out and message.text:
            out["assistant"] = message.text
    return out or {"request": ""}


class ToolApprovalContext(TypedDict, total=False):
    """Per-run settings of an agent with tool approval (``context=`` on invoke)."""

    review_timeout_seconds: float
    """This run's review deadline, in seconds from when a review opens."""


def _timeout(context: Any, default: timedelta) -> timedelta:
    seconds = context.get("review_timeout_seconds") if isinstance(context, Mapping) else None
    if isinstance(seconds, int | float) and seconds > 0:
        return timedelta(seconds=float(seconds))
    return default


def current_config() -> RunnableConfig:
    try:
        return get_config()
    except RuntimeError:
        return {}


def call_context(messages: Sequence[BaseMessage], call_id: str, *, system: str | None,
                 tools: Sequence[Any]) -> dict[str, Any] | None:
    """What the model saw when it made call ``call_id``: the conversation up to its message,
    the tools offered and the system prompt (:mod:`hitl_agent.models.context`, for exports)."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, AIMessage) and any(c.get("id") == call_id for c in m.tool_calls):
            try:
                return dict(context_from_messages(messages[: i + 1], tools=tools, system=system))
            except Exception as exc:  # noqa: BLE001 - a record for exports, not the answer
                log.warning("context of tool call %s not recorded: %s", call_id, exc)
                return None
    return None
