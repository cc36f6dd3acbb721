"""Confidence of a verdict: how likely a careful human coder would agree with it.

Provisional: replaced by a calibration fitted across organisations (see benchmarks/accuracy.py).
"""

from __future__ import annotations

from policyaudit.assess.types import Judgement
from policyaudit.framework.schema import Standard


def assign_confidence(judgement: Judgement, standard: Standard) -> None:
    judgement.confidence = 0.5
