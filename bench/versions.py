from bench.results import Result, not_available


def run(ctx: dict) -> list[Result]:
    return [not_available("versions", "all", "not written yet")]
