"""Query strings the access test appends to the retention, lifecycle and moments routes."""

QUERIES = {
    "analytics:moments": lambda world: "event=Probe+Viewed",
    "analytics-retention-moments": lambda world: "event=Probe+Viewed",
}
