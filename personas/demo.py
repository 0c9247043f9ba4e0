"""Demo personas and scenarios, drawn from the seeds' three cases.

An online shop whose carts were abandoned at the decision stage (delivery time and the returns
policy were the worry); a bank whose loan application lost people to unclear information; a travel
company that added customer stories to build trust. ``seed`` returns the personas and one main
scenario each under the keys ``shopper``, ``borrower`` and ``traveller`` for the journeys demo.
"""

from __future__ import annotations

from . import services
from .models import Persona, Scenario

PERSONAS = {
    "shopper": {
        "name": "Careful online shopper",
        "summary": "Buys furniture and home goods online, but only once delivery date and return terms are clear.",
        "role": "Urban professional, 30–45, orders on mobile",
        "market": Persona.Market.B2C,
        "avatar_color": "#0f766e",
        "jobs_to_be_done": "Furnish a new flat without taking days off work\n"
        "Compare a few options quickly on the phone",
        "goals": "Have the order arrive before the weekend\nReturn it without cost or hassle if it does not fit",
        "obstacles": "Delivery date only appears at the last checkout step\n"
        "Returns policy is hidden in the footer\nDelivery cost shown late",
        "success_markers": "Completes checkout in one visit\nNo support contact about delivery or returns",
        "typical_deviations": "Leaves the cart to check delivery times elsewhere\n"
        "Asks support chat about returns before paying",
        "quotes": "I won't pay until I know when it arrives.\n"
        "If I can't send it back for free, I'll buy it in the store.",
    },
    "borrower": {
        "name": "First-time loan applicant",
        "summary": "Applies for a first consumer loan online and needs to understand the terms before committing.",
        "role": "Young family, first home improvement loan",
        "market": Persona.Market.B2C,
        "avatar_color": "#1d4ed8",
        "jobs_to_be_done": "Borrow for a kitchen renovation at a rate the family can afford",
        "goals": "Know the monthly payment and total cost up front\nGet a decision within a day",
        "obstacles": "Unclear list of documents needed\nJargon in the offer (APR, collateral)\n"
        "No way to ask a question mid-application",
        "success_markers": "Submits a complete application at the first attempt\n"
        "Signs the offer without calling the branch",
        "typical_deviations": "Abandons at the income-proof step to find documents\n"
        "Calls the branch to ask what APR means",
        "quotes": "I just want to know what I'll pay each month.\nWhy do they need all these papers?",
    },
    "traveller": {
        "name": "Trust-seeking traveller",
        "summary": "Books a family trip with a tour operator they have not used before,"
        " after reading real customer stories.",
        "role": "Parent planning the yearly family holiday",
        "market": Persona.Market.B2C,
        "avatar_color": "#c2410c",
        "jobs_to_be_done": "Plan a stress-free holiday the whole family enjoys",
        "goals": "Be sure the hotel looks like the photos\nKnow what happens if the flight is cancelled",
        "obstacles": "Does not trust polished marketing photos\nFew reviews from families like theirs",
        "success_markers": "Reads at least one customer story before booking\nBooks again the next year",
        "typical_deviations": "Leaves to search for reviews on other sites\nAsks friends on social media before paying",
        "quotes": "I want to hear from people like us who actually went.",
    },
}

SCENARIOS = {
    "shopper": [
        {
            "name": "First order on mobile",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "Sees a sofa in a social media ad during the commute",
            "goal": "Order it with delivery before the weekend",
            "expected_outcome": "Pays with confidence, knowing the delivery date and the free returns",
            "success_markers": "Completes checkout\nDoes not open support chat about delivery",
        },
        {
            "name": "Switching from the local store",
            "kind": Scenario.Kind.SWITCHING,
            "trigger": "The local furniture store has a six-week wait",
            "goal": "Find the same quality online, delivered sooner",
            "expected_outcome": "Chooses the shop over the store for delivery speed",
            "success_markers": "Orders within a week of the first visit",
        },
    ],
    "borrower": [
        {
            "name": "Online loan application",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "Gets a builder's quote for the new kitchen",
            "goal": "Apply online and get a clear decision",
            "expected_outcome": "Understands the offer and signs it online",
            "success_markers": "Application completed in one sitting\nNo call to the branch",
        },
        {
            "name": "Comparing offers from two banks",
            "kind": Scenario.Kind.SWITCHING,
            "trigger": "Another bank advertises a lower rate",
            "goal": "Compare the total cost of both offers",
            "expected_outcome": "Sees the full cost clearly and stays",
            "success_markers": "Uses the loan calculator\nAccepts the offer",
        },
    ],
    "traveller": [
        {
            "name": "Booking a first family holiday",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "School holidays are three months away",
            "goal": "Book a package the family trusts",
            "expected_outcome": "Books after reading stories from families like theirs",
            "success_markers": "Reads a customer story\nBooks within two weeks",
        },
        {
            "name": "Booking again after a good trip",
            "kind": Scenario.Kind.RETURNING,
            "trigger": "Photos from last year's trip come up on the phone",
            "goal": "Book again quickly, maybe somewhere new",
            "expected_outcome": "Rebooks and shares their own story",
            "success_markers": "Rebooks within the season\nSubmits a customer story",
        },
    ],
}


def seed(context: dict) -> dict:
    """Create the demo personas and scenarios in the demo team once; return them by key."""
    team = context["team"]
    actor = context["users"]["editor"]
    personas, scenarios = {}, {}
    for key, fields in PERSONAS.items():
        persona = Persona.objects.filter(team=team, name__iexact=fields["name"]).first()
        if persona is None:
            persona = services.persona_create(team=team, actor=actor, **fields)
        for i, data in enumerate(SCENARIOS[key]):
            scenario = persona.scenarios.filter(name__iexact=data["name"]).first()
            if scenario is None:
                scenario = services.scenario_create(persona=persona, actor=actor, **data)
            if i == 0:
                scenarios[key] = scenario
        personas[key] = persona
    return {"personas": personas, "scenarios": scenarios}
