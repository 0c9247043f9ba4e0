"""Journey maps and everything drawn on them.

maps.py: maps, stages, touchpoints, pain points and published versions.
map_templates.py: a team's own templates to start new maps from.
sharing.py: read-only share links for people without an account, and their views.
lanes.py: the swimlanes drawn under a map's stages, and what text lanes say per stage.
changes.py: each board edit with what it replaced, for undo.
"""

from .changes import MapChange
from .lanes import Lane, LaneCell
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
from .sharing import ShareLink, ShareLinkView

__all__ = [
    "Channel",
    "Emotion",
    "EvidenceSource",
    "JourneyMap",
    "Lane",
    "LaneCell",
    "MapChange",
    "MapTemplate",
    "MapVersion",
    "MomentKind",
    "PainPoint",
    "ShareLink",
    "ShareLinkView",
    "Stage",
    "Touchpoint",
]
