"""Journey maps and everything drawn on them.

maps.py: maps, stages, touchpoints, pain points and published versions.
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

__all__ = [
    "Channel",
    "Emotion",
    "EvidenceSource",
    "JourneyMap",
    "MapVersion",
    "MomentKind",
    "PainPoint",
    "Stage",
    "Touchpoint",
]
