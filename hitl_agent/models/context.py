"""What a model saw for one call, as JSON: the system prompt, the tools offered, the messages.

The ledger keeps it on the item (``items.context_json``) so exports rebuild the conversation the
model really had instead of guessing it from the input. The shape is OpenAI's chat shape, which
every exporter translates from::

    {"system": "You are ...",                 # or absent
     "tools": [{"type": "function", "function": {"name", "description", "parameters"}}],
     "messages": [{"role": "user", "content": "..."},
                  {"role": "assistant", "content": "", "tool_calls": [
                      {"id": "c1", "type": "function",
                       "function": {"name": "refund", "arguments": "{\\"order\\": 8800}"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "..."}],
     "labels": ["spam", "ham"],                # the classes offered, for classifiers
     "few_shot": "Input: ..."}                 # recalled corrections shown in the prompt

A model adapter that knows its prompt offers ``context(input, examples)``; :func:`model_context`
asks it (and falls back to the labels alone for adapters without one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Context = dict[str, Any]


def context_from_messages(
    messages: Sequence[Any],
    *,
    tools: Sequence[Any] = (),
    system: str | None = None,
    labels: Sequence[str] | None = None,
) -> Context:
    """The context of a call made with LangChain ``messages`` and ``tools``.

    System messages are lifted into ``system`` (joined, after ``system`` if given); tools are
    converted with LangChain's own OpenAI converter, so a ``BaseTool``, a function or a JSON
    schema all give ``{"type": "function", "function": {...}}``.
    """
    from langchain_core.messages import convert_to_openai_messages
    from langchain_core.utils.function_calling import convert_to_openai_tool

    converted = convert_to_openai_messages(list(messages), text_format="string")
    systems = [system] if system else []
    out_messages: list[dict[str, Any]] = []
    for m in converted:
        if m.get("role") == "system":
            if m.get("content"):
                systems.append(str(m["content"]))
            continue
        out_messages.append({"role": m["role"], **{k: v for k, v in m.items() if k != "role"}})
    context: Context = {"messages": out_messages}
    if systems:
        context["system"] = "\n\n".join(systems)
    if tools:
        context["tools"] = [convert_to_openai_tool(t) for t in tools]
    if labels:
        context["labels"] = [str(label) for label in labels]
    return context


def model_context(
    model: Any, input: Any, examples: Sequence[Any] = (), *, labels: Sequence[str] | None = None
) -> Context | None:
    """What ``model`` is shown for ``input``, or None when it cannot say (and has no labels).

    Never raises: the context is a record for exports, not part of the answer.
    """
    ask = getattr(model, "context", None)
    context: Context | None = None
    if callable(ask):
        try:
            found = ask(input, examples)
        except Exception:  # noqa: BLE001 - a broken recorder must not fail the item
            found = None
        context = dict(found) if isinstance(found, dict) else None
    offered = labels if labels is not None else getattr(model, "labels", None)
    if offered:
        context = context or {}
        context.setdefault("labels", [str(label) for label in offered])
    return context
