"""Analytics objects for the access test (tests/test_access.py), built through the real services."""

from analytics.cohorts import cohort_create
from analytics.models import Cohort, CohortMember
from customers.models import Profile
from tests.analytics.world_paths import QUERIES as PATHS_QUERIES
from tests.analytics.world_retention import QUERIES as RETENTION_QUERIES

BUILDERS = [
    (
        Cohort,
        lambda world, people: cohort_create(
            team=people["team"], actor=people["admin"], name="Probe cohort", profile_ids=[world[Profile].pk]
        ),
    ),
    (CohortMember, lambda world, people: CohortMember.objects.get(cohort=world[Cohort])),
]

URL_KWARGS = {
    "cohort_pk": lambda world: world[Cohort].pk,
}

# Funnels need steps or a map. The steps name events only, so an outsider's request runs over the
# outsider's own team (an empty funnel, 200) rather than naming team A's map (404, tested apart).
_STEPS = "step=event:Probe+Viewed&step=event:Probe+Bought"
QUERIES = {
    "analytics:funnels": lambda world: _STEPS,
    "funnel-list": lambda world: _STEPS,
    "funnel-dropped": lambda world: f"{_STEPS}&step_index=2",
}
QUERIES.update(RETENTION_QUERIES)
QUERIES.update(PATHS_QUERIES)
