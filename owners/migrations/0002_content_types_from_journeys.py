"""Give the moved models' content types the owners label.

Permissions (and the groups and users holding them), admin log entries and anything else that
points at a content type follow its row, so the row is relabelled rather than created anew.
"""

from django.db import migrations

MODELS = [
    "ownership",
    "sla",
    "handoff",
    "handoffcase",
    "playbook",
    "historicalownership",
    "historicalsla",
    "historicalhandoff",
    "historicalhandoffcase",
    "historicalplaybook",
]


def _relabel(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A row under the target label can only be one that post_migrate made since (with no
        # permission granted to anyone yet): the old row, with its history, wins.
        ContentType.objects.using(db).filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, source="journeys", target="owners")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, source="owners", target="journeys")


class Migration(migrations.Migration):
    dependencies = [
        ("owners", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
