"""The suite file: what an offline evaluation runs, validated with pydantic.

A suite is YAML (or JSON) with these sections, every one closed to unknown keys so that a typo is
an error that names the key::

    name: digits
    data:      {kind: sklearn, name: digits}            # or kind: file / kind: replay
    model:     {kind: sklearn, estimator: sklearn.linear_model.LogisticRegression, train_size: 100}
    scorers:   [max_probability, margin]                 # the first one routes
    policies:  [{name: t95, kind: threshold, threshold: 0.95}]
    reviewers: {error_rate: 0.01, cost_per_review: 0.25}
    feedback:  {retrain_every: 200}

Relative paths are relative to the project root: the folder that holds ``evals/`` when the suite
lives in a folder named ``evals``, else the suite's own folder. Environment variables are
expanded; ``$HITL_EVAL_DATA`` is the folder of downloaded public data that suites such as
``gsm8k-replay`` read (``load_suite(..., data_dir=...)`` sets it for one suite). A data section's
``source`` names where its files come from, and the error for a missing file says so.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic import ValidationError as PydanticValidationError

from hitl_agent.errors import EvalError
from hitl_agent.resources import data_folder


def _shipped_dir() -> Path | None:
    try:
        return data_folder("evals")
    except FileNotFoundError:
        return None


SHIPPED_DIR = _shipped_dir()
"""Where the shipped suites live: package data in a wheel, ``evals/`` in a source checkout."""


DATA_VARIABLE = "HITL_EVAL_DATA"
"""The environment variable naming the folder of downloaded evaluation data."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- data -------------------------------------------------------------------------------------


class SklearnData(_Closed):
    """One of scikit-learn's bundled data sets (loads offline)."""

    kind: Literal["sklearn"]
    name: Literal["digits", "breast_cancer", "wine", "iris"]


class FileData(_Closed):
    """A JSONL or CSV file of inputs and gold answers."""

    kind: Literal["file"]
    path: str
    input: str | list[str] = Field(
        description="The input column, or several feature columns (joined into a vector)."
    )
    gold: str
    format: Literal["auto", "jsonl", "csv"] = "auto"


class DataSource(_Closed):
    """Where a suite's data comes from: a public repository, the commit, the path in it."""

    repository: str = Field(description="e.g. openai/grade-school-math (on GitHub)")
    commit: str
    path: str | list[str] = Field(description="File(s) or folder in the repository.")
    licence: str | None = None

    def describe(self) -> str:
        paths = self.path if isinstance(self.path, list) else [self.path]
        return (f"{', '.join(paths)} from https://github.com/{self.repository} at commit "
                f"{self.commit}" + (f" ({self.licence})" if self.licence else ""))


class ReplayData(_Closed):
    """Recorded model outputs with their signals, replayed as the model's predictions.

    ``format``:

    - ``jsonl``: one object per line with ``input``, ``output``, ``gold`` (names configurable) and
      any of ``probabilities``, ``token_logprobs``, ``top_logprobs``, ``samples``, ``metadata``;
    - ``gsm8k_solutions``: openai/grade-school-math's ``example_model_solutions.jsonl``: the
      answer of ``system`` is the output, the other systems' answers are its samples;
    - ``factual_claims``: Mohri & Hashimoto's ``*_subclaims_with_scores.json``: each claim is an
      item whose output is ``"true"`` (the model asserted it); gold is the human annotation; the
      resampling ``frequency-score`` and verbalized ``gpt-score`` go into ``metadata``.
    """

    kind: Literal["replay"]
    path: str | list[str]
    format: Literal["jsonl", "gsm8k_solutions", "factual_claims"] = "jsonl"
    input: str = "input"
    output: str = "output"
    gold: str = "gold"
    system: str | None = Field(default=None, description="gsm8k_solutions: the answering system.")
    source: DataSource | None = None


DataSpec = Annotated[SklearnData | FileData | ReplayData, Field(discriminator="kind")]


