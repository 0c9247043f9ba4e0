"""Journey maps and everything drawn on them.

maps.py: maps, stages, touchpoints, pain points and published versions.
owners.py: ownership, SLAs, hand-offs and playbooks.
"""

from .maps import (
    Channel,
    Emotion,
    EvidenceSource,
    JourneyMap,
    MapVersion,
    MomentKind,
    PainPoint,
    Stage,
    Touchpoint,
)
from .owners import SLA, Handoff, HandoffCase, Ownership, Playbook

__all__ = [
    "SLA",
    "Channel",
    "Emotion",
    "EvidenceSource",
    "Handoff",
    "HandoffCase",
    "JourneyMap",
    "MapVersion",
    "MomentKind",
    "Ownership",
    "PainPoint",
    "Playbook",
    "Stage",
    "Touchpoint",
]
