"""Publishing, comparing and restoring versions; revisions refuse stale writes."""

import pytest
from django.core.exceptions import ValidationError

from journeys import services
from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from journeys.snapshot import FORMAT_VERSION, diff_documents, map_document, validate_document

pytestmark = pytest.mark.usefixtures("isolated_registry")


def test_new_map_gets_the_six_default_stages(team_a, erin):
    journey_map = services.map_create(team=team_a, actor=erin, title="Loan application")
    names = list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("name", flat=True))
    assert names == ["Awareness", "Consideration", "Decision", "Purchase", "Retention", "Advocacy"]
    assert journey_map.revision == 1


def test_publish_freezes_snapshot_and_emits_event(make_map, erin, domain_events):
    journey_map = make_map(stages=2, per_stage=2)
    seen = domain_events
    version = services.map_publish(journey_map=journey_map, actor=erin, note="First cut")
    assert version.number == 1
    assert version.snapshot["format_version"] == FORMAT_VERSION
    assert [len(s["touchpoints"]) for s in version.snapshot["stages"]] == [2, 2]
    assert version.source_revision == JourneyMap.objects.get(pk=journey_map.pk).revision
    assert JourneyMap.objects.get(pk=journey_map.pk).status == JourneyMap.Status.ACTIVE
    assert any(e == "map.published" and d["version"]["number"] == 1 for _, e, d in seen)
    # Later edits do not touch the frozen snapshot.
    tp = Touchpoint.objects.filter(stage__journey_map=journey_map).first()
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name="Renamed")
    assert MapVersion.objects.get(pk=version.pk).snapshot == version.snapshot
    assert services.map_publish(journey_map=journey_map, actor=erin).number == 2


def test_diff_reports_added_removed_moved_and_changed_fields(make_map, erin):
    journey_map = make_map(stages=3, per_stage=2, pains=1)
    v1 = services.map_publish(journey_map=journey_map, actor=erin)
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    first, second = list(Touchpoint.objects.filter(stage=stages[0]).order_by("position"))
    services.touchpoint_update(touchpoint=first, actor=erin, revision=None, channel="email", emotion_label="frustrated")
    services.touchpoint_move(touchpoint=second, actor=erin, revision=None, stage=stages[2], position=0)
    doomed = Touchpoint.objects.filter(stage=stages[1]).first()
    services.touchpoint_delete(touchpoint=doomed, actor=erin, revision=None)
    services.touchpoint_create(stage=stages[1], actor=erin, revision=None, name="Customer stories")
    v2 = services.map_publish(journey_map=journey_map, actor=erin)

    diff = diff_documents(v1.snapshot, v2.snapshot)
    by_label = {e["label"]: e for e in diff["touchpoints"]}
    changed = by_label[first.name]
    assert changed["status"] == "changed" and not changed["moved"]
    assert {c["field"]: (c["from"], c["to"]) for c in changed["changes"]} == {
        "channel": ("page", "email"),
        "emotion": (1, -2),
        "emotion_label": ("curious", "frustrated"),
    }
    assert by_label[second.name]["moved"] is True
    assert by_label[second.name]["to"]["stage_name"] == stages[2].name
    assert by_label[doomed.name]["status"] == "removed"
    assert by_label["Customer stories"]["status"] == "added"
    assert diff["summary"]["added"] == 1
    assert diff["summary"]["moved"] == 1
    # The removed touchpoint's pain point is reported too.
    assert [e["status"] for e in diff["pain_points"]] == ["removed"]
    # The other touchpoints kept their order and are not reported.
    assert len(diff["touchpoints"]) == 4


def test_diff_of_identical_documents_is_empty(make_map):
    document = map_document(make_map())
    assert diff_documents(document, document)["summary"]["total"] == 0