# -- model ------------------------------------------------------------------------------------


class SklearnModel(_Closed):
    """A scikit-learn estimator trained on the first ``train_size`` items of the shuffled data."""

    kind: Literal["sklearn"]
    estimator: str = Field(description="Dotted class path under sklearn., e.g. "
                           "sklearn.linear_model.LogisticRegression.")
    params: dict[str, Any] = Field(default_factory=dict)
    train_size: int = Field(ge=2)


class ChatModel(_Closed):
    """A LangChain chat model (class path under langchain*) asked once per item."""

    kind: Literal["chat"]
    chat_model: str
    params: dict[str, Any] = Field(default_factory=dict)
    system_prompt: str | None = None
    prompt_template: str = "{input}"
    n_samples: int = Field(default=0, ge=0)


class ReplayModel(_Closed):
    """The recorded outputs of a ``replay`` data source."""

    kind: Literal["replay"]


ModelSpec = Annotated[SklearnModel | ChatModel | ReplayModel, Field(discriminator="kind")]


# -- scorers, policies, reviewers, feedback ---------------------------------------------------

ScorerKind = Literal[
    "max_probability", "margin", "entropy", "mean_logprob", "min_logprob", "perplexity",
    "token_entropy", "sample_agreement", "majority_vote", "semantic_entropy",
    "lexical_similarity", "verbalized", "recorded",
]


class ScorerSpec(_Closed):
    """A scorer by name; ``recorded`` reads a number from ``prediction.metadata[key]`` and maps
    ``[low, high]`` onto ``[0, 1]`` (a score computed upstream and logged with the output)."""

    kind: ScorerKind
    name: str | None = None
    key: str | None = None
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _recorded_needs_key(self) -> ScorerSpec:
        if self.kind == "recorded" and not self.key:
            raise ValueError("a recorded scorer needs key: the metadata field to read")
        if self.high <= self.low:
            raise ValueError("high must be greater than low")
        return self

    @property
    def label(self) -> str:
        return self.name or (f"recorded:{self.key}" if self.kind == "recorded" else self.kind)


class TeachSpec(_Closed):
    """Part of the review budget spent on what teaches the next model
    (:class:`~hitl_agent.policy.active.TeachingReviews`): of the items the policy accepts, about
    ``floor + rate`` are reviewed, the least confident far more often; every accepted item keeps
    a chance of at least ``floor`` (the policy's ``audit_rate`` is replaced by it)."""

    rate: float = Field(gt=0.0, le=1.0)
    floor: float = Field(default=0.01, gt=0.0, le=1.0)
    utility: Literal["uncertainty", "margin"] = "uncertainty"


class ThresholdPolicySpec(_Closed):
    name: str
    kind: Literal["threshold"]
    threshold: float = Field(ge=0.0, le=1.0)
    audit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    teach: TeachSpec | None = None


class RiskControlledPolicySpec(_Closed):
    """Certified threshold: the first ``calibration_size`` stream items are all reviewed, and the
    threshold is fitted on the human verdicts (refitted on them after each retrain). ``method``
    is :class:`~hitl_agent.policy.risk.RiskControlledThreshold`'s."""

    name: str
    kind: Literal["risk_controlled"]
    alpha: float = Field(gt=0.0, lt=1.0)
    delta: float = Field(default=0.1, gt=0.0, lt=1.0)
    method: Literal["auto", "sgr", "holm", "fixed_sequence", "fallback", "ltt", "sgr_n"] = "auto"
    calibration_size: int = Field(default=300, ge=10)
    audit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    teach: TeachSpec | None = None


class BudgetPolicySpec(_Closed):
    """About ``reviews`` per ``per`` items, least confident first; the confidence cut is fitted
    on the model's scores for the stream's first ``per`` inputs (no labels)."""

    name: str
    kind: Literal["budget"]
    reviews: int = Field(ge=0)
    per: int = Field(default=100, ge=1)
    audit_rate: float = Field(default=0.0, ge=0.0, le=1.0)


