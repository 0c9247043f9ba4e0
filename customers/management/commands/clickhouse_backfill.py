"""Copy the events already stored in PostgreSQL into ClickHouse; resumable (docs/scaling.md)."""

from django.core.management.base import BaseCommand, CommandError

from customers import clickhouse
from customers.clickhouse import sync


class Command(BaseCommand):
    help = "Copy stored events and identities into ClickHouse in batches; run again to resume."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=50000)

    def handle(self, *args, **options):
        if not clickhouse.enabled():
            raise CommandError("Set CLICKHOUSE_URL (http://user:password@host:8123/database) first.")

        def progress(totals):
            self.stdout.write(
                f"events {totals['events']}, identities {totals['identities']}, merges {totals['merges']}"
            )

        totals = sync.backfill(clickhouse.get_client(), batch_size=options["batch_size"], progress=progress)
        self.stdout.write(f"Caught up: {totals['events']} events copied.")
