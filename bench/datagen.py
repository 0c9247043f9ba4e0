"""The benchmark data: built once with COPY and bulk inserts, reused by later runs.

Three data sets, each recorded in the ``bench_dataset`` marker table with its generator version
(bump a ``*_VERSION`` to rebuild it):

- ``stats``: one team, a map of 8 stages x 5 touchpoints (40), 5 surveys and 1,000,000 responses
  spread over the last 365 days (growth over the year, weekdays busier than weekends, office
  hours busier than nights, two campaign weeks, a few touchpoints taking most answers, scores
  that differ by touchpoint and improve over the year);
- ``maps``: a 12 x 15 and a 3 x 4 map with stage and touchpoint owners, SLAs, pain points,
  hand-offs, playbooks and 90 days of scores on every touchpoint, published once and edited since,
  and the analytics overlay: a tracking rule on every touchpoint, 90 days of customers walking the
  stages (transitions, where each is now, the rules' daily roll-up) at the same traffic per stage
  and touchpoint on both maps, and the stage figures stored by ``stage_stats_refresh``;
- ``sla``: 100,000 follow-ups and 100,000 hand-off cases on a 10 x 10 map whose due times are
  reset before every sweep (``sla_reset``).

Call ``setup_django()`` (bench.common.apply_env + django.setup) before importing this module.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from bench.common import log

STATS_VERSION = 1
MAPS_VERSION = 2
SLA_VERSION = 1

STATS_ROWS = 1_000_000
SLA_ROWS = 100_000

# (name, kind, share of the answers)
STATS_SURVEYS = [
    ("Relationship NPS", "nps", 0.40),
    ("Checkout NPS", "nps", 0.25),
    ("Support CSAT", "csat", 0.15),
    ("Onboarding CES", "ces", 0.12),
    ("App NPS", "nps", 0.08),
]
STATS_STAGES = ["Awareness", "Consideration", "Decision", "Purchase", "Onboarding", "Retention", "Renewal", "Advocacy"]
QUESTION_KIND = {"nps": "nps", "csat": "rating", "ces": "ces"}
COMMENTS = [
    "Delivery took too long",
    "Returns policy was unclear",
    "Checkout was quick",
    "Support solved it at once",
    "Too many steps to sign up",
    "Loan terms were confusing",
    "Loved the customer stories",
    "Prices changed at the last step",
]
CHANNELS = (["widget", "email", "link", "app"], [0.55, 0.25, 0.12, 0.08])
LOCALES = (["en", "de", "fr", "lv", "bg", "zh"], [0.60, 0.10, 0.08, 0.08, 0.07, 0.07])


# --- the marker table ---------------------------------------------------------------------------


def _ensure_marker() -> None:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset ("
            " name text PRIMARY KEY, version integer NOT NULL, detail jsonb NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )


def dataset_get(name: str, version: int) -> dict | None:
    _ensure_marker()
    with connection.cursor() as cur:
        cur.execute("SELECT version, detail FROM bench_dataset WHERE name = %s", [name])
        row = cur.fetchone()
    if row is None or row[0] != version:
        return None
    return row[1] if isinstance(row[1], dict) else json.loads(row[1])


def _dataset_put(name: str, version: int, detail: dict) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO bench_dataset (name, version, detail) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, detail = EXCLUDED.detail,"
            " created_at = now()",
            [name, version, json.dumps(detail)],
        )


def _drop_team(name: str) -> None:
    """Delete an earlier build of a data set (its bulk rows in SQL first, the rest by cascade)."""
    from teams.models import Team

    for team in Team.objects.filter(name=name):
        with connection.cursor() as cur:
            cur.execute("DELETE FROM feedback_followup WHERE team_id = %s", [team.pk])
            cur.execute("DELETE FROM feedback_response WHERE team_id = %s", [team.pk])
            for table in (
                "customers_trackingruleday",
                "customers_profilestage",
                "customers_stagetransition",
                "customers_identity",
                "customers_profile",
            ):
                cur.execute(f"DELETE FROM {table} WHERE team_id = %s", [team.pk])
        team.delete()


# --- people -------------------------------------------------------------------------------------


def _user(username: str):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.example.com"}
    )
    if created:
        user.set_password("bench-password")
        user.save(update_fields=["password"])
    return user


def _team(name: str, admin, members: list) -> object:
    from teams.models import Membership, Role
    from teams.services import team_create

    team = team_create(name=name, actor=admin)
    Membership.objects.bulk_create([Membership(team=team, user=u, role=Role.EDITOR) for u in members])
    return team


def _api_key(team, admin) -> str:
    from teams.services import api_key_create

    return api_key_create(team=team, actor=admin, name="bench", scope="read_write")[1]


# --- COPY ---------------------------------------------------------------------------------------


def _missing_required_columns(table: str, columns: list[str]) -> list[tuple[str, str]]:
    """Return NOT NULL columns without a default that ``columns`` leaves out, with a filler value.

    Other people add fields to the product's models while the benchmark data stays: a new
    required column gets an empty value of its type instead of breaking the COPY.
    """
    fillers = {"text": "", "character varying": "", "boolean": "f", "integer": "0", "smallint": "0"}
    fillers |= {"bigint": "0", "jsonb": "{}", "double precision": "0"}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s"
            " AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        rows = cur.fetchall()
    missing = []
    for name, data_type in rows:
        if name in columns or name == "id":
            continue
        if data_type not in fillers:
            raise RuntimeError(f"{table}.{name} ({data_type}) is required and the generator does not fill it")
        missing.append((name, fillers[data_type]))
    return missing


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into ``table``; return how many."""
    extra = _missing_required_columns(table, columns)
    all_columns = columns + [name for name, _ in extra]
    tail = "".join("\t" + value for _, value in extra)
    count = 0
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(all_columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                buffer.write(tail + "\n")
                count += 1
                if count % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


RESPONSE_COLUMNS = [
    "team_id",
    "survey_id",
    "touchpoint_id",
    "stage_id",
    "submission_id",
    "score",
    "metric",
    "answers",
    "channel",
    "locale",
    "respondent_id",
    "page_url",
    "user_agent",
    "finished",
    "created_at",
    "updated_at",
]


# --- building blocks ----------------------------------------------------------------------------


def _map(team, admin, title: str, stage_names: list[str], per_stage: int, owners: list) -> dict:
    """Create a map with its stages and touchpoints in bulk; return ids by position."""
    from journeys.models import JourneyMap, Stage, Touchpoint

    journey_map = JourneyMap.objects.create(team=team, title=title, description=f"{title} (benchmark data)")
    stages = Stage.objects.bulk_create(
        [Stage(journey_map=journey_map, name=name, position=i) for i, name in enumerate(stage_names)]
    )
    channels = ["page", "email", "onboarding", "chat", "app", "phone", "store", "push", "sms", "social", "ad"]
    emotions = [
        ("frustrated", -2),
        ("confused", -1),
        ("neutral", 0),
        ("curious", 1),
        ("confident", 1),
        ("delighted", 2),
    ]
    touchpoints = []
    for si, stage in enumerate(stages):
        for ti in range(per_stage):
            label, score = emotions[(si * 7 + ti * 3) % len(emotions)]
            moment = (si + ti) % 9 == 0
            touchpoints.append(
                Touchpoint(
                    stage=stage,
                    name=f"{stage.name} step {ti + 1}",
                    channel=channels[(si + ti) % len(channels)],
                    description="What the customer does here and what they expect next.",
                    position=ti,
                    emotion=score,
                    emotion_label=label,
                    is_moment=moment,
                    moment_kind="first_value" if moment else "",
                    metric_name="Activation rate" if moment else "",
                    evidence_source="survey_theme" if ti % 2 else "analytics",
                )
            )
    touchpoints = Touchpoint.objects.bulk_create(touchpoints)
    return {"map": journey_map, "stages": stages, "touchpoints": touchpoints}


def _owners_and_slas(built: dict, owners: list, *, pain_points: bool = True) -> None:
    from journeys.models import PainPoint
    from owners.models import SLA, Handoff, Ownership, Playbook

    journey_map, stages, touchpoints = built["map"], built["stages"], built["touchpoints"]
    ownerships = [
        Ownership(journey_map=journey_map, stage=s, user=owners[i % len(owners)], role="accountable")
        for i, s in enumerate(stages)
    ]
    for i, tp in enumerate(touchpoints):
        ownerships.append(
            Ownership(journey_map=journey_map, touchpoint=tp, user=owners[i % len(owners)], role="accountable")
        )
        if i % 3 == 0:
            ownerships.append(
                Ownership(
                    journey_map=journey_map, touchpoint=tp, user=owners[(i + 1) % len(owners)], role="responsible"
                )
            )
    Ownership.objects.bulk_create(ownerships)
    SLA.objects.bulk_create(
        [
            SLA(touchpoint=tp, response_target=timedelta(hours=24 + 24 * (i % 3)), business_hours=i % 4 == 0)
            for i, tp in enumerate(touchpoints)
        ]
    )
    if pain_points:
        titles = ["Delivery time unclear", "Returns policy hidden", "Form asks twice", "Slow reply", "Jargon"]
        PainPoint.objects.bulk_create(
            [
                PainPoint(
                    touchpoint=tp,
                    title=titles[(i + k) % len(titles)],
                    severity=1 + (i + k) % 5,
                    status=["open", "open", "fixing", "fixed"][(i + k) % 4],
                )
                for i, tp in enumerate(touchpoints)
                for k in range(i % 4)
            ]
        )
    Handoff.objects.bulk_create(
        [
            Handoff(
                journey_map=journey_map,
                from_touchpoint=a,
                to_touchpoint=b,
                from_owner=owners[i % len(owners)],
                to_owner=owners[(i + 1) % len(owners)],
            )
            for i, (a, b) in enumerate(itertools.pairwise(touchpoints))
            if i % 4 == 0
        ]
    )
    Playbook.objects.bulk_create(
        [
            Playbook(
                journey_map=journey_map,
                stage=s,
                name=f"{s.name} playbook",
                trigger="When it goes wrong",
                steps="1. Call",
            )
            for s in stages[:3]
        ]
    )


def _survey(team, admin, name: str, kind: str, touchpoint=None):
    from feedback.models import Question, Survey

    survey = Survey.objects.create(
        team=team,
        name=name,
        kind=kind,
        status="active",
        touchpoint=touchpoint,
        title={"en": name},
        allowed_origins=["https://shop.example.com"],
        recontact_days=0,
        followup_threshold={"nps": 7, "csat": 3, "ces": 4}[kind],
        created_by=admin,
    )
    Question.objects.create(
        survey=survey, key="score", kind=QUESTION_KIND[kind], text={"en": "Your score?"}, required=True, is_primary=True
    )
    Question.objects.create(survey=survey, key="comment", kind="text", text={"en": "Why?"}, position=1)
    return survey


# --- stats: 1,000,000 responses ----------------------------------------------------------------


def _response_rows(
    *, team_id, surveys, touchpoints, stage_of, n: int, days: int, end: datetime, seed: int, prefix: str
):
    """Yield ``n`` response rows with a realistic spread over the ``days`` before ``end``."""
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=days)
    day = np.arange(days)
    weekday = np.array([(start + timedelta(days=int(d))).weekday() for d in day])
    weight = (0.6 + 0.8 * day / days) * np.where(weekday < 5, 1.15, 0.6)
    for campaign in (days // 3, (2 * days) // 3):  # two campaign weeks
        weight[campaign : campaign + 7] *= 2.5
    weight *= rng.lognormal(0, 0.1, days)
    per_day = rng.multinomial(n, weight / weight.sum())
    day_of = np.repeat(day, per_day)
    hours = np.array([1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 9, 9, 9, 8, 8, 8, 7, 6, 4, 3, 2], dtype=float)
    hour_of = rng.choice(24, size=n, p=hours / hours.sum())
    seconds = day_of * 86400 + hour_of * 3600 + rng.integers(0, 3600, n)
    seconds = np.minimum(seconds, days * 86400 - 1)

    tp_weight = 1 / (np.arange(len(touchpoints)) + 1) ** 0.8
    rng.shuffle(tp_weight)
    tp_index = rng.choice(len(touchpoints), size=n, p=tp_weight / tp_weight.sum())
    tp_quality = rng.normal(0, 1, len(touchpoints))
    shares = np.array([s[2] for s in surveys])
    survey_index = rng.choice(len(surveys), size=n, p=shares / shares.sum())
    trend = day_of / days
    q = tp_quality[tp_index]
    nps = np.clip(np.rint(7.0 + 1.2 * q + 0.6 * trend + rng.normal(0, 2.2, n)), 0, 10)
    csat = np.clip(np.rint(3.8 + 0.4 * q + 0.2 * trend + rng.normal(0, 1.0, n)), 1, 5)
    ces = np.clip(np.rint(5.0 + 0.5 * q + 0.3 * trend + rng.normal(0, 1.3, n)), 1, 7)
    commented = rng.random(n) < 0.2
    comment_index = rng.integers(0, len(COMMENTS), n)
    unscored = rng.random(n) < 0.01
    identified = rng.random(n) < 0.6
    respondent = rng.integers(0, 250_000, n)
    channel = rng.choice(len(CHANNELS[0]), size=n, p=CHANNELS[1])
    locale = rng.choice(len(LOCALES[0]), size=n, p=LOCALES[1])
    finished = rng.random(n) < 0.97
    order = np.argsort(seconds, kind="stable")

    for i in order.tolist():
        survey_id, kind, _ = surveys[survey_index[i]]
        score = None if unscored[i] else int({"nps": nps, "csat": csat, "ces": ces}[kind][i])
        answers = {} if score is None else {"score": score}
        if commented[i]:
            answers["comment"] = COMMENTS[comment_index[i]]
        created = start + timedelta(seconds=int(seconds[i]))
        tp = touchpoints[tp_index[i]]
        yield (
            team_id,
            survey_id,
            tp,
            stage_of[tp],
            f"{prefix}-{i}",
            score,
            "" if score is None else kind,
            json.dumps(answers),
            CHANNELS[0][channel[i]],
            LOCALES[0][locale[i]],
            f"cust-{respondent[i]}" if identified[i] else "",
            "https://shop.example.com/orders",
            "Mozilla/5.0 (bench)",
            bool(finished[i]),
            created,
            created,
        )


def ensure_stats_dataset() -> dict:
    detail = dataset_get("stats", STATS_VERSION)
    if detail is not None:
        return detail
    started = time.perf_counter()
    log(f"building the stats data set ({STATS_ROWS:,} responses); later runs reuse it")
    _drop_team("Bench stats")
    admin = _user("bench-admin")
    owners = [_user(f"bench-owner-{i}") for i in range(8)]
    with transaction.atomic():
        team = _team("Bench stats", admin, owners)
        built = _map(team, admin, "Bench stats map", STATS_STAGES, 5, owners)
        _owners_and_slas(built, owners)
        surveys = [(_survey(team, admin, name, kind).pk, kind, share) for name, kind, share in STATS_SURVEYS]
        key = _api_key(team, admin)
    touchpoints = [tp.pk for tp in built["touchpoints"]]
    stage_of = {tp.pk: tp.stage_id for tp in built["touchpoints"]}
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = _response_rows(
        team_id=team.pk,
        surveys=surveys,
        touchpoints=touchpoints,
        stage_of=stage_of,
        n=STATS_ROWS,
        days=365,
        end=end,
        seed=20240601,
        prefix="gen",
    )
    with transaction.atomic():
        count = copy_rows("feedback_response", RESPONSE_COLUMNS, rows)
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) feedback_response")
    detail = {
        "team": team.pk,
        "map": built["map"].pk,
        "stages": [s.pk for s in built["stages"]],
        "surveys": [s[0] for s in surveys],
        "survey": surveys[0][0],
        "api_key": key,
        "rows": count,
        "end": end.isoformat(),
    }
    _dataset_put("stats", STATS_VERSION, detail)
    log(f"stats data set built in {time.perf_counter() - started:.0f} s")
    return detail


