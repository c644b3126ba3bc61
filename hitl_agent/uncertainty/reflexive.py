"""Reflexive confidence: what the model says about its own answer, or what a judge model said
(the judge itself, which asks a model, is :class:`hitl_agent.models.judge.JudgeScorer`)."""

from __future__ import annotations

import re

from hitl_agent._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "DEFAULT_JUDGE_PROMPT": "hitl_agent.models.judge",
    "JudgeScorer": "hitl_agent.models.judge",
})

# Tian et al. (EMNLP 2023) "Linguistic 1S" expressions, mapped to the probabilities they assign.
LINGUISTIC_CONFIDENCE: dict[str, float] = {
    "almost certain": 0.95,
    "highly likely": 0.9,
    "very likely": 0.85,
    "probable": 0.7,
    "likely": 0.7,
    "somewhat likely": 0.6,
    "about even": 0.5,
    "somewhat unlikely": 0.4,
    "unlikely": 0.3,
    "probably not": 0.25,
    "little chance": 0.1,
    "very unlikely": 0.1,
    "highly unlikely": 0.05,
    "almost no chance": 0.02,
}

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)\s*(%|percent|/\s*100|/\s*10\b)?"
_KEYED = re.compile(
    r"(?:confidence|probability|certainty|confident|sure|likelihood|p\(true\))"
    r"(?:\s+(?:level|score|of|is|that|it|is correct|the answer is correct))*"
    r"\s*[:=]?\s*(?:about|around|approximately|roughly|~)?\s*" + _NUMBER,
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def _to_unit(number: str, unit: str | None) -> float | None:
    value = float(number)
    unit = (unit or "").replace(" ", "").lower()
    if unit in ("%", "percent", "/100"):
        value /= 100.0
    elif unit == "/10":
        value /= 10.0
    elif value > 1.0:
        value /= 100.0
    return value if 0.0 <= value <= 1.0 else None


def parse_verbalized_confidence(text: str) -> float | None:
    """The confidence an answer states about itself, in [0, 1], or ``None`` when it states none.

    Reads, in order: a number after a confidence keyword (``"Probability: 0.85"``,
    ``"Confidence: 85%"``, ``"I am 90% sure"``: Tian et al., EMNLP 2023 "verb-1S"; Xiong et al.,
    ICLR 2024), the last percentage in the text, then a linguistic expression ("highly likely").
    The last keyed number wins, since models state their final confidence last.

    >>> parse_verbalized_confidence("Guess: Paris\\nProbability: 0.85")
    0.85
    >>> parse_verbalized_confidence("I am 90% sure it is Paris.")
    0.9
    >>> parse_verbalized_confidence("It is highly likely Paris.")
    0.9
    >>> parse_verbalized_confidence("Paris") is None
    True
    """
    keyed = [_to_unit(m.group(1), m.group(2)) for m in _KEYED.finditer(text)]
    keyed_valid = [v for v in keyed if v is not None]
    if keyed_valid:
        return keyed_valid[-1]
    percents = [_to_unit(m.group(1), "%") for m in _PERCENT.finditer(text)]
    percents_valid = [v for v in percents if v is not None]
    if percents_valid:
        return percents_valid[-1]
    lowered = text.lower()
    best: tuple[int, int, float] | None = None
    for phrase, value in LINGUISTIC_CONFIDENCE.items():
        for m in re.finditer(r"\b" + re.escape(phrase) + r"\b", lowered):
            # the longest phrase at the latest position wins ("highly unlikely" over "unlikely")
            key = (m.end(), len(phrase), value)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best is not None else None


_VERDICT = re.compile(r"\(\s*([ABC])\s*\)|\b(correct|incorrect|not sure)\b", re.IGNORECASE)
_VERDICT_VALUE = {"a": 1.0, "correct": 1.0, "b": 0.0, "incorrect": 0.0, "c": 0.5, "not sure": 0.5}


def parse_judge_verdict(text: str) -> float | None:
    """A judge's reply as a probability that the answer is correct.

    A stated confidence wins; otherwise the first verdict maps (A)/Correct → 1,
    (B)/Incorrect → 0, (C)/not sure → 0.5 (BSDetector, Chen & Mueller, ACL 2024).

    >>> parse_judge_verdict("(B) Incorrect")
    0.0
    >>> parse_judge_verdict("(A) Correct\\nConfidence: 0.8")
    0.8
    """
    stated = [_to_unit(m.group(1), m.group(2)) for m in _KEYED.finditer(text)]
    stated_valid = [v for v in stated if v is not None]
    if stated_valid:
        return stated_valid[-1]
    m = _VERDICT.search(text)
    if m is None:
        return None
    return _VERDICT_VALUE[(m.group(1) or m.group(2)).lower()]
