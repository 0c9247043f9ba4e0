"""The search page, the header's search box and GET /api/v1/search/."""

import pytest
from django.urls import reverse

from journeys import services as journey_services
from search.models import SearchEntry

pytestmark = pytest.mark.django_db


def test_page_groups_hits_by_kind_and_marks_the_match(client_as, alice, shop_map, persona):
    response = client_as(alice).get(reverse("search:page"), {"q": "deliv"})
    assert response.status_code == 200
    body = response.content.decode()
    groups = [g["kind"] for g in response.context["groups"]]
    assert groups == ["touchpoint", "persona"]  # the index's kind order, not the rank's
    assert "Checkout delivery options" in body and "Switcher Sam" in body
    assert "Faster <mark>deliv</mark>ery" in body
    assert f'href="/maps/{shop_map.pk}/#tp-' in body
    assert 'name="q"' in body and 'role="search"' in body  # the header's box too


def test_page_escapes_what_people_wrote(client_as, alice, team_a):
    journey_services.map_create(team=team_a, actor=alice, title="<script>x</script> map", description="<b>bold</b> map")
    body = client_as(alice).get(reverse("search:page"), {"q": "map"}).content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;" in body
    assert "&lt;b&gt;bold&lt;/b&gt; <mark>map</mark>" in body


def test_page_of_one_kind_and_empty_states(client_as, alice, shop_map):
    client = client_as(alice)
    response = client.get(reverse("search:page"), {"q": "shop", "kind": "map"})
    assert [g["kind"] for g in response.context["groups"]] == ["map"]
    assert "Nothing found" in client.get(reverse("search:page"), {"q": "zzzz"}).content.decode()
    response = client.get(reverse("search:page"), {"q": "", "kind": "bogus"})
    assert response.status_code == 200 and response.context["kind"] == ""


def test_page_searches_only_the_current_team(client_as, oscar, shop_map):
    response = client_as(oscar).get(reverse("search:page"), {"q": "shop"})
    assert response.status_code == 200
    assert response.context["results"].count == 0
    assert "Online shop" not in response.content.decode()


def test_page_queries_do_not_grow_with_the_hits(client_as, alice, team_a, django_assert_max_num_queries):
    for i in range(15):
        journey_services.map_create(team=team_a, actor=alice, title=f"Delivery map {i}", description="delivery")
    client = client_as(alice)
    client.get(reverse("search:page"), {"q": "delivery"})  # indexes the new maps
    with django_assert_max_num_queries(14):
        response = client.get(reverse("search:page"), {"q": "delivery"})
    assert response.context["results"].count == 15


def test_api_searches_the_principals_teams(api_as, alice, oscar, team_a, team_b, shop_map):
    journey_services.map_create(team=team_b, actor=oscar, title="Shop of B")
    body = api_as(alice).get("/api/v1/search/", {"q": "shop"}).json()
    assert body["count"] == 1 and body["counts"] == {"map": 1}
    hit = body["results"][0]
    assert hit["kind"] == "map" and hit["object_id"] == shop_map.pk and hit["team"] == team_a.pk
    assert hit["map"] == {"id": shop_map.pk, "title": "Online shop"}
    assert hit["url"] == f"/maps/{shop_map.pk}/" and hit["rank"] > 0
    assert hit["id"] == SearchEntry.objects.get(kind="map", object_id=shop_map.pk).pk
    # Another team's id narrows to nothing; it never widens.
    assert api_as(oscar).get("/api/v1/search/", {"q": "shop", "team": team_a.pk}).json()["count"] == 0
    assert [r["team"] for r in api_as(oscar).get("/api/v1/search/", {"q": "shop"}).json()["results"]] == [team_b.pk]


def test_api_key_searches_its_team(key_client, shop_map):
    body = key_client(scope="read").get("/api/v1/search/", {"q": "退貨"}).json()
    assert [(r["kind"], r["title"]) for r in body["results"]] == [("pain_point", "Returns policy unclear")]


def test_api_pages_and_kinds(api_as, alice, team_a):
    for i in range(5):
        journey_services.map_create(team=team_a, actor=alice, title=f"Renewal {i}")
    client = api_as(alice)
    first = client.get("/api/v1/search/", {"q": "renewal", "page_size": 2}).json()
    second = client.get("/api/v1/search/", {"q": "renewal", "page_size": 2, "page": 3}).json()
    assert first["count"] == 5 and first["pages"] == 3 and len(first["results"]) == 2
    assert len(second["results"]) == 1
    stages = client.get("/api/v1/search/", {"q": "renewal", "kind": "stage"}).json()
    assert stages["count"] == 0 and stages["counts"] == {"map": 5}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"kind": "nope"}, "kind"),
        ({"page": "0"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"team": "x"}, "team"),
        ({"q": "x" * 201}, "q"),
        ({"ordering": "title"}, "ordering"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(api_as, alice, params, field):
    response = api_as(alice).get("/api/v1/search/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_api_without_a_query_finds_nothing(api_as, alice, shop_map):
    body = api_as(alice).get("/api/v1/search/").json()
    assert body["count"] == 0 and body["results"] == []
