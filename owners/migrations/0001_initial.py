"""The models that came from journeys, on the tables journeys made (nothing is created).

journeys/migrations/0007 dropped them from journeys' state only; this adds them to owners' state
only, with ``db_table`` naming the existing tables.
"""

import datetime
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('journeys', '0007_owners_moved_to_owners_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Handoff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('response_target', models.DurationField(default=datetime.timedelta(days=1), help_text='How long the receiving owner has to pick a case up.', verbose_name='response target')),
                        ('business_hours', models.BooleanField(default=False, help_text="Count only the team's working hours.", verbose_name='business hours')),
                        ('escalation_delay', models.DurationField(default=datetime.timedelta(days=1), help_text='After a breach, how long until the team admins are told.', verbose_name='escalation delay')),
                        ('notes', models.TextField(blank=True, max_length=2000, verbose_name='notes')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('from_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='from owner')),
                        ('from_touchpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='handoffs_out', to='journeys.touchpoint', verbose_name='from touchpoint')),
                        ('journey_map', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='handoffs', to='journeys.journeymap', verbose_name='journey map')),
                        ('to_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='to owner')),
                        ('to_touchpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='handoffs_in', to='journeys.touchpoint', verbose_name='to touchpoint')),
                    ],
                    options={
                        'verbose_name': 'hand-off',
                        'verbose_name_plural': 'hand-offs',
                        'db_table': 'journeys_handoff',
                        'ordering': ['journey_map', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='HandoffCase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(blank=True, help_text='The case, ticket or order it concerns.', max_length=200, verbose_name='reference')),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started at')),
                        ('due_at', models.DateTimeField(verbose_name='due at')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('breached_at', models.DateTimeField(blank=True, null=True, verbose_name='breached at')),
                        ('escalated_at', models.DateTimeField(blank=True, null=True, verbose_name='escalated at')),
                        ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='completed by')),
                        ('handoff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cases', to='owners.handoff', verbose_name='handoff')),
                        ('opened_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='opened by')),
                    ],
                    options={
                        'verbose_name': 'hand-off case',
                        'verbose_name_plural': 'hand-off cases',
                        'db_table': 'journeys_handoffcase',
                        'ordering': ['due_at'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalHandoff',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('response_target', models.DurationField(default=datetime.timedelta(days=1), help_text='How long the receiving owner has to pick a case up.', verbose_name='response target')),
                        ('business_hours', models.BooleanField(default=False, help_text="Count only the team's working hours.", verbose_name='business hours')),
                        ('escalation_delay', models.DurationField(default=datetime.timedelta(days=1), help_text='After a breach, how long until the team admins are told.', verbose_name='escalation delay')),
                        ('notes', models.TextField(blank=True, max_length=2000, verbose_name='notes')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('from_owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='from owner')),
                        ('from_touchpoint', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.touchpoint', verbose_name='from touchpoint')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('journey_map', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.journeymap', verbose_name='journey map')),
                        ('to_owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='to owner')),
                        ('to_touchpoint', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.touchpoint', verbose_name='to touchpoint')),
                    ],
                    options={
                        'verbose_name': 'historical hand-off',
                        'verbose_name_plural': 'historical hand-offs',
                        'db_table': 'journeys_historicalhandoff',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalHandoffCase',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('reference', models.CharField(blank=True, help_text='The case, ticket or order it concerns.', max_length=200, verbose_name='reference')),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started at')),
                        ('due_at', models.DateTimeField(verbose_name='due at')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('breached_at', models.DateTimeField(blank=True, null=True, verbose_name='breached at')),
                        ('escalated_at', models.DateTimeField(blank=True, null=True, verbose_name='escalated at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='completed by')),
                        ('handoff', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='owners.handoff', verbose_name='handoff')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('opened_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='opened by')),
                    ],
                    options={
                        'verbose_name': 'historical hand-off case',
                        'verbose_name_plural': 'historical hand-off cases',
                        'db_table': 'journeys_historicalhandoffcase',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalOwnership',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('role', models.CharField(choices=[('accountable', 'Accountable'), ('responsible', 'Responsible'), ('consulted', 'Consulted')], default='accountable', max_length=12, verbose_name='role')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('journey_map', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.journeymap', verbose_name='journey map')),
                        ('stage', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.stage', verbose_name='stage')),
                        ('touchpoint', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.touchpoint', verbose_name='touchpoint')),
                        ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'historical ownership',
                        'verbose_name_plural': 'historical ownerships',
                        'db_table': 'journeys_historicalownership',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPlaybook',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('trigger', models.TextField(blank=True, verbose_name='trigger')),
                        ('steps', models.TextField(blank=True, help_text='Markdown.', verbose_name='steps')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('journey_map', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.journeymap', verbose_name='journey map')),
                        ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                        ('stage', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.stage', verbose_name='stage')),
                        ('touchpoint', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.touchpoint', verbose_name='touchpoint')),
                    ],
                    options={
                        'verbose_name': 'historical playbook',
                        'verbose_name_plural': 'historical playbooks',
                        'db_table': 'journeys_historicalplaybook',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalSLA',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('response_target', models.DurationField(default=datetime.timedelta(days=2), verbose_name='response target')),
                        ('business_hours', models.BooleanField(default=False, help_text="Count only the team's working hours.", verbose_name='business hours')),
                        ('escalation_delay', models.DurationField(default=datetime.timedelta(days=1), help_text='After a breach, how long until the team admins are told.', verbose_name='escalation delay')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('touchpoint', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='journeys.touchpoint', verbose_name='touchpoint')),
                    ],
                    options={
                        'verbose_name': 'historical SLA',
                        'verbose_name_plural': 'historical SLAs',
                        'db_table': 'journeys_historicalsla',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Ownership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('accountable', 'Accountable'), ('responsible', 'Responsible'), ('consulted', 'Consulted')], default='accountable', max_length=12, verbose_name='role')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('journey_map', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ownerships', to='journeys.journeymap', verbose_name='journey map')),
                        ('stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='ownerships', to='journeys.stage', verbose_name='stage')),
                        ('touchpoint', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='ownerships', to='journeys.touchpoint', verbose_name='touchpoint')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ownerships', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'ownership',
                        'verbose_name_plural': 'ownerships',
                        'db_table': 'journeys_ownership',
                        'ordering': ['journey_map', 'role', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Playbook',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('trigger', models.TextField(blank=True, verbose_name='trigger')),
                        ('steps', models.TextField(blank=True, help_text='Markdown.', verbose_name='steps')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
                        ('journey_map', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='playbooks', to='journeys.journeymap', verbose_name='journey map')),
                        ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='playbooks', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                        ('stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='playbooks', to='journeys.stage', verbose_name='stage')),
                        ('touchpoint', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='playbooks', to='journeys.touchpoint', verbose_name='touchpoint')),
                    ],
                    options={
                        'verbose_name': 'playbook',
                        'verbose_name_plural': 'playbooks',
                        'db_table': 'journeys_playbook',
                        'ordering': ['journey_map', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='SLA',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('response_target', models.DurationField(default=datetime.timedelta(days=2), verbose_name='response target')),
                        ('business_hours', models.BooleanField(default=False, help_text="Count only the team's working hours.", verbose_name='business hours')),
                        ('escalation_delay', models.DurationField(default=datetime.timedelta(days=1), help_text='After a breach, how long until the team admins are told.', verbose_name='escalation delay')),
                        ('touchpoint', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='sla', to='journeys.touchpoint', verbose_name='touchpoint')),
                    ],
                    options={
                        'verbose_name': 'SLA',
                        'verbose_name_plural': 'SLAs',
                        'db_table': 'journeys_sla',
                    },
                ),
                migrations.AddConstraint(
                    model_name='handoff',
                    constraint=models.UniqueConstraint(fields=('from_touchpoint', 'to_touchpoint'), name='handoff_unique_pair'),
                ),
                migrations.AddConstraint(
                    model_name='handoff',
                    constraint=models.CheckConstraint(condition=models.Q(('from_touchpoint', models.F('to_touchpoint')), _negated=True), name='handoff_distinct'),
                ),
                migrations.AddConstraint(
                    model_name='handoff',
                    constraint=models.CheckConstraint(condition=models.Q(('response_target__gt', datetime.timedelta(0))), name='handoff_target_positive'),
                ),
                migrations.AddConstraint(
                    model_name='handoff',
                    constraint=models.CheckConstraint(condition=models.Q(('escalation_delay__gte', datetime.timedelta(0))), name='handoff_escalation_not_negative'),
                ),
                migrations.AddIndex(
                    model_name='handoffcase',
                    index=models.Index(condition=models.Q(('completed_at__isnull', True)), fields=['due_at'], name='handoffcase_open_due_idx'),
                ),
                migrations.AddIndex(
                    model_name='handoffcase',
                    index=models.Index(condition=models.Q(('breached_at__isnull', False), ('completed_at__isnull', True), ('escalated_at__isnull', True)), fields=['breached_at'], name='handoffcase_to_escalate_idx'),
                ),
                migrations.AddConstraint(
                    model_name='handoffcase',
                    constraint=models.CheckConstraint(condition=models.Q(('due_at__gte', models.F('started_at'))), name='handoffcase_due_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='ownership',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('stage__isnull', True), ('touchpoint__isnull', False)), models.Q(('stage__isnull', False), ('touchpoint__isnull', True)), _connector='OR'), name='ownership_touchpoint_xor_stage'),
                ),
                migrations.AddConstraint(
                    model_name='ownership',
                    constraint=models.UniqueConstraint(condition=models.Q(('role', 'accountable')), fields=('touchpoint',), name='ownership_one_accountable_per_touchpoint'),
                ),
                migrations.AddConstraint(
                    model_name='ownership',
                    constraint=models.UniqueConstraint(condition=models.Q(('role', 'accountable')), fields=('stage',), name='ownership_one_accountable_per_stage'),
                ),
                migrations.AddConstraint(
                    model_name='ownership',
                    constraint=models.UniqueConstraint(fields=('touchpoint', 'user', 'role'), name='ownership_unique_touchpoint_user_role'),
                ),
                migrations.AddConstraint(
                    model_name='ownership',
                    constraint=models.UniqueConstraint(fields=('stage', 'user', 'role'), name='ownership_unique_stage_user_role'),
                ),
                migrations.AddConstraint(
                    model_name='playbook',
                    constraint=models.CheckConstraint(condition=models.Q(('stage__isnull', True), ('touchpoint__isnull', True), _connector='OR'), name='playbook_stage_or_touchpoint'),
                ),
                migrations.AddConstraint(
                    model_name='sla',
                    constraint=models.CheckConstraint(condition=models.Q(('response_target__gt', datetime.timedelta(0))), name='sla_target_positive'),
                ),
                migrations.AddConstraint(
                    model_name='sla',
                    constraint=models.CheckConstraint(condition=models.Q(('escalation_delay__gte', datetime.timedelta(0))), name='sla_escalation_not_negative'),
                ),
            ],
            database_operations=[],
        ),
    ]
