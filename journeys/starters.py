"""Built-in map templates: the journeys of the source articles' worked cases, to start a map from.

Each starter becomes a map document (journeys/snapshot.py) in the language of the person who uses
it, so a team in Riga starts from Latvian stage and touchpoint names. A team's own templates are
rows (``MapTemplate``) holding a document saved from one of its maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Channel, Emotion, MomentKind, Stage
from .snapshot import FORMAT, FORMAT_VERSION


@dataclass(frozen=True)
class Point:
    name: Promise
    channel: str
    emotion: str = Emotion.NEUTRAL
    moment: str = ""
    pains: tuple[Promise, ...] = ()


@dataclass(frozen=True)
class Step:
    name: Promise
    funnel: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Starter:
    key: str
    name: Promise
    description: Promise
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def document(self, title: str = "") -> dict:
        """Return this template as a map document, its texts in the active language."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "map": {"title": title or str(self.name), "description": str(self.description)},
            "stages": [
                {
                    "name": str(step.name),
                    "funnel": step.funnel,
                    "touchpoints": [
                        {
                            "name": str(point.name),
                            "channel": point.channel,
                            "emotion_label": point.emotion,
                            "is_moment": bool(point.moment),
                            "moment_kind": point.moment,
                            "pain_points": [{"title": str(pain), "severity": 4} for pain in point.pains],
                        }
                        for point in step.points
                    ],
                }
                for step in self.steps
            ],
        }

    @property
    def touchpoint_count(self) -> int:
        return sum(len(step.points) for step in self.steps)


TOP, MIDDLE, BOTTOM = Stage.Funnel.TOP, Stage.Funnel.MIDDLE, Stage.Funnel.BOTTOM

