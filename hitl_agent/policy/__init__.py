"""Escalation policies: pure functions and small classes that decide who looks at an item."""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "BuiltinLoopPolicy": "hitl_agent.policy.builtin_loop",
    "ToolRiskPolicy": "hitl_agent.policy.tool_risk",
    "ActivationConditionPolicy": "hitl_agent.policy.activation",
    "ActivationResult": "hitl_agent.policy.activation",
    "BudgetPolicy": "hitl_agent.policy.budget",
    "TeachingReviews": "hitl_agent.policy.active",
    "certify": "hitl_agent.policy.certify",
    "ipw_error": "hitl_agent.policy.active",
    "teaching_utility": "hitl_agent.policy.active",
    "uniform_subsample": "hitl_agent.policy.active",
    "CertifiedThresholdPolicy": "hitl_agent.policy.recalibrate",
    "EscalationPolicy": "hitl_agent.policy.base",
    "FitRecord": "hitl_agent.policy.recalibrate",
    "NaiveThresholdNoGuarantee": "hitl_agent.policy.risk",
    "RiskControlledThreshold": "hitl_agent.policy.risk",
    "ScheduledRecalibration": "hitl_agent.policy.recalibrate",
    "ThresholdPolicy": "hitl_agent.policy.threshold",
    "UncertifiableTarget": "hitl_agent.policy.risk",
    "binomial_p_value": "hitl_agent.policy.risk",
    "clopper_pearson_upper": "hitl_agent.policy.risk",
    "evaluate_activation_conditions": "hitl_agent.policy.activation",
    "learn_then_test": "hitl_agent.policy.risk",
    "min_accepted_for": "hitl_agent.policy.risk",
    "parse_activation_conditions": "hitl_agent.policy.activation",
    "prediction_fields": "hitl_agent.policy.activation",
    "selective_guaranteed_risk": "hitl_agent.policy.risk",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.policy.activation import (  # noqa: F401
        ActivationConditionPolicy,
        ActivationResult,
        evaluate_activation_conditions,
        parse_activation_conditions,
        prediction_fields,
    )
    from hitl_agent.policy.active import (  # noqa: F401
        TeachingReviews,
        ipw_error,
        teaching_utility,
        uniform_subsample,
    )
    from hitl_agent.policy.base import (  # noqa: F401
        EscalationPolicy,
    )
    from hitl_agent.policy.budget import (  # noqa: F401
        BudgetPolicy,
    )
    from hitl_agent.policy.builtin_loop import (  # noqa: F401
        BuiltinLoopPolicy,
    )
    from hitl_agent.policy.certify import certify  # noqa: F401
    from hitl_agent.policy.recalibrate import (  # noqa: F401
        CertifiedThresholdPolicy,
        FitRecord,
        ScheduledRecalibration,
    )
    from hitl_agent.policy.risk import (  # noqa: F401
        NaiveThresholdNoGuarantee,
        RiskControlledThreshold,
        UncertifiableTarget,
        binomial_p_value,
        clopper_pearson_upper,
        learn_then_test,
        min_accepted_for,
        selective_guaranteed_risk,
    )
    from hitl_agent.policy.threshold import (  # noqa: F401
        ThresholdPolicy,
    )
    from hitl_agent.policy.tool_risk import (  # noqa: F401
        ToolRiskPolicy,
    )
