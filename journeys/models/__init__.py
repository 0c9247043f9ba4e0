"""Journey maps and everything drawn on them.

maps.py: maps, stages, touchpoints, pain points and published versions.
map_templates.py: a team's own templates to start new maps from.
sharing.py: read-only share links for people without an account, and their views.
changes.py: each board edit with what it replaced, for undo.
"""

from .changes import MapChange
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
