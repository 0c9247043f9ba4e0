"""The interface's catalogs stay complete: every string a person reads is translated in every language.

Three checks: each catalog has no untranslated or fuzzy message and passes ``msgfmt --check``; the
catalogs hold every string the code marks for translation (``makemessages`` run on a copy of the
tree finds nothing new); and no template shows text outside a translation tag.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils.translation import to_locale

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "node_modules", "var", ".git", "docs", "bench", "tests", "static"}
TRANSLATED = [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ("django", "djangojs")

# Parts of the interface whose translation is still to come (issue 17 stays open while this has
# entries). Their checks are expected to fail; an entry goes when its part is translated, and from
# then on every check of that part must pass.
PENDING: dict[str, str] = {}


def _part(path: Path) -> str:
    """Return the app folder ``path`` belongs to ("" for the project's own templates and locale)."""
    first = path.relative_to(ROOT).parts[0]
    return "" if first in {"templates", "locale"} else first


def _param(value, path: Path):
    reason = PENDING.get(_part(path))
    return pytest.param(value, marks=pytest.mark.xfail(strict=False, reason=reason)) if reason else value


def _project_dirs(name: str) -> list[Path]:
    """Return ROOT/name and every app's own name/ folder."""
    tops = [p for p in ROOT.iterdir() if p.is_dir() and p.name not in SKIP_DIRS and not p.name.startswith(".")]
    return sorted(p for p in [ROOT / name, *(top / name for top in tops)] if p.is_dir())


LOCALE_DIRS = _project_dirs("locale")


def _catalogs() -> list[tuple[Path, str, str]]:
    """Return (locale dir, locale, domain) for every catalog any language of a locale dir has."""
    result = []
    for locale_dir in LOCALE_DIRS:
        domains = {po.stem for po in locale_dir.glob("*/LC_MESSAGES/*.po")}
        result += [(locale_dir, locale, domain) for domain in sorted(domains) for locale in TRANSLATED]
    return result


def _po(locale_dir: Path, locale: str, domain: str) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize(
    ("locale_dir", "locale", "domain"),
    _catalogs(),
    ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v,
)
def test_every_message_is_translated(locale_dir, locale, domain):
    path = _po(locale_dir, locale, domain)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run makemessages -l {locale}"
    catalog = polib.pofile(str(path))
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated, f"{path.relative_to(ROOT)}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{path.relative_to(ROOT)}: fuzzy {fuzzy[:10]}"
    if shutil.which("msgfmt"):
        check = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stderr


def _known_msgids(locale: str, domain: str) -> set[str]:
    return {
        e.msgid
        for d in LOCALE_DIRS
        for po in d.glob(f"{locale}/LC_MESSAGES/{domain}.po")
        for e in polib.pofile(str(po))
    }


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """Run makemessages on a copy of the tree and return the copy."""
    if not shutil.which("xgettext"):
        pytest.skip("makemessages needs GNU gettext's xgettext")
    copy = tmp_path_factory.mktemp("extract") / "tree"
    ignore = shutil.ignore_patterns(".venv", "node_modules", "var", ".git", "docs", "bench", "tests", "*.pyc", "*.mo")
    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    # The copy has no tests/ package: the subprocess runs on the project's settings, not tests.settings.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    for domain, extra in (("django", []), ("djangojs", ["--ignore=static/vendor/*"])):
        run = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-d", domain, "--no-obsolete", "--ignore=.venv/*", *extra]
            + [f"-l={locale}" for locale in TRANSLATED],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
    return copy


@pytest.mark.parametrize("locale_dir", [_param(d, d) for d in LOCALE_DIRS], ids=lambda d: str(d.relative_to(ROOT)))
def test_the_catalogs_hold_every_marked_string(extracted, locale_dir):
    """A string marked in code but missing from its part's catalogs fails (run makemessages)."""
    copied = extracted / locale_dir.relative_to(ROOT)
    missing = []
    for po in copied.glob("*/LC_MESSAGES/*.po"):
        original = locale_dir / po.relative_to(copied)
        # makemessages files a static/ script's strings under the project's locale/, while an app may
        # keep its own scripts' strings: a string counts as held when any catalog of the domain has it.
        have = _known_msgids(po.parent.parent.name, po.stem)
        new = [e.msgid for e in polib.pofile(str(po)) if e.msgid not in have]
        missing += [f"{original.relative_to(ROOT)}: {msgid!r}" for msgid in new[:5]]
    assert not missing, "strings marked in code but not in the catalogs (run makemessages):\n" + "\n".join(missing)


# --- Templates: no text outside a translation tag ------------------------------------------------

# What may stand in a template as it is: symbols, and names that are not translated.
ALLOWED_WORDS = {"Waymark", "NPS", "CSAT", "CES", "API", "CSV", "JSON", "SLA", "ETag", "If-Match", "HTMX", "ID"}
VISIBLE_ATTRIBUTES = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label|aria-description|aria-roledescription|label)\s*=\s*(["'])(.*?)\1""",
    re.S,
)
# Scripts, styles and code (``<pre>``, ``<code>``) are program text, the same in every language; a
# sample's prose comment still goes through {% translate %}.
HIDDEN_ELEMENTS = re.compile(r"<(script|style|pre|code)\b.*?</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
WORD = re.compile(r"[^\W\d_][\w'’\-]*")
OPENERS = {"translate", "trans", "blocktranslate", "blocktrans", "comment", "verbatim"}
BLOCK_ENDS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}


def _template_files() -> list[Path]:
    return sorted({f for d in _project_dirs("templates") for pattern in ("*.html", "*.txt") for f in d.rglob(pattern)})


def untranslated_text(source: str) -> list[str]:
    """Return the words in ``source`` a person would read that are outside translation tags.

    The text between template tags is joined first (a tag or variable becomes a space), so an HTML
    tag split by ``{% url %}`` or ``{{ value }}`` is still recognised as a tag, not read as words.
    """
    parts, skip_until = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if skip_until:
                if name == skip_until:
                    skip_until = None
                continue
            skip_until = BLOCK_ENDS.get(name)
            parts.append(" ")
            continue
        if skip_until:
            continue
        parts.append(token.contents if token.token_type == TokenType.TEXT else " ")
    text = HIDDEN_ELEMENTS.sub(" ", "".join(parts))
    shown = " ".join(m.group(2) for m in VISIBLE_ATTRIBUTES.finditer(text))
    shown += " " + ENTITY.sub(" ", TAG.sub(" ", text))
    return [w for w in WORD.findall(shown) if w not in ALLOWED_WORDS]


@pytest.mark.parametrize("template", [_param(t, t) for t in _template_files()], ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_show_no_text_outside_translation_tags(template):
    words = untranslated_text(template.read_text())
    assert not words, f"{template.relative_to(ROOT)}: wrap in {{% translate %}}: {' '.join(words[:20])}"


def test_the_scanner_finds_text_and_respects_tags():
    assert untranslated_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert untranslated_text('<button aria-label="Close">×</button>') == ["Close"]
    assert untranslated_text("{% translate 'Hello' %} <b>{{ n }}</b> · ◆") == []
    assert untranslated_text("{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}") == []
    assert untranslated_text("<script>const label = 'x';</script>{% comment %}Note{% endcomment %}") == []
    assert untranslated_text("<span>NPS</span> &nbsp; Waymark") == []
    assert untranslated_text("<pre><code>from segment import analytics</code></pre><p>Send</p>") == ["Send"]
    assert untranslated_text('<a href="{% url "x" %}" class="b">Home</a>') == ["Home"]
    assert untranslated_text('<a title="{% translate "Map" %}" href="{{ u }}">{{ n }}</a>') == []
