"""Demo data for journeys: the three seed cases as versioned maps."""


def seed(context: dict) -> dict:
    return {"maps": {}}
