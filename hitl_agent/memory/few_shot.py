"""The few-shot block LLM adapters put into a prompt: similar past corrections, as people left them.

The template is ``prompts/few_shot.md`` (shipped in the wheel as ``hitl_agent/_data/prompts``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ConfigError
from hitl_agent.resources import prompts_dir
from hitl_agent.types import SimilarCorrection

EXAMPLE_SEPARATOR = "--- example ---"

VERDICTS = {
    "accept": "kept the model's answer",
    "edit": "corrected the answer",
    "reject": "rejected the answer",
    "timeout": "did not answer in time",
}


def prompt_path(name: str) -> Path:
    """A file of ``prompts/``: inside the installed wheel, or in a source checkout."""
    try:
        path = prompts_dir() / name
    except FileNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise ConfigError(f"prompt template {name!r} not found (looked in hitl_agent/_data/"
                          "prompts and prompts/)", field="template")
    return path


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[str, str]:
    return split_template(Path(path).read_text(encoding="utf-8"))


def split_template(text: str) -> tuple[str, str]:
    """``(block, example)`` from a template file: comments dropped, split at the separator."""
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.DOTALL)
    block, sep, example = text.partition(EXAMPLE_SEPARATOR)
    if not sep or "{examples}" not in block:
        raise ConfigError(f"a few-shot template needs {{examples}} and a {EXAMPLE_SEPARATOR!r} "
                          "line before the example", field="template")
    return block.strip() + "\n", example.strip() + "\n"


def _show(value: Any, max_chars: int) -> str:
    text = "(none)" if value is None else value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def format_few_shot(
    similar: Sequence[SimilarCorrection],
    *,
    template: str | Path | None = None,
    max_examples: int | None = None,
    max_chars: int = 1000,
) -> str:
    """Render similar corrections as a prompt block; ``""`` when there are none.

    - ``template``: a template file's path, or its text (with ``{examples}`` and the
      ``--- example ---`` line); default ``prompts/few_shot.md``.
    - ``max_chars``: each input and output is cut to this many characters.

    >>> from hitl_agent.types import SimilarCorrection
    >>> s = SimilarCorrection(correction_id="c1", input="I loved it", model_output="negative",
    ...                       final_output="positive", action="edit", similarity=0.93)
    >>> print(format_few_shot([s]).splitlines()[-3:])
    ['Your answer: negative', 'Reviewer: corrected the answer', 'Correct answer: positive']
    """
    items = list(similar)[:max_examples] if max_examples is not None else list(similar)
    if not items:
        return ""
    if template is None:
        block, example = _load(str(prompt_path("few_shot.md")))
    elif isinstance(template, Path) or ("\n" not in template and "{" not in template):
        if not Path(template).is_file():
            raise ConfigError(f"few-shot template file {str(template)!r} not found",
                              field="template")
        block, example = _load(str(Path(template)))
    else:
        block, example = split_template(template)
    rendered = "\n".join(
        example.format(
            n=n,
            input=_show(s.input, max_chars),
            model_output=_show(s.model_output, max_chars),
            final_output=_show(s.final_output, max_chars),
            verdict=VERDICTS.get(s.action, s.action),
            similarity="" if s.similarity is None else f"{s.similarity:.2f}",
        )
        for n, s in enumerate(items, start=1)
    )
    return block.format(examples=rendered.rstrip("\n"), count=len(items))
