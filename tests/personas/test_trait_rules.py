"""Personas' trait rules: the pure evaluation (table cases), validation, the rules page and the API."""

from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from personas import extensions, services
from personas.rules import clean_condition, clean_rules, holds, persona_for

HX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class P:
    """A persona as ``persona_for`` sees it (no database)."""

    pk: int
    trait_rules: list = field(default_factory=list)
    priority: int = 100


def cond(trait, op, value=None):
    return clean_condition({"trait": trait, "op": op, **({} if op == "exists" else {"value": value})})


# (condition, traits, expected)
HOLDS = [
    (cond("plan", "eq", "team"), {"plan": "team"}, True),
    (cond("plan", "eq", "team"), {"plan": "Team"}, True),  # text compares without case
    (cond("plan", "eq", "team"), {"plan": "free"}, False),
    (cond("plan", "eq", "team"), {}, False),
    (cond("seats", "eq", "50"), {"seats": 50}, True),  # a number equals the text that spells it
    (cond("seats", "eq", 50), {"seats": "50.0"}, True),
    (cond("beta", "eq", "true"), {"beta": True}, True),
    (cond("beta", "eq", "true"), {"beta": False}, False),
    (cond("plan", "neq", "team"), {"plan": "free"}, True),
    (cond("plan", "neq", "team"), {"plan": "TEAM"}, False),
    (cond("plan", "neq", "team"), {}, False),  # nothing known about the plan: not "not team" either
    (cond("plan", "neq", "team"), {"plan": None}, False),
    (cond("plan", "in", ["free", "team"]), {"plan": "team"}, True),
    (cond("plan", "in", "free, team"), {"plan": "free"}, True),  # a form's comma-separated text
    (cond("plan", "in", ["free", "team"]), {"plan": "enterprise"}, False),
    (cond("plan", "not_in", ["free", "team"]), {"plan": "enterprise"}, True),
    (cond("plan", "not_in", ["free", "team"]), {"plan": "free"}, False),
    (cond("plan", "not_in", ["free"]), {}, False),
    (cond("email", "contains", "@acme."), {"email": "Ana@ACME.com"}, True),
    (cond("email", "contains", "@acme."), {"email": "ana@example.com"}, False),
    (cond("tags", "contains", "vip"), {"tags": ["new", "VIP"]}, True),  # a list contains an element
    (cond("tags", "contains", "vip"), {"tags": ["new"]}, False),
    (cond("company", "exists"), {"company": "Acme"}, True),
    (cond("company", "exists"), {"company": ""}, False),
    (cond("company", "exists"), {"company": None}, False),
    (cond("company", "exists"), {}, False),
    (cond("seats", "gt", 10), {"seats": 11}, True),
    (cond("seats", "gt", 10), {"seats": 10}, False),
    (cond("seats", "gt", "10"), {"seats": "12.5"}, True),  # numbers sent as text compare as numbers
    (cond("seats", "gt", 10), {"seats": "many"}, False),
    (cond("seats", "gt", 10), {"seats": True}, False),  # a boolean is not a number
    (cond("seats", "lt", 10), {"seats": 9}, True),
    (cond("seats", "lt", 10), {"seats": 10}, False),
    (cond("address.city", "eq", "Riga"), {"address": {"city": "Rīga"}}, False),
    (cond("address.city", "eq", "riga"), {"address": {"city": "Riga"}}, True),  # a nested trait
    (cond("address.city", "exists"), {"address": "Riga"}, False),
]


@pytest.mark.parametrize(("condition", "traits", "expected"), HOLDS)
def test_a_condition_holds_as_the_table_says(condition, traits, expected):
    assert holds(condition, traits) is expected


shopper = P(1, [cond("product", "eq", "furniture")], priority=10)
team_buyer = P(2, [cond("plan", "eq", "team"), cond("seats", "gt", 5)], priority=20)
any_team = P(3, [cond("plan", "eq", "team")], priority=20)
no_rules = P(4, [], priority=0)
same_priority_older = P(0, [cond("plan", "exists")], priority=20)

# (traits, personas, expected pk or None)
ASSIGN = [
    ({"product": "furniture"}, [shopper, team_buyer], 1),
    ({"plan": "team", "seats": 9}, [shopper, team_buyer], 2),
    ({"plan": "team", "seats": 3}, [shopper, team_buyer], None),  # every condition must hold
    ({"plan": "team", "seats": 9}, [any_team, team_buyer], 2),  # equal priority: the older (lower id)
    ({"plan": "team", "seats": 9}, [any_team, same_priority_older], 0),
    ({"product": "furniture", "plan": "team", "seats": 9}, [team_buyer, shopper], 1),  # lowest priority wins
    ({"plan": "team"}, [no_rules], None),  # a persona without rules matches nobody
    ({}, [no_rules, shopper], None),
    ({"product": "furniture"}, [], None),
]


