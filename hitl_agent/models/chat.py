"""Adapter for a LangChain chat model: text, label or structured output, with token logprobs.

Token logprobs are read from the response message's ``response_metadata`` in the shapes providers
document:

- OpenAI Chat Completions (``logprobs=True, top_logprobs=k``; also Bedrock's OpenAI-compatible
  endpoint and vLLM/TGI servers): ``{"logprobs": {"content": [{"token", "logprob",
  "top_logprobs": [{"token", "logprob"}]}]}}``;
- Bedrock InvokeModel models that return per-token likelihoods (Cohere Command's
  ``return_likelihoods``): ``{"token_likelihoods": [{"token", "likelihood"}]}``;
- a plain ``{"logprobs": [{"token", "logprob"}]}`` list.

Agreement across samples: with ``n_samples > 0`` the adapter asks the model ``n_samples`` more
times (the model should sample, e.g. temperature > 0) and records the answers in
``Prediction.samples`` for the agreement and semantic-entropy scorers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from hitl_agent.errors import ModelError
from hitl_agent.models.callable import coerce_prediction
from hitl_agent.types import Prediction, SimilarCorrection

FewShotFormatter = Callable[[Sequence[SimilarCorrection]], str]


def _default_few_shot(similar: Sequence[SimilarCorrection]) -> str:
    try:
        from hitl_agent.memory.few_shot import format_few_shot
    except ImportError:  # pragma: no cover - the memory package ships it
        return "\n\n".join(
            f"Input: {_as_text(s.input)}\nCorrect answer: {_as_text(s.final_output)}"
            for s in similar
        )
    return format_few_shot(list(similar))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class ChatModelAdapter:
    """Calls ``chat_model`` with a system prompt, few-shot corrections and the input.

    - ``labels``: for classification; the answer is matched to a label (case and surrounding
      punctuation ignored). An answer that is no label is kept as given, so the review shows it.
    - ``structured_output``: a pydantic model; the output is its ``model_dump()``.
    - ``prompt_template``: ``str.format`` template with ``{input}`` (and ``{labels}``).
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        system_prompt: str | None = None,
        prompt_template: str = "{input}",
        labels: Sequence[str] | None = None,
        structured_output: type[BaseModel] | None = None,
        n_samples: int = 0,
        model_id: str | None = None,
        model_version: str | None = None,
        prompt_version: str | None = None,
        few_shot: FewShotFormatter | None = _default_few_shot,
    ) -> None:
        if n_samples < 0:
            raise ModelError("n_samples must be >= 0", field="n_samples")
        self.chat_model = chat_model
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template
        self.labels = list(labels) if labels is not None else None
        self.structured_output = structured_output
        self.n_samples = n_samples
        self.model_id = model_id or _model_name(chat_model)
        self.model_version = model_version
        self.prompt_version = prompt_version
        self.few_shot = few_shot

    def messages(self, input: Any, examples: Sequence[SimilarCorrection] = ()) -> list[BaseMessage]:
        system = self.system_prompt or ""
        if examples and self.few_shot is not None:
            block = self.few_shot(examples)
            system = f"{system}\n\n{block}".strip()
        text = self.prompt_template.format(
            input=_as_text(input), labels=", ".join(self.labels or [])
        )
        out: list[BaseMessage] = [SystemMessage(system)] if system else []
        out.append(HumanMessage(text))
        return out

    def context(self, input: Any, examples: Sequence[SimilarCorrection] = ()) -> dict[str, Any]:
        """What the model is shown for ``input`` (see :mod:`hitl_agent.models.context`).

        The few-shot block recalled from the correction memory is kept apart (``few_shot``):
        it changes per item and holds other items' answers, which a training row must not carry.
        """
        from hitl_agent.models.context import context_from_messages

        context = context_from_messages(self.messages(input, ()), labels=self.labels)
        if examples and self.few_shot is not None:
            context["few_shot"] = self.few_shot(examples)
        return context

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        messages = self.messages(input, examples)
        start = time.perf_counter()
        output, message = self._ask(messages)
        latency = (time.perf_counter() - start) * 1000.0
        samples = [self._ask(messages)[0] for _ in range(self.n_samples)] or None
        token_logprobs, top = extract_logprobs(message.response_metadata if message else {})
        raw: dict[str, Any] = {
            "output": output,
            "token_logprobs": token_logprobs,
            "top_logprobs": top,
            "samples": samples,
            "prompt_version": self.prompt_version,
        }
        if message is not None and message.response_metadata:
            finish = message.response_metadata.get("finish_reason")
            if finish:
                raw["metadata"] = {"finish_reason": finish}
        return coerce_prediction(raw, model_id=self.model_id, model_version=self.model_version,
                                 latency_ms=latency)

    def _ask(self, messages: list[BaseMessage]) -> tuple[Any, AIMessage | None]:
        if self.structured_output is not None:
            runnable = self.chat_model.with_structured_output(self.structured_output,
                                                              include_raw=True)
            result = runnable.invoke(messages)
            if not isinstance(result, Mapping):
                raise ModelError("structured output call returned no parsed/raw pair",
                                 field="output")
            if result.get("parsing_error") is not None or result.get("parsed") is None:
                raise ModelError(f"model output does not fit {self.structured_output.__name__}: "
                                 f"{result.get('parsing_error')}", field="output")
            parsed = result["parsed"]
            output = parsed.model_dump() if isinstance(parsed, BaseModel) else parsed
            raw_message = result.get("raw")
            return output, raw_message if isinstance(raw_message, AIMessage) else None
        message = self.chat_model.invoke(messages)
        if not isinstance(message, AIMessage):
            raise ModelError(f"chat model returned {type(message).__name__}", field="output")
        text = message.text.strip() if isinstance(message.text, str) else str(message.content)
        return self._to_label(text), message

    def _to_label(self, text: str) -> str:
        if not self.labels:
            return text
        wanted = text.strip().strip(".!\"'`").lower()
        for label in self.labels:
            if label.lower() == wanted:
                return label
        return text


def extract_logprobs(
    metadata: Mapping[str, Any],
) -> tuple[list[float] | None, list[dict[str, float]] | None]:
    """Token logprobs (and top-k alternatives) from a message's ``response_metadata``."""
    logprobs = metadata.get("logprobs")
    if isinstance(logprobs, Mapping):
        logprobs = logprobs.get("content")
    if isinstance(logprobs, list) and logprobs:
        tokens = [float(t["logprob"]) for t in logprobs if isinstance(t, Mapping)
                  and "logprob" in t]
        tops = [
            {str(a["token"]): float(a["logprob"]) for a in t.get("top_logprobs") or []}
            for t in logprobs if isinstance(t, Mapping)
        ]
        return tokens or None, tops if any(tops) else None
    likelihoods = metadata.get("token_likelihoods")
    if isinstance(likelihoods, list) and likelihoods:
        return [float(t["likelihood"]) for t in likelihoods], None
    return None, None


def _model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
