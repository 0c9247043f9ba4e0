"""Create or bring up to date the ClickHouse schema (docs/scaling.md)."""

from django.core.management.base import BaseCommand, CommandError

from customers import clickhouse
from customers.clickhouse import schema


class Command(BaseCommand):
    help = "Create or migrate the ClickHouse tables; --cluster NAME for ON CLUSTER DDL with replicated tables."

    def add_arguments(self, parser):
        parser.add_argument("--cluster", default="", help="the cluster's name (default: CLICKHOUSE_CLUSTER)")
        parser.add_argument("--print", action="store_true", help="print the DDL instead of running it")
        parser.add_argument("--database", default="", help="with --print: the database name (default: waymark)")

    def handle(self, *args, **options):
        cluster = options["cluster"] or clickhouse.cluster()
        if options["print"]:
            for statement in schema.statements(options["database"] or "waymark", cluster):
                self.stdout.write(statement + ";\n")
            return
        if not clickhouse.enabled():
            raise CommandError("Set CLICKHOUSE_URL (http://user:password@host:8123/database) first.")
        statements = schema.schema_apply(clickhouse.get_client(), cluster=cluster)
        self.stdout.write(f"ClickHouse schema up to date ({len(statements)} statements).")