# --- maps: 12 x 15 and 3 x 4 ----------------------------------------------------------------------


def _publish(journey_map, admin, note: str):
    """Publish through the product's service; if it fails, store the same snapshot directly.

    The fallback keeps the compare benchmark running on a product whose publish is broken; the
    publish benchmark itself reports the failure.
    """
    from django.db import DatabaseError
    from django.db.models import Max

    from journeys.models import MapVersion
    from journeys.services import map_publish
    from journeys.snapshot import map_document

    try:
        with transaction.atomic():
            return map_publish(journey_map=journey_map, actor=admin, note=note)
    except DatabaseError as exc:
        log(f"map_publish failed ({exc}); storing the snapshot directly")
        number = (MapVersion.objects.filter(journey_map=journey_map).aggregate(n=Max("number"))["n"] or 0) + 1
        return MapVersion.objects.create(
            journey_map=journey_map, number=number, note=note, snapshot=map_document(journey_map), created_by=admin
        )


# Customers per stage of a map, the share who go on to the next stage, the share of a stage's
# touchpoints a customer's stay there touches. The same on both maps, so the large map's overlay
# has the small one's traffic per stage and per touchpoint, not the same customers spread thinner.
OVERLAY_ENTRIES_PER_STAGE = 200
OVERLAY_NEXT = 0.7
OVERLAY_TOUCHED = 0.6


