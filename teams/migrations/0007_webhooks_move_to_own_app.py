from django.db import migrations


class Migration(migrations.Migration):
    """The webhook models moved to the webhooks app; their tables and rows stay where they are."""

    dependencies = [
        ("teams", "0006_translatable_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="webhookendpoint", name="created_by"),
                migrations.RemoveField(model_name="webhookendpoint", name="team"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
            database_operations=[],
        ),
    ]
