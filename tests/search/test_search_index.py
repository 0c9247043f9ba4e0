"""Search finds a team's maps, parts, personas, answers and experiments, and only that team's."""

import pytest
from django.db.models import Count

from journeys import services as journey_services
from personas import services as persona_services
from search import indexing
from search.models import SearchEntry
from search.selectors import search

pytestmark = pytest.mark.django_db


def kind_counts(team):
    return dict(SearchEntry.objects.filter(team=team).values_list("kind").annotate(n=Count("id")).order_by())


def kinds_titles(results):
    return [(hit.entry.kind, hit.entry.title) for hit in results.hits]


def test_finds_a_map_by_its_title_and_a_part_by_its_text(shop_map, alice):
    results = search(user=alice, q="online shop")
    assert ("map", "Online shop") in kinds_titles(results)
    results = search(user=alice, q="checkout deliv")  # the last word as a prefix
    assert kinds_titles(results) == [("touchpoint", "Checkout delivery options")]
    assert results.hits[0].entry.url == f"/maps/{shop_map.pk}/#tp-{results.hits[0].entry.object_id}"
    assert results.hits[0].entry.journey_map_id == shop_map.pk


def test_latvian_and_bulgarian_match_without_diacritics_or_case(shop_map, alice):
    results = search(user=alice, q="piegades")
    assert kinds_titles(results) == [("touchpoint", "Checkout delivery options")]
    assert results.hits[0].snippet == "<mark>Piegādes</mark> laiks"
    assert kinds_titles(search(user=alice, q="ПІЕГĀДЕС".lower())) == []  # a different word finds nothing
    results = search(user=alice, q="ДОСТАВКАТА")
    assert kinds_titles(results) == [("pain_point", "Доставката е бавна")]
    assert kinds_titles(search(user=alice, q="клиентите")) == [("pain_point", "Доставката е бавна")]


def test_chinese_substrings_are_found_without_spaces(shop_map, alice):
    for q in ("退貨政策不清楚", "政策", "清楚", "策", "貨政策"):
        assert kinds_titles(search(user=alice, q=q)) == [("pain_point", "Returns policy unclear")], q
    assert search(user=alice, q="政策清楚").hits == []  # not adjacent in the text
    assert search(user=alice, q="退款").hits == []
    assert search(user=alice, q="政策").hits[0].snippet == "退貨<mark>政策</mark>不清楚"


def test_another_teams_content_never_appears(shop_map, alice, oscar, team_a, team_b):
    journey_services.map_create(team=team_b, actor=oscar, title="Online shop of team B")
    assert [h.entry.team_id for h in search(user=oscar, q="online shop").hits] == [team_b.pk]
    assert {h.entry.team_id for h in search(user=alice, q="online shop").hits} == {team_a.pk}
    # Asking for the other team by id gives nothing, not its rows.
    assert search(user=oscar, q="online", team=team_a).hits == []
    assert search(user=oscar, q="退貨").hits == []


def test_title_ranks_above_text(team_a, alice):
    journey_services.map_create(team=team_a, actor=alice, title="Loan application", description="Bank onboarding")
    journey_services.map_create(team=team_a, actor=alice, title="Bank onboarding", description="Savings")
    results = search(user=alice, q="bank onboarding")
    assert [h.entry.title for h in results.hits] == ["Bank onboarding", "Loan application"]
    assert results.hits[0].rank > results.hits[1].rank > 0


def test_map_edits_are_indexed_on_the_next_search(shop_map, alice):
    assert search(user=alice, q="online").count == 1
    journey_services.map_update(journey_map=shop_map, actor=alice, revision=None, title="Web store")
    assert search(user=alice, q="online").count == 0
    assert kinds_titles(search(user=alice, q="web store")) == [("map", "Web store")]
    stage = shop_map.stages.get(position=2)
    journey_services.stage_delete(stage=stage, actor=alice, revision=None)
    assert search(user=alice, q="checkout").hits == []
    assert not SearchEntry.objects.filter(kind="touchpoint").exists()
    shop_map.refresh_from_db()
    journey_services.map_delete(journey_map=shop_map, actor=alice)
    assert not SearchEntry.objects.filter(journey_map_id=shop_map.pk).exists()


def test_personas_and_scenarios_are_indexed_as_saved(persona, alice):
    assert kinds_titles(search(user=alice, q="switcher")) == [("persona", "Switcher Sam")]
    persona_services.scenario_create(persona=persona, actor=alice, name="Buying for a team", goal="Seats for 12")
    assert kinds_titles(search(user=alice, q="seats")) == [("scenario", "Buying for a team")]
    persona_services.persona_update(persona=persona, actor=alice, name="Switching Sue")
    assert kinds_titles(search(user=alice, q="switcher")) == []
    assert search(user=alice, q="switching sue").hits[0].entry.title == "Switching Sue"


def test_answer_comments_are_indexed_and_go_with_the_answer(survey, submit, alice, team_a):
    submit(survey, {"score": 3, "comment": "Delivery took two weeks"}, finished=True)
    submit(survey, {"score": 9})  # no text: no entry
    results = search(user=alice, q="two weeks")
    assert kinds_titles(results) == [("response", "Checkout NPS")]
    assert SearchEntry.objects.filter(kind="response").count() == 1
    # The survey's name heads the hit but is not what an answer says.
    assert "response" not in search(user=alice, q="checkout nps").counts
    # A later part of an answer is indexed too.
    partial = submit(survey, {"score": 5}, submission_id="later-comment")
    assert search(user=alice, q="courier").hits == []
    submit(survey, {"comment": "The courier never called"}, submission_id="later-comment", finished=True)
    assert [h.entry.object_id for h in search(user=alice, q="courier").hits] == [partial.pk]
    # Erasure deletes the entry with the answer.
    results.hits[0].entry.response.delete()
    assert search(user=alice, q="two weeks").hits == []
    assert SearchEntry.objects.filter(kind="response").count() == 1


def test_reindex_rebuilds_a_team(shop_map, persona, survey, submit, alice, team_a):
    submit(survey, {"score": 3, "comment": "Slow"}, finished=True)
    search(user=alice, q="slow")
    counts = dict(
        SearchEntry.objects.filter(team=team_a)
        .values_list("kind")
        .annotate(n=__import__("django").db.models.Count("id"))
    )
    SearchEntry.objects.all().delete()
    assert indexing.team_reindex(team_a.pk) == sum(counts.values())
    assert (
        dict(
            SearchEntry.objects.filter(team=team_a)
            .values_list("kind")
            .annotate(n=__import__("django").db.models.Count("id"))
        )
        == counts
    )


def test_a_query_of_only_punctuation_finds_nothing(shop_map, alice):
    for q in ("", "   ", "'\"*:&|!()<->", "AND OR NOT", "-", "%_"):
        assert search(user=alice, q=q).hits == [] or q == "AND OR NOT"


def test_search_reindex_command_rebuilds_the_named_team(shop_map, team_a, team_b, oscar):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    journey_services.map_create(team=team_b, actor=oscar, title="B map")
    out = StringIO()
    call_command("search_reindex", team=[team_a.slug], stdout=out)
    assert out.getvalue() == f"{team_a.slug}: 10 entries\n"  # the map, 6 stages, 1 touchpoint, 2 pain points
    assert not SearchEntry.objects.filter(team=team_b).exists()
    with pytest.raises(CommandError):
        call_command("search_reindex", team=["nobody"])