@pytest.mark.parametrize(("traits", "personas", "expected"), ASSIGN)
def test_persona_for_picks_the_first_matching_persona_by_priority(traits, personas, expected):
    found = persona_for(traits, personas)
    assert (found.pk if found is not None else None) == expected


@pytest.mark.parametrize(
    ("raw", "field_name"),
    [
        ({"trait": "", "op": "eq", "value": "x"}, "trait"),
        ({"trait": "plan", "op": "like", "value": "x"}, "op"),
        ({"trait": "plan", "op": "eq"}, "value"),
        ({"trait": "plan", "op": "eq", "value": "  "}, "value"),
        ({"trait": "plan", "op": "eq", "value": {"a": 1}}, "value"),
        ({"trait": "plan", "op": "in", "value": []}, "value"),
        ({"trait": "plan", "op": "in", "value": [{"a": 1}]}, "value"),
        ({"trait": "seats", "op": "gt", "value": "ten"}, "value"),
        ({"trait": "seats", "op": "gt", "value": True}, "value"),
        ({"trait": "plan", "op": "eq", "value": "x", "extra": 1}, "trait"),
        ("plan=team", "trait"),
    ],
)
def test_a_bad_condition_is_refused_naming_its_field(raw, field_name):
    with pytest.raises(ValidationError) as caught:
        clean_condition(raw)
    assert field_name in caught.value.message_dict


def test_clean_rules_normalises_and_numbers_each_bad_condition():
    assert clean_rules(
        [
            {"trait": " plan ", "op": "in", "value": "free, team"},
            {"trait": "seats", "op": "gt", "value": "10"},
            {"trait": "company", "op": "exists", "value": "ignored"},
        ]
    ) == [
        {"trait": "plan", "op": "in", "value": ["free", "team"]},
        {"trait": "seats", "op": "gt", "value": 10},
        {"trait": "company", "op": "exists"},
    ]
    with pytest.raises(ValidationError) as caught:
        clean_rules([{"trait": "plan", "op": "eq", "value": "a"}, {"trait": "x", "op": "nope", "value": 1}])
    assert caught.value.messages == ["Condition 2, op: Choose one of eq, neq, in, not_in, contains, exists, gt, lt."]
    with pytest.raises(ValidationError):
        clean_rules({"trait": "plan"})
    with pytest.raises(ValidationError):
        clean_rules([{"trait": f"t{i}", "op": "exists"} for i in range(21)])


# --- the service --------------------------------------------------------------------------------------


@pytest.fixture
def changes():
    """Record the teams whose persona rules the services announce as changed."""
    seen = []

    def handler(*, team_id):
        seen.append(team_id)

    extensions.register_rules_changed_handler(handler)
    yield seen
    extensions.rules_changed_handlers.remove(handler)


def test_update_stores_clean_rules_and_announces_the_change(shopper, erin, team_a, changes):
    services.persona_update(
        persona=shopper, actor=erin, trait_rules=[{"trait": "product", "op": "eq", "value": " furniture "}]
    )
    shopper.refresh_from_db()
    assert shopper.trait_rules == [{"trait": "product", "op": "eq", "value": "furniture"}]
    assert changes == [team_a.pk]
    services.persona_update(persona=shopper, actor=erin, summary="Only the summary")
    assert changes == [team_a.pk]  # a change that cannot move a customer announces nothing
    services.persona_update(persona=shopper, actor=erin, priority=5)
    services.persona_archive(persona=shopper, actor=erin)
    assert changes == [team_a.pk] * 3


def test_update_refuses_bad_rules_as_a_field_error_and_keeps_the_old_ones(shopper, erin, changes):
    with pytest.raises(ValidationError) as caught:
        services.persona_update(persona=shopper, actor=erin, trait_rules=[{"trait": "seats", "op": "gt", "value": "x"}])
    assert caught.value.message_dict == {"trait_rules": ["Condition 1, value: Give a number, e.g. 10."]}
    shopper.refresh_from_db()
    assert shopper.trait_rules == [] and changes == []


def test_create_and_delete_with_rules_announce_the_change(team_a, erin, changes):
    persona = services.persona_create(
        team=team_a, actor=erin, name="Team buyer", trait_rules=[{"trait": "plan", "op": "eq", "value": "team"}]
    )
    services.persona_create(team=team_a, actor=erin, name="No rules")
    assert changes == [team_a.pk]
    services.persona_delete(persona=persona, actor=erin)
    assert changes == [team_a.pk, team_a.pk]


# --- the rules page -------------------------------------------------------------------------------------


