"""The map page's HTML on benchmark 3's maps, to check that a change to how the page is built leaves
what it draws alone. Writes one file per variant (map × layout × period × moments only × role ×
language × presenting) into a folder, with the per-request CSRF token and CSP nonces blanked out; run it before
and after a change (same database, no refresh in between) and compare the folders::

    BENCH_DB_NAME=... .venv/bin/python -m bench.maps_html /tmp/before
    # change the code
    BENCH_DB_NAME=... .venv/bin/python -m bench.maps_html /tmp/after --compare /tmp/before

The stored overlay counts and scores are read as they are, so nothing may be refreshed more than
15 minutes before either run (older rows are not read: the page then computes the figures and
drops its "as of" lines); ``--refresh`` stores them first, as benchmark 3 does. The times of
computation are blanked out, so a refresh over unchanged data between the runs is no difference.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench import common

common.apply_env()

# Per request: the CSRF token and the CSP nonces; per refresh of the stored figures: when they were
# computed (the "as of" lines, the stage columns' titles).
TOKEN = re.compile(rb'[A-Za-z0-9]{64}|nonce="[^"]*"|\d{4}-\d\d-\d\d \d\d:\d\d UTC')


def variants(detail: dict):
    for size in ("large", "small"):
        pk = detail[size]["map"]
        for layout in ("columns", "funnel"):
            for period in ("7", "30", "90"):
                for moments in ("", "1"):
                    for lang in ("en", "lv"):
                        query = f"?layout={layout}&period={period}" + (f"&moments={moments}" if moments else "")
                        yield f"{size}-{layout}-{period}-m{moments or 0}-{lang}", f"/maps/{pk}/{query}", lang
        yield f"{size}-present", f"/maps/{pk}/?present=1", "en"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--refresh", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench import datagen
    from bench.maps import refresh_stored

    detail = datagen.dataset_get("maps", datagen.MAPS_VERSION)
    if detail is None:
        print("no map data set: run bench/run.py maps first", file=sys.stderr)
        return 2
    if args.refresh:
        refresh_stored([detail["large"]["map"], detail["small"]["map"]])
    users = {"editor": get_user_model().objects.get(pk=detail["admin"])}
    viewer = get_user_model().objects.filter(username="bench-owner-0").first()
    if viewer is not None:
        users["owner0"] = viewer
    args.out.mkdir(parents=True, exist_ok=True)
    differ = 0
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        for name, path, lang in variants(detail):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
            body = TOKEN.sub(b"", response.content)
            file = args.out / f"{role}-{name}.html"
            file.write_bytes(b"%d\n" % response.status_code + body)
            if args.compare is not None:
                before = (args.compare / file.name).read_bytes()
                if before != file.read_bytes():
                    differ += 1
                    print(f"differs: {file.name}")
    if args.compare is not None:
        print(f"{differ} of {len(list(args.out.iterdir()))} pages differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