def _tracking_overlay(team, built: dict, *, seed: int) -> None:
    """Give a map the analytics overlay: a tracking rule per touchpoint, customers who walked its
    stages over the last 90 days (transitions, current stage, the rules' daily roll-up) and the
    stage figures the beat task stores (``analytics.stages.stage_stats_refresh``)."""
    from analytics.stages import stage_stats_refresh
    from customers.models import Identity, Profile, ProfileStage, StageTransition, TrackingRule, TrackingRuleDay

    journey_map, stages, touchpoints = built["map"], built["stages"], built["touchpoints"]
    rng = np.random.default_rng(seed)
    rules = TrackingRule.objects.bulk_create(
        [
            TrackingRule(
                team=team, journey_map=journey_map, stage_id=tp.stage_id, touchpoint=tp, event_name=f"{tp.name} viewed"
            )
            for tp in touchpoints
        ]
    )
    rules_of: dict[int, list] = {}
    for rule in rules:
        rules_of.setdefault(rule.stage_id, []).append(rule)
    n = OVERLAY_ENTRIES_PER_STAGE * len(stages)
    now = datetime.now(UTC)
    tag = f"map{journey_map.pk}"
    profiles = Profile.objects.bulk_create(
        [Profile(team=team, user_id=f"{tag}-{i}") for i in range(n)], batch_size=5000
    )
    identities = Identity.objects.bulk_create(
        [Identity(team=team, profile=p, kind="user_id", value=p.user_id) for p in profiles], batch_size=5000
    )
    transitions, here, days = [], [], {}
    for i, (profile, identity) in enumerate(zip(profiles, identities, strict=True)):
        # Entries spread over the stages so each stage is entered by about the same number.
        at = now - timedelta(days=float(rng.uniform(0, 90)))
        previous = None
        for stage in stages[i % len(stages) :]:
            transitions.append(
                StageTransition(
                    team=team,
                    profile=profile,
                    journey_map=journey_map,
                    from_stage=previous,
                    to_stage=stage,
                    entered_at=at,
                    rule=rules_of[stage.pk][0],
                )
            )
            stay = timedelta(hours=float(rng.exponential(36)))
            for rule in rules_of[stage.pk]:
                if rng.random() < OVERLAY_TOUCHED:
                    day = (at + stay * float(rng.random())).date()
                    key = (rule.pk, day, identity.pk)
                    days[key] = days.get(key, 0) + int(rng.integers(1, 4))
            previous = stage
            if at + stay > now or rng.random() > OVERLAY_NEXT:
                break
            at += stay
        here.append(ProfileStage(team=team, profile=profile, journey_map=journey_map, stage=previous, entered_at=at))
    StageTransition.objects.bulk_create(transitions, batch_size=5000)
    ProfileStage.objects.bulk_create(here, batch_size=5000)
    rule_days = TrackingRuleDay.objects.bulk_create(
        [
            TrackingRuleDay(team=team, journey_map=journey_map, rule_id=rule, day=day, identity_id=identity, events=k)
            for (rule, day, identity), k in days.items()
            if day <= now.date()  # a stay that goes on past now has touched only what it has so far
        ],
        batch_size=5000,
    )
    stage_stats_refresh(journey_map=journey_map, now=now)
    log(f"overlay {journey_map.title}: {n:,} customers, {len(transitions):,} transitions, {len(rule_days):,} rule days")


