#!/usr/bin/env python3
"""Git merge driver for gettext catalogs: the union of both sides' entries.

Two branches that each add strings to a catalog touch the same header lines and often the same
end of file, so git's line merge reports conflicts where there are none. This driver keeps our
catalog, adds their new entries, and takes their translation where ours is empty or unchanged
from the base. Run ``makemessages`` afterwards to re-sort and refresh the references.

Enable it once per clone::

    git config merge.po.name "gettext catalog union"
    git config merge.po.driver ".venv/bin/python scripts/po_merge.py %O %A %B"
"""

from __future__ import annotations

import sys

import polib


def _key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid)


def _translated(entry: polib.POEntry | None) -> bool:
    if entry is None:
        return False
    return bool(entry.msgstr) or any(entry.msgstr_plural.values())


def merge(base_path: str, ours_path: str, theirs_path: str) -> None:
    try:
        base = {_key(e): e for e in polib.pofile(base_path)}
    except (OSError, ValueError):
        base = {}
    ours = polib.pofile(ours_path, wrapwidth=0)
    theirs = polib.pofile(theirs_path)
    mine = {_key(e): e for e in ours}
    for entry in theirs:
        current = mine.get(_key(entry))
        if current is None:
            ours.append(entry)
            continue
        old = base.get(_key(entry))
        ours_unchanged = old is not None and (current.msgstr, current.msgstr_plural) == (old.msgstr, old.msgstr_plural)
        if _translated(entry) and (not _translated(current) or ours_unchanged):
            current.msgstr, current.msgstr_plural = entry.msgstr, dict(entry.msgstr_plural)
            current.flags = [f for f in current.flags if f != "fuzzy"] if "fuzzy" not in entry.flags else current.flags
        if current.obsolete and not entry.obsolete:
            current.obsolete = False
            current.occurrences = entry.occurrences
    ours.save(ours_path)


if __name__ == "__main__":
    merge(*sys.argv[1:4])
