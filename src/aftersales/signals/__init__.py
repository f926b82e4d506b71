"""Customer behaviour signals: features for all customers at once, complaint stage from behaviour, churn risk.

Pure core: pandas, numpy and (for fitting only) scikit-learn. See docs/signals.md for every definition.
"""

from aftersales.signals.churn import ChurnModel, TrainingSet, build_training_set, rule_churn, try_fit
from aftersales.signals.compute import signals_for_points
from aftersales.signals.engine import FEATURES, MODEL_FEATURES, features_at
from aftersales.signals.features import compute_signals, customer_features, features_for_customers, signals_from_frames
from aftersales.signals.frames import Frames
from aftersales.signals.scalar import signals_from_rows
from aftersales.signals.stage import STAGE_RULES, StageInputs, behaviour_stage, effective_stage, max_stage
from aftersales.signals.types import ChurnRisk, CustomerSignals, Factor

__all__ = [
    "FEATURES",
    "MODEL_FEATURES",
    "STAGE_RULES",
    "ChurnModel",
    "ChurnRisk",
    "CustomerSignals",
    "Factor",
    "Frames",
    "StageInputs",
    "TrainingSet",
    "behaviour_stage",
    "build_training_set",
    "compute_signals",
    "customer_features",
    "effective_stage",
    "features_at",
    "features_for_customers",
    "max_stage",
    "rule_churn",
    "signals_for_points",
    "signals_from_frames",
    "signals_from_rows",
    "try_fit",
]