def _post(rows, priority="100", revision="1", **extra):
    data = {
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "20",
        "priority": priority,
        "revision": revision,
        **extra,
    }
    for i, (trait, op, value) in enumerate(rows):
        data |= {f"rules-{i}-trait": trait, f"rules-{i}-op": op, f"rules-{i}-value": value}
    return data


def test_rules_page_saves_rows_and_the_detail_page_shows_them(client_as, erin, shopper):
    client = client_as(erin)
    url = reverse("personas:rules", args=[shopper.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="rules-0-trait"' in page.content.decode()

    response = client.post(
        url, _post([("plan", "in", "free, team"), ("", "eq", ""), ("seats", "gt", "10")], priority="7")
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.trait_rules == [
        {"trait": "plan", "op": "in", "value": ["free", "team"]},
        {"trait": "seats", "op": "gt", "value": 10},
    ]
    assert shopper.priority == 7
    body = client.get(shopper.get_absolute_url()).content.decode()
    assert "<code>plan</code> is one of <code>free, team</code>" in body
    assert "0 customer profiles are this persona now." in body


def test_add_and_remove_row_redraw_the_form_without_saving(client_as, erin, shopper):
    client = client_as(erin)
    url = reverse("personas:rules", args=[shopper.pk])
    added = client.post(url, _post([("plan", "eq", "team")], add_row="1"), **HX)
    body = added.content.decode()
    assert added.status_code == 200
    assert body.lstrip().startswith("<form") and 'name="rules-1-trait"' in body
    assert 'value="team"' in body
    removed = client.post(url, _post([("plan", "eq", "team"), ("seats", "gt", "3")], remove_row="0"), **HX)
    body = removed.content.decode()
    assert 'value="seats"' in body and 'value="plan"' not in body and 'name="rules-1-trait"' not in body
    shopper.refresh_from_db()
    assert shopper.trait_rules == []


def test_a_bad_row_shows_its_error_next_to_the_field(client_as, erin, shopper):
    response = client_as(erin).post(reverse("personas:rules", args=[shopper.pk]), _post([("seats", "gt", "ten")]), **HX)
    assert response.status_code == 400
    assert "Give a number, e.g. 10." in response.content.decode()
    shopper.refresh_from_db()
    assert shopper.trait_rules == []


def test_a_stale_revision_is_refused_with_409_and_keeps_the_rows(client_as, erin, shopper):
    services.persona_update(persona=shopper, actor=erin, summary="Changed by someone else")
    response = client_as(erin).post(
        reverse("personas:rules", args=[shopper.pk]), _post([("plan", "eq", "team")], revision="1")
    )
    assert response.status_code == 409
    assert 'value="team"' in response.content.decode()
    shopper.refresh_from_db()
    assert shopper.trait_rules == []


def test_rules_page_access(client_as, victor, oscar, erin, shopper):
    url = reverse("personas:rules", args=[shopper.pk])
    assert client_as(victor).get(url).status_code == 403
    assert client_as(victor).post(url, _post([("plan", "eq", "team")])).status_code == 403
    assert client_as(oscar).get(url).status_code == 404
    assert client_as(erin).put(url).status_code == 405
    shopper.refresh_from_db()
    assert shopper.trait_rules == []


# --- the API ------------------------------------------------------------------------------------------


def test_api_sets_and_reads_rules(api_as, erin, shopper):
    client = api_as(erin)
    response = client.patch(
        f"/api/v1/personas/{shopper.pk}/",
        {"trait_rules": [{"trait": "plan", "op": "in", "value": ["team"]}, {"trait": "co", "op": "exists"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["trait_rules"] == [
        {"trait": "plan", "op": "in", "value": ["team"]},
        {"trait": "co", "op": "exists"},
    ]
    assert response.json()["priority"] == 100
    shopper.refresh_from_db()
    assert shopper.trait_rules[0] == {"trait": "plan", "op": "in", "value": ["team"]}


@pytest.mark.parametrize(
    "rules",
    [
        [{"trait": "plan", "op": "like", "value": "team"}],
        [{"trait": "seats", "op": "gt", "value": "ten"}],
        [{"op": "eq", "value": "team"}],
        "plan=team",
    ],
)
def test_api_refuses_bad_rules_with_400_naming_the_field(api_as, erin, shopper, rules):
    response = api_as(erin).patch(f"/api/v1/personas/{shopper.pk}/", {"trait_rules": rules}, format="json")
    assert response.status_code == 400
    assert "trait_rules" in str(response.json())
    shopper.refresh_from_db()
    assert shopper.trait_rules == []


def test_api_refuses_a_negative_priority(api_as, erin, shopper):
    response = api_as(erin).patch(f"/api/v1/personas/{shopper.pk}/", {"priority": -1}, format="json")
    assert response.status_code == 400
    assert "priority" in str(response.json())
