"""Owners pages: the panel, its edit rows and filter, hand-offs, playbooks, breaches, My ownership,
and what owners add to the map page (annotator) and map health."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.extensions import annotate_map, extra_health_issues
from owners import selectors, services
from owners.models import SLA, Handoff, HandoffCase, Ownership, Playbook
from teams.models import Membership

from .owners_world import shop_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(team_a, alice, erin):
    shop = shop_map(team_a, n_touchpoints=6)
    for tp in shop.touchpoints[:4]:
        services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
        services.sla_set(actor=alice, touchpoint=tp, response_target=timedelta(hours=48))
    return shop


def test_panel_lists_owners_and_slas_in_a_fixed_number_of_queries(
    client_as, shop, team_a, alice, erin, django_assert_max_num_queries
):
    client = client_as(alice)
    url = reverse("owners:owners_panel", args=[shop.journey_map.pk])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("48 h<") == 4
    assert html.count("No owner") == 2
    bigger = shop_map(team_a, n_touchpoints=30, title="Bigger")
    for tp in bigger.touchpoints:
        services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("owners:owners_panel", args=[bigger.journey_map.pk])).status_code == 200


def test_unowned_filter_shows_only_touchpoints_without_an_accountable_owner(client_as, shop, victor):
    response = client_as(victor).get(
        reverse("owners:owners_panel", args=[shop.journey_map.pk]),
        {"unowned": "on"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="owner-rows",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Touchpoint 4" in html and "Touchpoint 5" in html and "Touchpoint 0" not in html
    assert "<html" not in html  # the fragment only


def test_editor_sets_owner_and_sla_from_the_edit_row(client_as, shop, erin, victor):
    tp = shop.touchpoints[5]
    url = reverse("owners:owners_touchpoint", args=[shop.journey_map.pk, tp.pk])
    client = client_as(erin)
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    response = client.post(
        url,
        {"accountable": victor.pk, "response_target": "24", "business_hours": "on", "escalation_delay": "4"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "24 h · work hrs" in response.content.decode()
    assert Ownership.objects.get(touchpoint=tp, role="accountable").user == victor
    sla = SLA.objects.get(touchpoint=tp)
    assert (sla.response_target, sla.business_hours, sla.escalation_delay) == (
        timedelta(hours=24),
        True,
        timedelta(hours=4),
    )


def test_bad_sla_shows_an_error_next_to_the_field_and_saves_nothing(client_as, shop, erin, victor):
    tp = shop.touchpoints[5]
    url = reverse("owners:owners_touchpoint", args=[shop.journey_map.pk, tp.pk])
    response = client_as(erin).post(
        url, {"accountable": victor.pk, "response_target": "-3", "escalation_delay": "4"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert 'id="id_response_target-error"' in response.content.decode()
    assert not Ownership.objects.filter(touchpoint=tp).exists()


def test_viewer_cannot_edit_owners(client_as, shop, victor):
    url = reverse("owners:owners_touchpoint", args=[shop.journey_map.pk, shop.touchpoints[5].pk])
    assert client_as(victor).post(url, {"accountable": victor.pk}).status_code == 403
    assert not Ownership.objects.filter(touchpoint=shop.touchpoints[5]).exists()


def test_add_and_remove_a_responsible_person(client_as, shop, erin, victor):
    tp = shop.touchpoints[0]
    client = client_as(erin)
    added = client.post(
        reverse("owners:owners_add_person", args=[shop.journey_map.pk, tp.pk]),
        {"user": victor.pk, "role": "responsible"},
        HTTP_HX_REQUEST="true",
    )
    assert added.status_code == 200
    ownership = Ownership.objects.get(touchpoint=tp, role="responsible")
    removed = client.post(
        reverse("owners:ownership_delete", args=[shop.journey_map.pk, ownership.pk]), HTTP_HX_REQUEST="true"
    )
    assert removed.status_code == 200
    assert not Ownership.objects.filter(pk=ownership.pk).exists()


def test_adding_an_outsider_is_a_400_next_to_the_field_on_htmx_and_full_page_loads(client_as, shop, erin, oscar):
    tp = shop.touchpoints[0]
    url = reverse("owners:owners_add_person", args=[shop.journey_map.pk, tp.pk])
    client = client_as(erin)
    htmx = client.post(url, {"user": oscar.pk, "role": "responsible"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400
    html = htmx.content.decode()
    assert 'id="id_user-error"' in html and "<html" not in html
    page = client.post(url, {"user": oscar.pk, "role": "responsible"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="id_user-error"' in html and "<html" in html
    assert not Ownership.objects.filter(touchpoint=tp, role="responsible").exists()


def test_adding_a_person_on_a_full_page_load_goes_back_to_the_panel(client_as, shop, erin, victor):
    tp = shop.touchpoints[0]
    response = client_as(erin).post(
        reverse("owners:owners_add_person", args=[shop.journey_map.pk, tp.pk]), {"user": victor.pk, "role": "consulted"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("owners:owners_panel", args=[shop.journey_map.pk])
    assert Ownership.objects.get(touchpoint=tp, role="consulted").user == victor


def test_viewer_cannot_add_a_person(client_as, shop, victor):
    url = reverse("owners:owners_add_person", args=[shop.journey_map.pk, shop.touchpoints[0].pk])
    assert client_as(victor).post(url, {"user": victor.pk, "role": "responsible"}).status_code == 403
    assert not Ownership.objects.filter(touchpoint=shop.touchpoints[0], role="responsible").exists()


def test_handoff_pages_create_open_and_complete_a_case(client_as, shop, erin, victor):
    client = client_as(erin)
    url = reverse("owners:owners_handoffs", args=[shop.journey_map.pk])
    assert client.get(url).status_code == 200
    created = client.post(
        url,
        {
            "from_touchpoint": shop.touchpoints[0].pk,
            "to_touchpoint": shop.touchpoints[1].pk,
            "to_owner": victor.pk,
            "response_target": "8",
            "escalation_delay": "2",
        },
    )
    assert created.status_code == 302
    handoff = Handoff.objects.get()
    assert handoff.response_target == timedelta(hours=8)
    detail = reverse("owners:handoff_detail", args=[shop.journey_map.pk, handoff.pk])
    assert client.post(detail, {"reference": "ORDER-77"}).status_code == 302
    case = HandoffCase.objects.get()
    assert case.reference == "ORDER-77" and case.due_at == case.started_at + timedelta(hours=8)
    done = client.post(reverse("owners:handoff_case_complete", args=[shop.journey_map.pk, case.pk]))
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.completed_at is not None and case.completed_by == erin
    same = client.post(url, {"from_touchpoint": shop.touchpoints[0].pk, "to_touchpoint": shop.touchpoints[0].pk,
                             "response_target": "8", "escalation_delay": "2"})  # fmt: skip
    assert same.status_code == 400
    assert Handoff.objects.count() == 1
    too_long = client.post(detail, {"reference": "x" * 201})
    assert too_long.status_code == 400 and 'id="id_reference-error"' in too_long.content.decode()
    assert HandoffCase.objects.count() == 1


def test_breaches_page_lists_breached_cases(client_as, shop, alice, erin):
    handoff = services.handoff_create(
        actor=alice, from_touchpoint=shop.touchpoints[0], to_touchpoint=shop.touchpoints[1], to_owner=erin
    )
    services.handoff_case_open(
        actor=alice, handoff=handoff, reference="LATE-1", started_at=timezone.now() - timedelta(days=3)
    )
    services.handoff_cases_sweep()
    html = client_as(erin).get(reverse("owners:owners_breaches", args=[shop.journey_map.pk])).content.decode()
    assert "LATE-1" in html and "Still open" in html


def test_playbook_create_edit_and_safe_markdown(client_as, shop, erin):
    client = client_as(erin)
    response = client.post(
        reverse("owners:playbook_create", args=[shop.journey_map.pk]),
        {
            "name": "Failed trial at step 2",
            "trigger": "Stuck at step 2",
            "steps": "- Call **today**\n<img src=x onerror=alert(1)>",
            "owner": erin.pk,
            "stage": shop.decision.pk,
        },
    )
    assert response.status_code == 302
    playbook = Playbook.objects.get()
    html = client.get(reverse("owners:playbook_detail", args=[shop.journey_map.pk, playbook.pk])).content.decode()
    assert "<strong>today</strong>" in html and "onerror" not in html
    edit = reverse("owners:playbook_edit", args=[shop.journey_map.pk, playbook.pk])
    both = client.post(edit, {"name": "x", "stage": shop.decision.pk, "touchpoint": shop.touchpoints[0].pk})
    assert both.status_code == 400 and "not both" in both.content.decode()
    nameless = client.post(reverse("owners:playbook_create", args=[shop.journey_map.pk]), {"name": ""})
    assert nameless.status_code == 400 and 'id="id_name-error"' in nameless.content.decode()
    assert Playbook.objects.count() == 1
    assert client.post(edit, {"name": "Failed trial (step 2)"}).status_code == 302
    playbook.refresh_from_db()
    assert playbook.name == "Failed trial (step 2)"
    assert client.get(reverse("owners:playbook_list", args=[shop.journey_map.pk])).status_code == 200


def test_my_ownership_lists_what_i_own_across_teams(
    client_as, shop, team_b, erin, alice, django_assert_max_num_queries
):
    Membership.objects.create(team=team_b, user=erin, role="editor")
    other = shop_map(team_b, title="Travel: trust")
    services.ownership_assign(actor=erin, touchpoint=other.touchpoints[0], user=erin)
    client = client_as(erin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("owners:my_ownership"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Online shop: first order" in html and "Travel: trust" in html
    assert client_as(alice).get(reverse("owners:my_ownership")).content.decode().count("You own nothing yet") == 1


def test_annotator_sets_owner_sla_departed_and_handoffs_in_fixed_queries(
    shop, alice, erin, victor, django_assert_num_queries
):
    services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[1], user=victor, role="consulted")
    services.handoff_create(actor=alice, from_touchpoint=shop.touchpoints[0], to_touchpoint=shop.touchpoints[1])
    Membership.objects.filter(user=victor).delete()
    stages = [shop.decision, shop.purchase]
    touchpoints = list(shop.touchpoints)
    with django_assert_num_queries(4):
        selectors.annotate_map(shop.journey_map, stages, touchpoints)
    first, second, last = touchpoints[0], touchpoints[1], touchpoints[5]
    owner = (first.accountable.name, first.accountable.initials)
    assert owner == (selectors.display_name(erin), selectors.initials(erin))
    assert (first.sla_label, first.sla_in_hours, first.owner_departed) == ("48 h", False, False)
    assert second.owner_departed is True
    assert [(h.to_touchpoint_name, h.target_label) for h in first.handoffs] == [(second.name, "24 h")]
    assert last.accountable is None and last.sla_label == ""
    annotate_map(shop.journey_map, stages, touchpoints)  # through the registry, with the others' annotators


def test_health_reports_unowned_moments_without_sla_and_departed_owners(
    shop, team_a, alice, erin, django_assert_max_num_queries
):
    moment = shop.touchpoints[5]
    moment.is_moment = True
    moment.save(update_fields=["is_moment"])
    healthy = shop_map(team_a, n_touchpoints=1, title="Healthy")
    services.ownership_assign(actor=alice, touchpoint=healthy.touchpoints[0], user=alice)
    Membership.objects.filter(user=erin).delete()
    with django_assert_max_num_queries(2):
        found = selectors.owner_health([shop.journey_map, healthy.journey_map])
    codes = {i.code: i.count for i in found[shop.journey_map.pk]}
    assert codes == {"unowned_touchpoints": 2, "moments_without_sla": 1, "departed_owners": 4}
    assert healthy.journey_map.pk not in found
    assert {i.code for i in extra_health_issues([shop.journey_map])[shop.journey_map.pk]} >= set(codes)
