"""hitl-agent: people in the loop of LLM and ML applications, and their corrections turned into
better models.

Names load lazily (PEP 562, :mod:`hitl_agent._lazy`), so ``import hitl_agent.service`` or the CLI
does not pay for LangGraph, scipy or chromadb until they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors (the tree is drawn in hitl_agent.errors)
    "AccessDeniedException": "hitl_agent.errors",
    "AlreadyDecided": "hitl_agent.errors",
    "ArgumentTypeError": "hitl_agent.errors",
    "AuthError": "hitl_agent.errors",
    "AwsError": "hitl_agent.errors",
    "ConfigError": "hitl_agent.errors",
    "ConflictException": "hitl_agent.errors",
    "CrossSiteRequest": "hitl_agent.errors",
    "EvalError": "hitl_agent.errors",
    "ExportError": "hitl_agent.errors",
    "Forbidden": "hitl_agent.errors",
    "HitlError": "hitl_agent.errors",
    "IncompleteSignatureException": "hitl_agent.errors",
    "InternalServerException": "hitl_agent.errors",
    "InvalidArgumentError": "hitl_agent.errors",
    "InvalidSignatureException": "hitl_agent.errors",
    "InvalidStateError": "hitl_agent.errors",
    "LedgerError": "hitl_agent.errors",
    "MemoryIndexError": "hitl_agent.errors",
    "MissingAuthenticationTokenException": "hitl_agent.errors",
    "MissingExtra": "hitl_agent.errors",
    "ModelError": "hitl_agent.errors",
    "NotFoundError": "hitl_agent.errors",
    "PayloadTooLarge": "hitl_agent.errors",
    "ResourceInUse": "hitl_agent.errors",
    "ResourceLimitExceeded": "hitl_agent.errors",
    "ResourceNotFound": "hitl_agent.errors",
    "ResourceNotFoundException": "hitl_agent.errors",
    "ReviewError": "hitl_agent.errors",
    "ReviewNotFound": "hitl_agent.errors",
    "ServiceError": "hitl_agent.errors",
    "ServiceQuotaExceededException": "hitl_agent.errors",
    "SignInError": "hitl_agent.errors",
    "SignedUrlError": "hitl_agent.errors",
    "TemplateError": "hitl_agent.errors",
    "ThreadInputConflict": "hitl_agent.errors",
    "ThrottlingException": "hitl_agent.errors",
    "Unauthorized": "hitl_agent.errors",
    "UncertifiableTarget": "hitl_agent.errors",
    "UnknownOperation": "hitl_agent.errors",
    "UnknownOperationException": "hitl_agent.errors",
    "UnrecognizedClientException": "hitl_agent.errors",
    "UnsupportedMediaType": "hitl_agent.errors",
    "ValidationError": "hitl_agent.errors",
    "ValidationException": "hitl_agent.errors",
    # shared types
    "Correction": "hitl_agent.types",
    "HumanAnswer": "hitl_agent.types",
    "Prediction": "hitl_agent.types",
    "ReviewOutcome": "hitl_agent.types",
    "ReviewRequest": "hitl_agent.types",
    "RoutingDecision": "hitl_agent.types",
    "SimilarCorrection": "hitl_agent.types",
    "Uncertainty": "hitl_agent.types",
    # the graph
    "ReviewLoop": "hitl_agent.graph.loop",
    "build_review_graph": "hitl_agent.graph.build",
    "open_checkpointer": "hitl_agent.graph.checkpoint",
    "serializer": "hitl_agent.graph.checkpoint",
    "Resumer": "hitl_agent.graph.resumer",
    "ResumeReport": "hitl_agent.graph.resumer",
    "ReviewWorker": "hitl_agent.receivers.polling",
    # agents (the middleware needs the `agents` extra: LangChain 1.x)
    "AnswerReviewMiddleware": "hitl_agent.agents.answer_review",
    "ToolApprovalMiddleware": "hitl_agent.agents.tool_approval",
    "review_node": "hitl_agent.agents.review_node",
    # the resume contract (LangChain decisions, Agent Inbox responses, outcomes)
    "HumanDecision": "hitl_agent.review.decisions",
    "outcome_from_answer": "hitl_agent.review.decisions",
    # models
    "CallableModel": "hitl_agent.models.callable",
    "ChatModelAdapter": "hitl_agent.models.chat",
    "SklearnClassifier": "hitl_agent.models.sklearn",
    # reviews
    "A2IReviews": "hitl_agent.review.a2i",
    "parse_output": "hitl_agent.review.a2i",
    "ReviewBackend": "hitl_agent.review.base",
    "ReviewStatus": "hitl_agent.review.base",
    "InProcessReviews": "hitl_agent.review.in_process",
    "SimulatedReviewer": "hitl_agent.review.simulated",
    "create_review_flow": "hitl_agent.review.setup",
    "MajorityVote": "hitl_agent.review.aggregate",
    "Wawa": "hitl_agent.review.aggregate",
    "DawidSkene": "hitl_agent.review.aggregate",
    "ClosestText": "hitl_agent.review.aggregate",
    "fleiss_kappa": "hitl_agent.review.agreement",
    "krippendorff_alpha": "hitl_agent.review.agreement",
    # memory
    "Ledger": "hitl_agent.memory.ledger",
    # uncertainty
    "MaxProbabilityScorer": "hitl_agent.uncertainty",
    "MarginScorer": "hitl_agent.uncertainty",
    "EntropyScorer": "hitl_agent.uncertainty",
    "EnsembleDisagreementScorer": "hitl_agent.uncertainty",
    "MeanLogprobScorer": "hitl_agent.uncertainty",
    "MinLogprobScorer": "hitl_agent.uncertainty",
    "PerplexityScorer": "hitl_agent.uncertainty",
    "TokenEntropyScorer": "hitl_agent.uncertainty",
    "SampleAgreementScorer": "hitl_agent.uncertainty",
    "MajorityVoteScorer": "hitl_agent.uncertainty",
    "SemanticEntropyScorer": "hitl_agent.uncertainty",
    "LexicalSimilarityScorer": "hitl_agent.uncertainty",
    "VerbalizedConfidenceScorer": "hitl_agent.uncertainty",
    "JudgeScorer": "hitl_agent.models.judge",
    "CombinedScorer": "hitl_agent.uncertainty",
    "CalibratedScorer": "hitl_agent.uncertainty",
    "TemperatureScaling": "hitl_agent.uncertainty",
    "PlattCalibrator": "hitl_agent.uncertainty",
    "IsotonicCalibrator": "hitl_agent.uncertainty",
    "fit_calibrator": "hitl_agent.uncertainty",
    # policies
    "ThresholdPolicy": "hitl_agent.policy",
    "RiskControlledThreshold": "hitl_agent.policy",
    "NaiveThresholdNoGuarantee": "hitl_agent.policy",
    "CertifiedThresholdPolicy": "hitl_agent.policy",
    "ScheduledRecalibration": "hitl_agent.policy",
    "BudgetPolicy": "hitl_agent.policy",
    "ActivationConditionPolicy": "hitl_agent.policy",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(
    globals(), _EXPORTS,
    # old name: its new home - kept for one release
    deprecated={"Decision": "hitl_agent.types:RoutingDecision"},
)

if TYPE_CHECKING:  # pragma: no cover - every name's real type, for type checkers and IDEs
    from hitl_agent.agents.answer_review import AnswerReviewMiddleware as AnswerReviewMiddleware
    from hitl_agent.agents.review_node import review_node as review_node
    from hitl_agent.agents.tool_approval import ToolApprovalMiddleware as ToolApprovalMiddleware
    from hitl_agent.errors import AccessDeniedException as AccessDeniedException
    from hitl_agent.errors import AlreadyDecided as AlreadyDecided
    from hitl_agent.errors import ArgumentTypeError as ArgumentTypeError
    from hitl_agent.errors import AuthError as AuthError
    from hitl_agent.errors import AwsError as AwsError
    from hitl_agent.errors import ConfigError as ConfigError
    from hitl_agent.errors import ConflictException as ConflictException
    from hitl_agent.errors import CrossSiteRequest as CrossSiteRequest
    from hitl_agent.errors import EvalError as EvalError
    from hitl_agent.errors import ExportError as ExportError
    from hitl_agent.errors import Forbidden as Forbidden
    from hitl_agent.errors import HitlError as HitlError
    from hitl_agent.errors import IncompleteSignatureException as IncompleteSignatureException
    from hitl_agent.errors import InternalServerException as InternalServerException
    from hitl_agent.errors import InvalidArgumentError as InvalidArgumentError
    from hitl_agent.errors import InvalidSignatureException as InvalidSignatureException
    from hitl_agent.errors import InvalidStateError as InvalidStateError
    from hitl_agent.errors import LedgerError as LedgerError
    from hitl_agent.errors import MemoryIndexError as MemoryIndexError
    from hitl_agent.errors import (
        MissingAuthenticationTokenException as MissingAuthenticationTokenException,
    )
    from hitl_agent.errors import MissingExtra as MissingExtra
    from hitl_agent.errors import ModelError as ModelError
    from hitl_agent.errors import NotFoundError as NotFoundError
    from hitl_agent.errors import PayloadTooLarge as PayloadTooLarge
    from hitl_agent.errors import ResourceInUse as ResourceInUse
    from hitl_agent.errors import ResourceLimitExceeded as ResourceLimitExceeded
    from hitl_agent.errors import ResourceNotFound as ResourceNotFound
    from hitl_agent.errors import ResourceNotFoundException as ResourceNotFoundException
    from hitl_agent.errors import ReviewError as ReviewError
    from hitl_agent.errors import ReviewNotFound as ReviewNotFound
    from hitl_agent.errors import ServiceError as ServiceError
    from hitl_agent.errors import ServiceQuotaExceededException as ServiceQuotaExceededException
    from hitl_agent.errors import SignedUrlError as SignedUrlError
    from hitl_agent.errors import SignInError as SignInError
    from hitl_agent.errors import TemplateError as TemplateError
    from hitl_agent.errors import ThreadInputConflict as ThreadInputConflict
    from hitl_agent.errors import ThrottlingException as ThrottlingException
    from hitl_agent.errors import Unauthorized as Unauthorized
    from hitl_agent.errors import UncertifiableTarget as UncertifiableTarget
    from hitl_agent.errors import UnknownOperation as UnknownOperation
    from hitl_agent.errors import UnknownOperationException as UnknownOperationException
    from hitl_agent.errors import UnrecognizedClientException as UnrecognizedClientException
    from hitl_agent.errors import UnsupportedMediaType as UnsupportedMediaType
    from hitl_agent.errors import ValidationError as ValidationError
    from hitl_agent.errors import ValidationException as ValidationException
    from hitl_agent.graph.build import build_review_graph as build_review_graph
    from hitl_agent.graph.checkpoint import open_checkpointer as open_checkpointer
    from hitl_agent.graph.checkpoint import serializer as serializer
    from hitl_agent.graph.loop import ReviewLoop as ReviewLoop
    from hitl_agent.graph.resumer import Resumer as Resumer
    from hitl_agent.graph.resumer import ResumeReport as ResumeReport
    from hitl_agent.memory.ledger import Ledger as Ledger
    from hitl_agent.models.callable import CallableModel as CallableModel
    from hitl_agent.models.chat import ChatModelAdapter as ChatModelAdapter
    from hitl_agent.models.judge import JudgeScorer as JudgeScorer
    from hitl_agent.models.sklearn import SklearnClassifier as SklearnClassifier
    from hitl_agent.policy import ActivationConditionPolicy as ActivationConditionPolicy
    from hitl_agent.policy import BudgetPolicy as BudgetPolicy
    from hitl_agent.policy import CertifiedThresholdPolicy as CertifiedThresholdPolicy
    from hitl_agent.policy import NaiveThresholdNoGuarantee as NaiveThresholdNoGuarantee
    from hitl_agent.policy import RiskControlledThreshold as RiskControlledThreshold
    from hitl_agent.policy import ScheduledRecalibration as ScheduledRecalibration
    from hitl_agent.policy import ThresholdPolicy as ThresholdPolicy
    from hitl_agent.receivers.polling import ReviewWorker as ReviewWorker
    from hitl_agent.review.a2i import A2IReviews as A2IReviews
    from hitl_agent.review.a2i import parse_output as parse_output
    from hitl_agent.review.aggregate import ClosestText as ClosestText
    from hitl_agent.review.aggregate import DawidSkene as DawidSkene
    from hitl_agent.review.aggregate import MajorityVote as MajorityVote
    from hitl_agent.review.aggregate import Wawa as Wawa
    from hitl_agent.review.agreement import fleiss_kappa as fleiss_kappa
    from hitl_agent.review.agreement import krippendorff_alpha as krippendorff_alpha
    from hitl_agent.review.base import ReviewBackend as ReviewBackend
    from hitl_agent.review.base import ReviewStatus as ReviewStatus
    from hitl_agent.review.decisions import HumanDecision as HumanDecision
    from hitl_agent.review.decisions import outcome_from_answer as outcome_from_answer
    from hitl_agent.review.in_process import InProcessReviews as InProcessReviews
    from hitl_agent.review.setup import create_review_flow as create_review_flow
    from hitl_agent.review.simulated import SimulatedReviewer as SimulatedReviewer
    from hitl_agent.types import Correction as Correction
    from hitl_agent.types import HumanAnswer as HumanAnswer
    from hitl_agent.types import Prediction as Prediction
    from hitl_agent.types import ReviewOutcome as ReviewOutcome
    from hitl_agent.types import ReviewRequest as ReviewRequest
    from hitl_agent.types import RoutingDecision as RoutingDecision
    from hitl_agent.types import SimilarCorrection as SimilarCorrection
    from hitl_agent.types import Uncertainty as Uncertainty
    from hitl_agent.uncertainty import CalibratedScorer as CalibratedScorer
    from hitl_agent.uncertainty import CombinedScorer as CombinedScorer
    from hitl_agent.uncertainty import EnsembleDisagreementScorer as EnsembleDisagreementScorer
    from hitl_agent.uncertainty import EntropyScorer as EntropyScorer
    from hitl_agent.uncertainty import IsotonicCalibrator as IsotonicCalibrator
    from hitl_agent.uncertainty import LexicalSimilarityScorer as LexicalSimilarityScorer
    from hitl_agent.uncertainty import MajorityVoteScorer as MajorityVoteScorer
    from hitl_agent.uncertainty import MarginScorer as MarginScorer
    from hitl_agent.uncertainty import MaxProbabilityScorer as MaxProbabilityScorer
    from hitl_agent.uncertainty import MeanLogprobScorer as MeanLogprobScorer
    from hitl_agent.uncertainty import MinLogprobScorer as MinLogprobScorer
    from hitl_agent.uncertainty import PerplexityScorer as PerplexityScorer
    from hitl_agent.uncertainty import PlattCalibrator as PlattCalibrator
    from hitl_agent.uncertainty import SampleAgreementScorer as SampleAgreementScorer
    from hitl_agent.uncertainty import SemanticEntropyScorer as SemanticEntropyScorer
    from hitl_agent.uncertainty import TemperatureScaling as TemperatureScaling
    from hitl_agent.uncertainty import TokenEntropyScorer as TokenEntropyScorer
    from hitl_agent.uncertainty import VerbalizedConfidenceScorer as VerbalizedConfidenceScorer
    from hitl_agent.uncertainty import fit_calibrator as fit_calibrator
