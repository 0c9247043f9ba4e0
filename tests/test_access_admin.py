"""The admin part of the access test: a staff member of one team sees nothing of another team.

Every admin registered for a model of the world (one object of every team-scoped model, in team
A) is walked: the change list, the change, delete and history pages and, for models with
django-simple-history, ``history/<n>/``. Oscar, staff of team B with every permission, must not
see team A's object on any of them; Alice, staff of team A with the same permissions, sees them
all (so the walk reaches real pages); a superuser sees everything.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from reviews.models import DigestPreference
from teams.admin_scope import TeamScopedAdmin

from .world import build_world

# Django's groups belong to no team and hold no team data.
UNSCOPED = {Group}


def _staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.all())
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def admin_world(people, team_a, erin):
    world = build_world({**people, "team": team_a})
    world[get_user_model()] = erin  # a member of team A only
    world[DigestPreference] = DigestPreference.objects.create(user=erin, unsubscribed=True)
    for model, obj in world.items():
        # Rows made in bulk have no history yet; one save gives each a history/<n>/ page to probe.
        if isinstance(admin.site._registry.get(model), SimpleHistoryAdmin) and not obj.history.exists():
            obj.save()
    return world


def _admin_objects(world):
    return [(model, obj) for model, obj in world.items() if admin.site.is_registered(model)]


def _urls(model, obj) -> dict[str, str]:
    info = (model._meta.app_label, model._meta.model_name)
    urls = {
        name: reverse(f"admin:{info[0]}_{info[1]}_{name}", args=[obj.pk]) for name in ("change", "delete", "history")
    }
    if isinstance(admin.site._registry[model], SimpleHistoryAdmin):
        record = obj.history.order_by("-history_id").first()
        assert record is not None, f"{model.__name__}: the world's object has no history row"
        urls["history_form"] = reverse(f"admin:{info[0]}_{info[1]}_simple_history", args=[obj.pk, record.history_id])
    return urls


def test_every_admin_is_team_scoped():
    unscoped = [
        model.__name__
        for model, model_admin in admin.site._registry.items()
        if model not in UNSCOPED and not isinstance(model_admin, TeamScopedAdmin)
    ]
    assert unscoped == []


def test_every_admin_model_with_team_data_is_in_the_world(admin_world):
    missing = [m.__name__ for m in admin.site._registry if m not in UNSCOPED and m not in admin_world]
    assert missing == [], "add a builder to tests/world.py (or to admin_world here)"


def test_staff_of_another_team_sees_nothing(client, admin_world, oscar):
    client.force_login(_staff(oscar))
    index = reverse("admin:index")
    for model, obj in _admin_objects(admin_world):
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        assert changelist.status_code == 200, model.__name__
        assert obj.pk not in {row.pk for row in changelist.context["cl"].result_list}, model.__name__
        for url in _urls(model, obj).values():
            response = client.get(url)
            assert response.status_code in (302, 404), f"{url}: {response.status_code}"
            if response.status_code == 302:
                assert response["Location"] == index, url
            assert str(obj) not in response.content.decode(), url
        # Nothing is changed or deleted by posting either.
        response = client.post(_urls(model, obj)["delete"], {"post": "yes"})
        assert response.status_code in (302, 404), model.__name__
        assert model._default_manager.filter(pk=obj.pk).exists(), model.__name__


def test_staff_of_the_team_sees_every_page(client, admin_world, alice):
    client.force_login(_staff(alice))
    for model, obj in _admin_objects(admin_world):
        for url in _urls(model, obj).values():
            assert client.get(url).status_code == 200, url


def test_superuser_sees_every_team(client, admin_world, oscar):
    oscar.is_staff = oscar.is_superuser = True
    oscar.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(oscar)
    for model, obj in _admin_objects(admin_world):
        for url in _urls(model, obj).values():
            assert client.get(url).status_code == 200, url


def test_choices_and_filters_offer_only_the_admins_teams(client, admin_world, oscar, team_b):
    client.force_login(_staff(oscar))
    # The journey map form's team choices, and the stage list's team filter, name only team B.
    page = client.get(reverse("admin:journeys_journeymap_add")).content.decode()
    assert "Team B" in page and "Team A" not in page
    page = client.get(reverse("admin:journeys_stage_changelist")).content.decode()
    assert "Team A" not in page