PolicySpec = Annotated[
    ThresholdPolicySpec | RiskControlledPolicySpec | BudgetPolicySpec,
    Field(discriminator="kind"),
]


class ReviewerSpec(_Closed):
    """Simulated reviewers. ``task_count`` reviewers answer each review (majority vote)."""

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    automation_bias: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_s: float = Field(default=0.0, ge=0.0, description="Simulated seconds per answer "
                             "(reported as reviewer time; the run does not wait).")
    cost_per_review: float = Field(default=1.0, ge=0.0, description="Per reviewer answer.")
    task_count: int = Field(default=1, ge=1, le=15)


class FeedbackSpec(_Closed):
    """What corrections buy during the run."""

    retrain_every: int | None = Field(default=None, ge=1, description="Refit the estimator on "
                                      "train + corrected items every N corrections.")
    memory: bool = Field(default=False, description="Recall similar corrections (needs "
                         "hitl_agent.memory.CorrectionMemory).")
    window: int = Field(default=100, ge=10, description="Items per learning-curve window.")
    compare_without: bool = Field(default=True, description="Also run the stream with feedback "
                                  "off, for the learning-curve comparison.")
    figure_policy: str | None = Field(default=None, description="Policy of the feedback-loop "
                                      "figure (default: the first).")

    @property
    def on(self) -> bool:
        return self.retrain_every is not None or self.memory


class MetricsSpec(_Closed):
    bootstrap: int = Field(default=1000, ge=0)
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    calibration_resamples: int = Field(default=200, ge=0)
    ece_bins: int = Field(default=15, ge=2)


class Suite(_Closed):
    """A whole evaluation suite."""

    name: str
    description: str = ""
    task: str | None = None
    seed: int = 0
    limit: int | None = Field(default=None, ge=1, description="Stream at most this many items.")
    labels: list[str] | None = None
    data: DataSpec
    model: ModelSpec
    scorers: list[ScorerKind | ScorerSpec] = Field(min_length=1)
    policies: list[PolicySpec] = Field(min_length=1)
    reviewers: ReviewerSpec = Field(default_factory=ReviewerSpec)
    feedback: FeedbackSpec = Field(default_factory=FeedbackSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)

    _root: Path = PrivateAttr(default_factory=lambda: Path(".").resolve())
    _data_dir: Path | None = PrivateAttr(default=None)

    @property
    def root(self) -> Path:
        """What relative paths in the suite are relative to."""
        return self._root

    @root.setter
    def root(self, value: Path) -> None:
        self._root = Path(value).resolve()

    @model_validator(mode="after")
    def _consistent(self) -> Suite:
        names = [p.name for p in self.policies]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"policy names must be unique: {', '.join(duplicates)}")
        if (self.model.kind == "replay") != (self.data.kind == "replay"):
            raise ValueError("model kind 'replay' goes with data kind 'replay', and only with it")
        if self.feedback.retrain_every is not None and self.model.kind != "sklearn":
            raise ValueError("feedback.retrain_every needs an sklearn model")
        if self.feedback.figure_policy is not None and self.feedback.figure_policy not in names:
            raise ValueError(f"feedback.figure_policy {self.feedback.figure_policy!r} is not "
                             f"one of the policies: {', '.join(names)}")
        return self

    @property
    def scorer_specs(self) -> list[ScorerSpec]:
        return [s if isinstance(s, ScorerSpec) else ScorerSpec(kind=s) for s in self.scorers]

    @property
    def task_name(self) -> str:
        return self.task or self.name

    @property
    def data_dir(self) -> Path | None:
        return self._data_dir

    @data_dir.setter
    def data_dir(self, value: Path | str | None) -> None:
        self._data_dir = None if value is None else Path(value).expanduser().resolve()

    def resolve(self, path: str) -> Path:
        """A path of the suite, with environment variables expanded, made absolute.

        A variable that is not set is an :class:`EvalError` saying where the data comes from.
        """
        env = dict(os.environ)
        if self._data_dir is not None:
            env[DATA_VARIABLE] = str(self._data_dir)
        missing: list[str] = []

        def value(m: re.Match[str]) -> str:
            key = m.group(1) or m.group(2)
            if key not in env:
                missing.append(key)
                return m.group(0)
            return env[key]

        expanded = re.sub(r"\$\{(\w+)\}|\$(\w+)", value, path)
        if missing:
            raise EvalError(f"suite {self.name!r} reads {path!r} but ${missing[0]} is not set: "
                            + self.where_to_get(), field="data.path", variable=missing[0])
        p = Path(expanded).expanduser()
        return p if p.is_absolute() else (self.root / p).resolve()

    def where_to_get(self) -> str:
        """How to obtain this suite's data (from ``data.source``)."""
        source = getattr(self.data, "source", None)
        where = (f"download {source.describe()}, " if source is not None
                 else "put the data files in a folder, ")
        return (f"{where}then set {DATA_VARIABLE}=FOLDER (or pass data_dir to load_suite) "
                "with the files laid out as the suite's data.path expects")


