"""The judge scorer asks a chat model (a fake one here) and reads its verdict."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from hitl_agent.errors import ValidationError
from hitl_agent.models.judge import JudgeScorer
from hitl_agent.types import Prediction
from hitl_agent.uncertainty import parse_judge_verdict

FULL = Prediction(output="Paris", metadata={"input": "Capital of France?"})
EMPTY = Prediction(output="Paris")


def test_judge_scorer_with_fake_chat_model() -> None:
    judge = JudgeScorer(
        FakeListChatModel(responses=["(A) Correct", "(C) I am not sure"]), n_votes=2
    )
    u = judge(FULL)
    assert u.confidence == pytest.approx(0.75)
    assert u.components == {"vote_0": 1.0, "vote_1": 0.5}
    stated = JudgeScorer(FakeListChatModel(responses=["(B) Incorrect\nConfidence: 0.1"]))
    assert stated(FULL).confidence == pytest.approx(0.1)
    with pytest.raises(ValidationError) as err:
        JudgeScorer(FakeListChatModel(responses=["x"]))(EMPTY)
    assert err.value.field == "metadata.input"
    with pytest.raises(ValidationError) as err:
        JudgeScorer(FakeListChatModel(responses=["no verdict here"]))(FULL)
    assert err.value.field == "judge_reply"
    assert parse_judge_verdict("(B)") == 0.0


async def test_judge_scorer_async() -> None:
    judge = JudgeScorer(FakeListChatModel(responses=["(A) Correct"]))
    assert (await judge.ascore(FULL)).confidence == 1.0