STARTERS: tuple[Starter, ...] = (
    Starter(
        "b2c-ecommerce",
        _("B2C e-commerce"),
        _(
            "An online shop from the first ad to the repeat order, with the cart and delivery "
            "questions where carts are lost."
        ),
        (
            Step(_("Awareness"), TOP, (Point(_("Social ad"), Channel.AD), Point(_("Search result"), Channel.PAGE))),
            Step(
                _("Consideration"),
                MIDDLE,
                (Point(_("Product page"), Channel.PAGE, Emotion.CURIOUS), Point(_("Reviews"), Channel.PAGE)),
            ),
            Step(
                _("Decision"),
                MIDDLE,
                (
                    Point(
                        _("Cart"),
                        Channel.PAGE,
                        Emotion.ANXIOUS,
                        MomentKind.LOSS_RISK,
                        (_("Delivery time unclear"), _("Returns policy hard to find")),
                    ),
                    Point(_("Checkout"), Channel.PAGE, Emotion.ANXIOUS),
                ),
            ),
            Step(
                _("Purchase"),
                BOTTOM,
                (
                    Point(_("Order confirmation"), Channel.EMAIL, Emotion.CONFIDENT, MomentKind.FIRST_VALUE),
                    Point(_("Delivery"), Channel.OTHER),
                ),
            ),
            Step(
                _("Retention"),
                BOTTOM,
                (Point(_("Repeat order"), Channel.PAGE, Emotion.CONFIDENT, MomentKind.FIRST_REPEAT),),
            ),
            Step(_("Advocacy"), BOTTOM, (Point(_("Product review request"), Channel.EMAIL),)),
        ),
    ),
    Starter(
        "saas-onboarding",
        _("SaaS onboarding"),
        _("A trial that becomes a paying account: sign-up, the first 7, 30 and 90 days, and the renewal."),
        (
            Step(_("Awareness"), TOP, (Point(_("Landing page"), Channel.PAGE),)),
            Step(_("Consideration"), MIDDLE, (Point(_("Pricing page"), Channel.PAGE, Emotion.CURIOUS),)),
            Step(
                _("Decision"),
                MIDDLE,
                (
                    Point(_("Trial sign-up"), Channel.ONBOARDING),
                    Point(
                        _("Setup checklist"),
                        Channel.ONBOARDING,
                        Emotion.CONFUSED,
                        "",
                        (_("Trial fails at the second setup step"),),
                    ),
                ),
            ),
            Step(
                _("Purchase"),
                BOTTOM,
                (
                    Point(_("First value reached"), Channel.APP, Emotion.DELIGHTED, MomentKind.FIRST_VALUE),
                    Point(_("Upgrade to paid"), Channel.APP),
                ),
            ),
            Step(
                _("Retention"),
                BOTTOM,
                (
                    Point(_("Day-30 check-in"), Channel.EMAIL),
                    Point(_("Renewal"), Channel.EMAIL, Emotion.ANXIOUS, MomentKind.LOSS_RISK),
                ),
            ),
            Step(
                _("Advocacy"),
                BOTTOM,
                (Point(_("Referral invite"), Channel.EMAIL, Emotion.CONFIDENT, MomentKind.FIRST_REFERRAL),),
            ),
        ),
    ),
    Starter(
        "b2b-purchase",
        _("B2B purchase"),
        _("A buying group from first research to a signed contract and the first renewal."),
        (
            Step(
                _("Awareness"), TOP, (Point(_("Industry report"), Channel.PAGE), Point(_("Trade fair"), Channel.OTHER))
            ),
            Step(
                _("Consideration"),
                MIDDLE,
                (Point(_("Sales call"), Channel.PHONE, Emotion.CURIOUS), Point(_("Product demo"), Channel.OTHER)),
            ),
            Step(
                _("Decision"),
                MIDDLE,
                (
                    Point(
                        _("Proposal and pricing"),
                        Channel.EMAIL,
                        Emotion.ANXIOUS,
                        MomentKind.LOSS_RISK,
                        (_("Security review takes weeks"),),
                    ),
                ),
            ),
            Step(_("Purchase"), BOTTOM, (Point(_("Contract signed"), Channel.EMAIL, Emotion.CONFIDENT),)),
            Step(_("Retention"), BOTTOM, (Point(_("Kick-off meeting"), Channel.OTHER, moment=MomentKind.FIRST_VALUE),)),
        ),
    ),
    Starter(
        "bank-loan",
        _("Bank loan application"),
        _(
            "A loan from the rates page to the first payment, with the places applicants give up "
            "over unclear information."
        ),
        (
            Step(_("Awareness"), TOP, (Point(_("Rates page"), Channel.PAGE),)),
            Step(
                _("Consideration"),
                MIDDLE,
                (Point(_("Loan calculator"), Channel.PAGE, Emotion.CURIOUS, "", (_("Total cost not shown"),)),),
            ),
            Step(
                _("Decision"),
                MIDDLE,
                (
                    Point(
                        _("Application form"),
                        Channel.PAGE,
                        Emotion.CONFUSED,
                        MomentKind.LOSS_RISK,
                        (_("Required documents unclear"),),
                    ),
                    Point(_("Advisor chat"), Channel.CHAT),
                ),
            ),
            Step(
                _("Purchase"),
                BOTTOM,
                (Point(_("Loan approved"), Channel.EMAIL, Emotion.DELIGHTED, MomentKind.FIRST_VALUE),),
            ),
            Step(_("Retention"), BOTTOM, (Point(_("First payment reminder"), Channel.SMS),)),
        ),
    ),
    Starter(
        "travel-booking",
        _("Travel booking"),
        _("A trip from inspiration to the customer's story after it, which the next traveller reads."),
        (
            Step(_("Awareness"), TOP, (Point(_("Destination inspiration"), Channel.SOCIAL, Emotion.CURIOUS),)),
            Step(
                _("Consideration"),
                MIDDLE,
                (Point(_("Trip search"), Channel.PAGE), Point(_("Customer stories"), Channel.PAGE, Emotion.CONFIDENT)),
            ),
            Step(
                _("Decision"),
                MIDDLE,
                (
                    Point(
                        _("Booking"),
                        Channel.PAGE,
                        Emotion.ANXIOUS,
                        MomentKind.LOSS_RISK,
                        (_("Cancellation terms unclear"),),
                    ),
                ),
            ),
            Step(
                _("Purchase"),
                BOTTOM,
                (Point(_("Trip itinerary"), Channel.EMAIL, Emotion.DELIGHTED, MomentKind.FIRST_VALUE),),
            ),
            Step(
                _("Advocacy"), BOTTOM, (Point(_("Share your story"), Channel.EMAIL, moment=MomentKind.FIRST_REFERRAL),)
            ),
        ),
    ),
)

BY_KEY: dict[str, Starter] = {starter.key: starter for starter in STARTERS}
