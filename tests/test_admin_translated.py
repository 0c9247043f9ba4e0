"""The admin of Waymark's apps shows no English label to a reader of another language.

Every ModelAdmin registered for a model of our apps is walked in English and in Latvian (and
Traditional Chinese): the
admin index, the change list (model names, column headers, list-filter titles) and the add page
(or, for a read-only admin, the change page of the world's object: field labels, fieldset names,
inlines and their columns). The two walks give the labels in the same order; a label equal to its
English one is a label nobody translated, unless it is a name or code every language writes the
same way, or a word Latvian writes as English does (``SAME_IN_LATVIAN``).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from .test_access_admin import admin_world  # noqa: F401  (the fixture: one object of every model)

OUR_APPS = {
    "teams",
    "journeys",
    "personas",
    "feedback",
    "reviews",
    "customers",
    "owners",
    "experiments",
    "automations",
    "webhooks",
    "analytics",
    "discussions",
    "search",
}

# Names, codes and loanwords Latvian writes as English does.
SAME_IN_LATVIAN = {"id", "url", "sla", "api", "nps", "csat", "ces", "json", "csv", "ip", "persona", "personas"}


def _same_in_latvian(text: str) -> bool:
    return text.lower() in SAME_IN_LATVIAN


def _our_admins():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in OUR_APPS
        ),
        key=lambda pair: pair[0]._meta.label,
    )


def _is_hidden(widget) -> bool:
    # A read-only column describes its widget as a dict, an editable one is the widget itself.
    return widget["is_hidden"] if isinstance(widget, dict) else widget.is_hidden


def _page_labels(response) -> list[tuple[str, str]]:
    """Return ``(where, label)`` for every label an admin page shows, in page order."""
    context = response.context
    labels = []
    if "cl" in context:
        changelist = context["cl"]
        labels += [("column", str(h["text"])) for h in result_headers(changelist) if not str(h["text"]).startswith("<")]
        labels += [("filter", str(spec.title)) for spec in changelist.filter_specs]
    if "adminform" in context:
        for fieldset in context["adminform"]:
            if fieldset.name:
                labels.append(("fieldset", str(fieldset.name)))
            for line in fieldset:
                for field in line:
                    label = field.field["label"] if field.is_readonly else field.field.label
                    labels.append(("field", str(label)))
        for inline in context.get("inline_admin_formsets", []):
            labels.append(("inline", str(inline.opts.verbose_name_plural)))
            labels += [("inline column", str(f["label"])) for f in inline.fields() if not _is_hidden(f["widget"])]
    return labels


def _labels_in(client, url: str, language: str) -> list[tuple[str, str]]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    assert response.headers["Content-Language"] == language, url
    # The context holds lazy texts: read them in the page's language, not the one active after it.
    with translation.override(language):
        return _page_labels(response)


def _form_url(model, model_admin, obj, request) -> str:
    info = (model._meta.app_label, model._meta.model_name)
    if model_admin.has_add_permission(request):
        return reverse(f"admin:{info[0]}_{info[1]}_add")
    return reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])


def _untranslated(english: list[tuple[str, str]], translated: list[tuple[str, str]], page: str) -> list[str]:
    assert len(english) == len(translated), f"{page}: the two languages show a different number of labels"
    return [
        f"{page}: {where} {en!r}"
        for (where, en), (_, other) in zip(english, translated, strict=True)
        if en == other and en.strip() and not _same_in_latvian(en)
    ]


def test_model_names_are_translated():
    untranslated = []
    for model, _model_admin in _our_admins():
        for name in ("verbose_name", "verbose_name_plural"):
            with translation.override("en"):
                english = str(getattr(model._meta, name))
            with translation.override("lv"):
                latvian = str(getattr(model._meta, name))
            if english == latvian and not _same_in_latvian(english):
                untranslated.append(f"{model._meta.label}.{name} {english!r}")
    assert untranslated == []


def test_the_admin_index_names_our_apps_and_models_in_latvian(db, client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="lv")
    with translation.override("lv"):
        shown = {
            app["app_label"]: (str(app["name"]), {m["object_name"]: str(m["name"]) for m in app["models"]})
            for app in response.context["app_list"]
        }
    untranslated = []
    for model, _model_admin in _our_admins():
        latvian_app, latvian_models = shown[model._meta.app_label]
        with translation.override("en"):
            english_app = str(apps.get_app_config(model._meta.app_label).verbose_name)
            english_model = str(capfirst(model._meta.verbose_name_plural))
        latvian_model = latvian_models[model.__name__]
        if latvian_app == english_app and not _same_in_latvian(english_app):
            untranslated.append(f"app {english_app!r}")
        if str(latvian_model) == english_model and not _same_in_latvian(english_model):
            untranslated.append(f"model {english_model!r}")
    assert sorted(set(untranslated)) == [], sorted(set(untranslated))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["lv", "zh-hant"])
def test_every_admin_page_of_our_apps_labels_its_fields_in_the_readers_language(
    client,
    admin_world,  # noqa: F811
    language,
):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    walked, untranslated = 0, []
    for model, model_admin in _our_admins():
        obj = admin_world.get(model)
        assert obj is not None, f"{model._meta.label}: no object in the admin world"
        info = (model._meta.app_label, model._meta.model_name)
        request = client.get(reverse("admin:index")).wsgi_request
        for url in (reverse(f"admin:{info[0]}_{info[1]}_changelist"), _form_url(model, model_admin, obj, request)):
            english_labels, translated_labels = _labels_in(client, url, "en"), _labels_in(client, url, language)
            assert english_labels, f"{url}: no label found (the walk reads nothing)"
            untranslated += _untranslated(english_labels, translated_labels, url)
            walked += 1
    assert walked == 2 * len(_our_admins())
    assert untranslated == []
