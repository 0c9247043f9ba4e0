"""Text a database cannot store: NUL characters (PostgreSQL refuses them) and lone surrogates.

Django's form and DRF's CharField already refuse NUL; JSON bodies and query strings need this.
"""

import re

from django.utils.translation import gettext_lazy as _

UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = _("Contains a character that cannot be stored (NUL or a lone surrogate).")


def find_unstorable(value: object, path: str = "") -> str | None:
    """Return the path of the first string in ``value`` (keys included) that cannot be stored."""
    if isinstance(value, str):
        return (path or "value") if UNSTORABLE_RE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and UNSTORABLE_RE.search(key):
                return here
            found = find_unstorable(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{index}]" if path else f"[{index}]")
            if found:
                return found
    return None