def _project_root(suite_path: Path) -> Path:
    folder = suite_path.resolve().parent
    return folder.parent if folder.name == "evals" else folder


def find_suite(name_or_path: str | Path) -> Path:
    """A suite file: a path, or the name of a shipped suite (``digits`` → ``evals/digits.yaml``)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml", ".json") or p.exists():
        if not p.is_file():
            raise EvalError(f"suite file {str(p)!r} does not exist", field="suite", path=str(p))
        return p
    folders = [Path.cwd() / "evals"] + ([SHIPPED_DIR] if SHIPPED_DIR is not None else [])
    for folder in folders:
        for ext in (".yaml", ".yml"):
            candidate = folder / f"{name_or_path}{ext}"
            if candidate.is_file():
                return candidate
    known = sorted(x.stem for x in SHIPPED_DIR.glob("*.yaml")) if SHIPPED_DIR else []
    raise EvalError(f"no suite named {str(name_or_path)!r}"
                    + (f"; shipped suites: {', '.join(known)}" if known else ""),
                    field="suite")


def _pydantic_message(exc: PydanticValidationError) -> tuple[str, str]:
    lines = []
    first = ""
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        first = first or loc
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key {loc!r}")
        elif err["type"] == "missing":
            lines.append(f"missing key {loc!r}")
        else:
            lines.append(f"{loc or 'suite'}: {err['msg']}")
    return "; ".join(lines), first


def parse_suite(raw: Any, *, root: Path | str = ".", source: str = "<suite>") -> Suite:
    """Validate a suite given as a dict; ``root`` is what relative paths are relative to."""
    if not isinstance(raw, dict):
        raise EvalError(f"suite {source} must be a mapping, got {type(raw).__name__}",
                        field="suite", path=source)
    try:
        suite = Suite.model_validate(raw)
    except PydanticValidationError as exc:
        message, field = _pydantic_message(exc)
        raise EvalError(f"invalid suite {source}: {message}", field=field, path=source) from exc
    suite.root = Path(root)
    return suite


def load_suite(name_or_path: str | Path, *, data_dir: Path | str | None = None) -> Suite:
    """Read and validate a suite file (YAML or JSON), or a shipped suite by name; ``data_dir``
    stands for ``$HITL_EVAL_DATA`` in its paths."""
    path = find_suite(name_or_path)
    text = path.read_text(encoding="utf-8")
    import yaml

    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        raise EvalError(f"suite {path} is not valid YAML/JSON: {exc}", field="suite",
                        path=str(path)) from exc
    suite = parse_suite(raw, root=_project_root(path), source=str(path))
    suite.data_dir = data_dir
    return suite
