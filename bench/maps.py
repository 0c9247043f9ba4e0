from bench.results import Result, not_available


def run(ctx: dict) -> list[Result]:
    return [not_available("maps", "all", "not written yet")]