def test_restore_brings_back_the_version_keeping_keys_and_rows(make_map, erin):
    journey_map = make_map(stages=2, per_stage=2)
    v1 = services.map_publish(journey_map=journey_map, actor=erin)
    kept = Touchpoint.objects.filter(stage__journey_map=journey_map).order_by("id").first()
    services.touchpoint_update(touchpoint=kept, actor=erin, revision=None, name="Changed")
    services.stage_delete(stage=Stage.objects.filter(journey_map=journey_map).last(), actor=erin, revision=None)
    services.stage_create(journey_map=journey_map, actor=erin, revision=None, name="Loyalty")

    services.map_restore(journey_map=journey_map, actor=erin, number=1)

    assert diff_documents(v1.snapshot, map_document(journey_map))["summary"]["total"] == 0
    kept.refresh_from_db()
    assert kept.name == v1.snapshot["stages"][0]["touchpoints"][0]["name"]  # same row, updated in place
    keys = {str(k) for k in Stage.objects.filter(journey_map=journey_map).values_list("key", flat=True)}
    assert keys == {s["key"] for s in v1.snapshot["stages"]}
    assert PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map).count() == 4


def test_stale_revision_is_refused_and_nothing_is_written(make_map, erin, alice):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    seen_revision = journey_map.revision
    services.touchpoint_update(touchpoint=tp, actor=alice, revision=seen_revision, name="Alice's name")
    with pytest.raises(services.MapConflict) as caught:
        services.touchpoint_update(touchpoint=tp, actor=erin, revision=seen_revision, name="Erin's name")
    assert caught.value.current_revision == seen_revision + 1
    tp.refresh_from_db()
    assert tp.name == "Alice's name"
    assert JourneyMap.objects.get(pk=journey_map.pk).revision == seen_revision + 1


def test_every_write_raises_the_revision(make_map, erin):
    journey_map = make_map(stages=2, per_stage=1, pains=1)
    start = JourneyMap.objects.get(pk=journey_map.pk).revision
    stage = Stage.objects.filter(journey_map=journey_map).first()
    tp = Touchpoint.objects.filter(stage=stage).first()
    pp = PainPoint.objects.filter(touchpoint=tp).first()
    services.stage_update(stage=stage, actor=erin, revision=None, name="Renamed")
    services.stage_move(stage=stage, actor=erin, revision=None, position=1)
    services.touchpoint_move(touchpoint=tp, actor=erin, revision=None, position=0)
    services.pain_point_update(pain_point=pp, actor=erin, revision=None, status="fixed")
    assert JourneyMap.objects.get(pk=journey_map.pk).revision == start + 4
    pp.refresh_from_db()
    assert pp.fixed_at is not None


def test_invalid_touchpoint_input_names_the_field(make_map, erin):
    stage = Stage.objects.filter(journey_map=make_map(stages=1, per_stage=0)).get()
    with pytest.raises(ValidationError) as caught:
        services.touchpoint_create(stage=stage, actor=erin, revision=None, name="x", channel="carrier-pigeon")
    assert "channel" in caught.value.message_dict
    assert Touchpoint.objects.filter(stage=stage).count() == 0


def test_import_recreates_an_exported_map_in_another_team(make_map, erin, team_b, oscar):
    source = make_map(stages=2, per_stage=2)
    document = services.map_export(journey_map=source)
    copy = services.map_import(team=team_b, actor=oscar, document=document)
    assert copy.team == team_b
    assert diff_documents(map_document(source), map_document(copy))["summary"]["total"] == 0


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d["stages"][0]["touchpoints"][0].update(channel="fax"), "stages[0].touchpoints[0].channel"),
        (lambda d: d["stages"][1].update(key="not-a-uuid"), "stages[1].key"),
        (lambda d: d["stages"][0]["touchpoints"][0]["pain_points"][0].update(severity=9), "severity"),
        (lambda d: d["map"].update(title=""), "map.title"),
    ],
)
def test_invalid_import_names_the_problem_and_creates_nothing(make_map, erin, team_a, mutate, message):
    document = services.map_export(journey_map=make_map(stages=2, per_stage=1))
    mutate(document)
    before = (JourneyMap.objects.count(), Stage.objects.count(), Touchpoint.objects.count())
    with pytest.raises(ValidationError) as caught:
        services.map_import(team=team_a, actor=erin, document=document)
    assert message in caught.value.message_dict["document"][0]
    assert (JourneyMap.objects.count(), Stage.objects.count(), Touchpoint.objects.count()) == before


def test_validate_document_rejects_duplicate_keys(make_map):
    document = map_document(make_map(stages=2, per_stage=0))
    document["stages"][1]["key"] = document["stages"][0]["key"]
    with pytest.raises(ValidationError, match="used twice"):
        validate_document(document)
