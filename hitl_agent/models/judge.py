"""LLM as a judge: a scorer that asks a chat model whether a prediction is correct.

The model call lives here, among the model adapters; reading the judge's reply
(:func:`~hitl_agent.uncertainty.reflexive.parse_judge_verdict`) is pure and stays in
:mod:`hitl_agent.uncertainty`. :class:`JudgeScorer` implements uncertainty's
:class:`~hitl_agent.uncertainty.base.Scorer` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hitl_agent.errors import ValidationError
from hitl_agent.types import Prediction, Uncertainty
from hitl_agent.uncertainty.reflexive import parse_judge_verdict

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["DEFAULT_JUDGE_PROMPT", "JudgeScorer"]

DEFAULT_JUDGE_PROMPT = (
    "Question: {input}\n"
    "Proposed answer: {output}\n"
    "Is the proposed answer correct? Reply with (A) Correct, (B) Incorrect or (C) I am not sure, "
    "then on a new line 'Confidence: ' followed by the probability, from 0 to 1, that the "
    "proposed answer is correct."
)
"""BSDetector's self-reflection question (Chen & Mueller, ACL 2024) with a verbalized score."""


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
        return "".join(parts)
    return str(content)


class JudgeScorer:
    """Asks a LangChain chat model whether the prediction is correct ("LLM as a judge").

    The prompt is formatted with ``output`` (the prediction's output) and ``input`` (taken from
    ``prediction.metadata[input_key]``); the reply is read by :func:`parse_judge_verdict`.
    ``n_votes > 1`` asks several times and averages, as BSDetector's self-reflection does
    (Chen & Mueller, ACL 2024; P(True): Kadavath et al., 2022). One model call per vote.
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        prompt: str = DEFAULT_JUDGE_PROMPT,
        input_key: str = "input",
        n_votes: int = 1,
        name: str = "judge",
    ) -> None:
        if n_votes < 1:
            raise ValidationError("n_votes must be >= 1", field="n_votes", rule=">= 1")
        self.model = model
        self.prompt = prompt
        self.input_key = input_key
        self.n_votes = n_votes
        self.name = name

    def _messages(self, prediction: Prediction) -> str:
        values: Mapping[str, Any] = {"output": prediction.output}
        if "{input}" in self.prompt:
            if self.input_key not in prediction.metadata:
                raise ValidationError(
                    f"the judge prompt needs prediction.metadata[{self.input_key!r}]",
                    field=f"metadata.{self.input_key}",
                    rule=f"required by {type(self).__name__}",
                )
            values = {**values, "input": prediction.metadata[self.input_key]}
        return self.prompt.format(**values)

    def _verdict(self, text: str) -> float:
        value = parse_judge_verdict(text)
        if value is None:
            raise ValidationError(
                f"the judge's reply holds no verdict: {text[:200]!r}",
                field="judge_reply",
                rule="a verdict (A/B/C) or a confidence",
            )
        return value

    def __call__(self, prediction: Prediction) -> Uncertainty:
        prompt = self._messages(prediction)
        votes = [
            self._verdict(_message_text(self.model.invoke(prompt).content))
            for _ in range(self.n_votes)
        ]
        return self._uncertainty(votes)

    async def ascore(self, prediction: Prediction) -> Uncertainty:
        """The same as calling the scorer, with the model's ``ainvoke``."""
        prompt = self._messages(prediction)
        votes = []
        for _ in range(self.n_votes):
            reply = await self.model.ainvoke(prompt)
            votes.append(self._verdict(_message_text(reply.content)))
        return self._uncertainty(votes)

    def _uncertainty(self, votes: list[float]) -> Uncertainty:
        confidence = sum(votes) / len(votes)
        components = {f"vote_{i}": v for i, v in enumerate(votes)} if len(votes) > 1 else {}
        return Uncertainty(confidence=confidence, scorer=self.name, components=components)