def _map_with_everything(team, admin, owners, stages: int, per_stage: int) -> dict:
    from journeys.models import JourneyMap, Touchpoint

    names = [f"Stage {i + 1}" for i in range(stages)]
    built = _map(team, admin, f"Bench map {stages}x{per_stage}", names, per_stage, owners)
    _owners_and_slas(built, owners)
    journey_map = built["map"]
    nps = _survey(team, admin, f"NPS {stages}x{per_stage}", "nps", built["touchpoints"][0])
    csat = _survey(team, admin, f"CSAT {stages}x{per_stage}", "csat", built["touchpoints"][-1])
    touchpoints = [tp.pk for tp in built["touchpoints"]]
    stage_of = {tp.pk: tp.stage_id for tp in built["touchpoints"]}
    rows = _response_rows(
        team_id=team.pk,
        surveys=[(nps.pk, "nps", 0.7), (csat.pk, "csat", 0.3)],
        touchpoints=touchpoints,
        stage_of=stage_of,
        n=60 * len(touchpoints),
        days=120,
        end=datetime.now(UTC),
        seed=stages * 100 + per_stage,
        prefix=f"map{stages}x{per_stage}",
    )
    copy_rows("feedback_response", RESPONSE_COLUMNS, rows)
    _tracking_overlay(team, built, seed=stages * 100 + per_stage)
    first = _publish(journey_map, admin, "Benchmark baseline")
    # Edits since the first version, so comparing has something to find: renamed, re-felt, moved.
    tps = list(Touchpoint.objects.filter(stage__journey_map=journey_map).order_by("stage__position", "position"))
    for i, tp in enumerate(tps[:: max(1, len(tps) // 10)]):
        tp.name = f"{tp.name} (revised)"
        tp.emotion, tp.emotion_label = 2, "delighted"
        if i % 3 == 0 and tp.stage_id != built["stages"][-1].pk:
            tp.stage_id = built["stages"][-1].pk
        tp.save(update_fields=["name", "emotion", "emotion_label", "stage"])
    JourneyMap.objects.filter(pk=journey_map.pk).update(revision=journey_map.revision + 1)
    journey_map.refresh_from_db()
    second = _publish(journey_map, admin, "Benchmark edits")
    return {"map": journey_map.pk, "first_version": first.number, "second_version": second.number}


def ensure_maps_dataset() -> dict:
    detail = dataset_get("maps", MAPS_VERSION)
    if detail is not None:
        return detail
    log("building the map data set (12 x 15 and 3 x 4)")
    _drop_team("Bench maps")
    admin = _user("bench-admin")
    owners = [_user(f"bench-owner-{i}") for i in range(8)]
    with transaction.atomic():
        team = _team("Bench maps", admin, owners)
        key = _api_key(team, admin)
        large = _map_with_everything(team, admin, owners, 12, 15)
        small = _map_with_everything(team, admin, owners, 3, 4)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    detail = {"team": team.pk, "admin": admin.pk, "api_key": key, "large": large, "small": small}
    _dataset_put("maps", MAPS_VERSION, detail)
    return detail


# --- SLA: 100,000 open follow-ups and hand-off cases --------------------------------------------------


def ensure_sla_dataset() -> dict:
    detail = dataset_get("sla", SLA_VERSION)
    if detail is not None:
        return detail
    log(f"building the SLA data set ({SLA_ROWS:,} follow-ups, {SLA_ROWS:,} hand-off cases)")
    _drop_team("Bench SLA")
    admin = _user("bench-admin")
    owners = [_user(f"bench-owner-{i}") for i in range(8)]
    with transaction.atomic():
        team = _team("Bench SLA", admin, owners)
        built = _map(team, admin, "Bench SLA map", [f"Stage {i + 1}" for i in range(10)], 10, owners)
        _owners_and_slas(built, owners, pain_points=False)
        survey = _survey(team, admin, "SLA NPS", "nps", built["touchpoints"][0])
        touchpoints = [tp.pk for tp in built["touchpoints"]]
        stage_of = {tp.pk: tp.stage_id for tp in built["touchpoints"]}
        rows = _response_rows(
            team_id=team.pk,
            surveys=[(survey.pk, "nps", 1.0)],
            touchpoints=touchpoints,
            stage_of=stage_of,
            n=SLA_ROWS,
            days=14,
            end=datetime.now(UTC),
            seed=7,
            prefix="sla",
        )
        copy_rows("feedback_response", RESPONSE_COLUMNS, rows)
        fill = _missing_required_columns("feedback_followup", [*FOLLOWUP_COLUMNS])
        extra_cols = "".join(f", {name}" for name, _ in fill)
        extra_vals = "".join(f", '{value}'" for _, value in fill)
        with connection.cursor() as cur:
            # Every response gets a follow-up owned by its touchpoint's accountable owner.
            cur.execute(
                f"INSERT INTO feedback_followup ({', '.join(FOLLOWUP_COLUMNS)}{extra_cols})"
                " SELECT r.team_id, r.id, r.touchpoint_id, o.user_id, 'open', r.created_at + interval '2 days',"
                " r.created_at + interval '3 days', '', r.created_at"
                f"{extra_vals}"
                " FROM feedback_response r LEFT JOIN journeys_ownership o"
                "   ON o.touchpoint_id = r.touchpoint_id AND o.role = 'accountable'"
                " WHERE r.survey_id = %s",
                [survey.pk],
            )
        _handoff_cases(built, admin)
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) feedback_followup")
        cur.execute("VACUUM (ANALYZE) journeys_handoffcase")
    detail = {"team": team.pk, "survey": survey.pk, "map": built["map"].pk}
    _dataset_put("sla", SLA_VERSION, detail)
    return detail


FOLLOWUP_COLUMNS = ["team_id", "response_id", "touchpoint_id", "owner_id", "status", "due_at", "escalate_at"]
FOLLOWUP_COLUMNS += ["notes", "created_at"]


def _handoff_cases(built: dict, admin) -> None:
    from owners.models import Handoff

    handoffs = list(Handoff.objects.filter(journey_map=built["map"]).values_list("pk", flat=True))
    now = datetime.now(UTC)
    rows = ((handoffs[i % len(handoffs)], f"CASE-{i}", now, now + timedelta(days=1), admin.pk) for i in range(SLA_ROWS))
    copy_rows("journeys_handoffcase", ["handoff_id", "reference", "started_at", "due_at", "opened_by_id"], rows)


def sla_reset(detail: dict, *, due: int = 10_000, escalate: int = 2_000) -> dict:
    """Put the SLA data into the state a sweep finds: ``due`` newly overdue, ``escalate`` to escalate.

    Of the 100,000 open follow-ups (and as many open hand-off cases): ``due`` became overdue
    since the last sweep (breach, email the owner), ``escalate`` were breached a day ago and are
    due for escalation (email the admins), the others are due within the next two weeks.
    """
    team = detail["team"]
    slot = "((id * 7919) % 100000)"
    due = f"""CASE
        WHEN {slot} < {int(escalate)} THEN now() - interval '30 hours'
        WHEN {slot} < {int(escalate + due)} THEN now() - ({slot} % 55 + 1) * interval '1 minute'
        ELSE now() + interval '1 hour' + ({slot} % 20000) * interval '1 minute' END"""
    breached = f"CASE WHEN {slot} < {int(escalate)} THEN now() - interval '29 hours' END"
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE feedback_followup SET status = CASE WHEN id % 5 = 0 THEN 'acknowledged' ELSE 'open' END,"
            f" closed_at = NULL, escalated_at = NULL, due_at = {due},"
            f" escalate_at = ({due}) + interval '24 hours', breached_at = {breached} WHERE team_id = {int(team)}"
        )
        cur.execute(
            f"UPDATE journeys_handoffcase SET completed_at = NULL, escalated_at = NULL, due_at = {due},"
            f" started_at = ({due}) - interval '24 hours', breached_at = {breached}"
            f" WHERE handoff_id IN (SELECT id FROM journeys_handoff WHERE journey_map_id = {int(detail['map'])})"
        )
        cur.execute("VACUUM (ANALYZE) feedback_followup")
        cur.execute("VACUUM (ANALYZE) journeys_handoffcase")
    return {"open": SLA_ROWS, "newly_overdue": due, "to_escalate": escalate}
