"""Journey maps and everything drawn on them.

maps.py: maps, stages, touchpoints, pain points and published versions.
map_templates.py: a team's own templates to start new maps from.
"""

from .map_templates import MapTemplate
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
    "MapTemplate",
    "MapVersion",
    "MomentKind",
    "PainPoint",
    "Stage",
    "Touchpoint",
]
