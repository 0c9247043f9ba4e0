from django.core.management.base import BaseCommand, CommandError

from search.indexing import team_reindex
from teams.models import Team


class Command(BaseCommand):
    help = "Rebuild the search index of every team (or of the teams named by slug)."

    def add_arguments(self, parser):
        parser.add_argument("--team", action="append", default=[], help="A team's slug; may be given again.")

    def handle(self, *args, **options):
        teams = Team.objects.order_by("pk")
        if options["team"]:
            teams = teams.filter(slug__in=options["team"])
            missing = set(options["team"]) - set(teams.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No team with the slug: {', '.join(sorted(missing))}")
        for team in teams:
            count = team_reindex(team.pk)
            self.stdout.write(f"{team.slug}: {count} entries")
