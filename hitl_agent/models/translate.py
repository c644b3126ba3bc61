"""Amazon Translate ``TranslateText`` as a review-loop model: low-quality translations are
reviewed and corrected side by side (``templates/aws/translate-review.liquid.html``).

The input is the source text (a string; or a mapping with ``Text`` and optionally
``SourceLanguageCode``/``TargetLanguageCode``); the output is the translated text, so a
correction is a plain (source text, corrected translation) pair that exports as ``trl-sft``,
``openai-chat`` or ``csv`` rows.

Translate returns no confidence, so the adapter estimates one (``metadata["confidence"]``, with
its parts in ``metadata["confidences"]``):

- ``heuristics``: a length ratio far from 1, and words of the translation copied from the
  source (numbers and words of up to three letters aside), lower it. A weak signal: names are
  copied too; prefer ``round_trip`` or ``quality`` where it matters;
- ``round_trip=True`` also translates the result back and scores the overlap of the back
  translation with the source (token F1) — a second call per item;
- ``quality=fn(source, translation, source_lang, target_lang) -> float`` replaces both (a QE
  model such as COMET-Kiwi).

Score it with :class:`~hitl_agent.uncertainty.ServiceConfidenceScorer`.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hitl_agent.errors import ModelError
from hitl_agent.models.aws import aws_client, call_aws
from hitl_agent.types import Prediction, SimilarCorrection

__all__ = ["Translation", "heuristic_quality", "token_f1"]

QualityFn = Callable[[str, str, str, str], float]
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def token_f1(a: str, b: str) -> float:
    """Bag-of-words F1 between two texts (1.0 for two empty texts)."""
    wa, wb = Counter(_words(a)), Counter(_words(b))
    if not wa and not wb:
        return 1.0
    common = sum((wa & wb).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(wb.values()), common / sum(wa.values())
    return 2 * precision * recall / (precision + recall)


def heuristic_quality(source: str, translation: str, source_lang: str,
                      target_lang: str) -> dict[str, float]:
    """Cheap signs of a bad translation, each in [0, 1] (1 = no sign of trouble)."""
    if not translation.strip():
        return {"length_ratio": 0.0, "untranslated": 0.0}
    ratio = max(len(translation), 1) / max(len(source), 1)
    length = 1.0 if 0.5 <= ratio <= 2.0 else max(0.0, 1.0 - abs(ratio - 1.0) / 2.0)
    common = {w.lower() for w in _WORD.findall(source)}
    out = [w.lower() for w in _WORD.findall(translation) if len(w) > 3 and not w.isdigit()]
    if source_lang == target_lang or not out:
        copied = 0.0
    else:
        copied = sum(1 for w in out if w in common) / len(out)
    return {"length_ratio": length, "untranslated": 1.0 - copied}


class Translation:
    """A :class:`~hitl_agent.models.base.ModelAdapter` over Translate ``TranslateText``."""

    def __init__(
        self,
        client: Any = None,
        *,
        source_language: str = "auto",
        target_language: str,
        settings: Mapping[str, str] | None = None,
        terminology_names: Sequence[str] = (),
        round_trip: bool = False,
        quality: QualityFn | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        model_id: str | None = None,
    ) -> None:
        self.client = aws_client("translate", client, region_name=region_name,
                                 endpoint_url=endpoint_url)
        self.source_language = source_language
        self.target_language = target_language
        self.settings = dict(settings or {})
        self.terminology_names = list(terminology_names)
        self.round_trip = round_trip
        self.quality = quality
        self.model_id = model_id or f"translate:{source_language}-{target_language}"

    def _translate(self, text: str, source: str, target: str) -> dict[str, Any]:
        params: dict[str, Any] = {"Text": text, "SourceLanguageCode": source,
                                  "TargetLanguageCode": target}
        if self.settings:
            params["Settings"] = self.settings
        if self.terminology_names:
            params["TerminologyNames"] = self.terminology_names
        return call_aws(self.client, "translate_text", **params)

    def predict(self, input: Any, *, examples: Sequence[SimilarCorrection] = ()) -> Prediction:
        if isinstance(input, str):
            text, source, target = input, self.source_language, self.target_language
        elif isinstance(input, Mapping) and isinstance(input.get("Text"), str):
            text = input["Text"]
            source = str(input.get("SourceLanguageCode", self.source_language))
            target = str(input.get("TargetLanguageCode", self.target_language))
        else:
            raise ModelError("input must be a text or a mapping with Text", field="input")
        start = time.perf_counter()
        response = self._translate(text, source, target)
        latency = (time.perf_counter() - start) * 1000.0
        translated = str(response.get("TranslatedText", ""))
        detected = str(response.get("SourceLanguageCode", source))
        applied = str(response.get("TargetLanguageCode", target))
        if self.quality is not None:
            parts = {"quality": float(self.quality(text, translated, detected, applied))}
        else:
            parts = heuristic_quality(text, translated, detected, applied)
            if self.round_trip and translated.strip():
                back = self._translate(translated, applied, detected)
                parts["round_trip"] = token_f1(text, str(back.get("TranslatedText", "")))
        confidence = min(1.0, max(0.0, min(parts.values())))
        return Prediction(
            output=translated, model_id=self.model_id, latency_ms=latency,
            metadata={"confidence": confidence, "confidences": parts,
                      "source_language": detected, "target_language": applied,
                      "applied_terminologies": [t.get("Name") for t in
                                                response.get("AppliedTerminologies") or []]},
        )
