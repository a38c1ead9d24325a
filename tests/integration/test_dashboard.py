"""The Grafana dashboard in docker/ asks Prometheus only for what the gateway exports.

Its every PromQL expression (panels and variables) is read for the metric names and label
names it uses, and each is looked up in a live `/metrics` after real requests, so that a
metric renamed or a label dropped fails here rather than leaving a blank panel."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.support.simulators import Simulated

DASHBOARD = Path(__file__).resolve().parents[2] / "docker" / "grafana-dashboard.json"
SCRAPE_LABELS = {"instance", "job"}
"""Labels Prometheus adds to every series it scrapes."""
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or"}
KEYWORDS |= {"unless", "offset", "inf", "nan"}
SERIES_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


def exported(text: str) -> dict[str, set[str]]:
    """Each series name `/metrics` exports, with the label names its samples carry."""
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        labels = {name for sample in family.samples for name in sample.labels}
        for suffix in SERIES_SUFFIXES[family.type]:
            series[family.name + suffix] = labels - {"le"}
        if family.type == "histogram":
            series[family.name + "_bucket"] = labels
    return series


def references(expression: str) -> tuple[set[str], set[str]]:
    """The metric names and the label names a PromQL expression (or a Grafana
    `label_values(metric, label)` query) uses."""
    labels = set()
    for matchers in re.findall(r"\{([^}]*)\}", expression):
        labels |= set(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    for grouping in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expression):
        labels |= {name.strip() for name in grouping.split(",") if name.strip()}
    values = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", expression)
    if values:
        return {values.group(1)}, {values.group(2)}
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", expression)
    names = {
        match.group(1)
        for match in re.finditer(r"([A-Za-z_:][\w:]*)\s*(\()?", bare)
        if match.group(2) is None and match.group(1) not in KEYWORDS
    }
    return names, labels


def expressions(dashboard: dict[str, Any]) -> list[str]:
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    found += [
        variable["definition"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return found


async def test_every_dashboard_query_uses_only_metrics_and_labels_the_gateway_exports(
    deployment: Simulated,
):
    await deployment.gql("query DashboardPage { smsRecords(first: 3) { nodes { id } } }")
    await deployment.gql("{ nope }")
    async with deployment.http.get(deployment.gateway_url + "/metrics") as response:
        series = exported(await response.text())
    dashboard = json.loads(DASHBOARD.read_text())

    used: set[str] = set()
    for expression in expressions(dashboard):
        names, labels = references(expression)
        assert names, expression
        assert names <= series.keys(), (expression, names - series.keys())
        known = set().union(*(series[name] for name in names)) | SCRAPE_LABELS
        assert labels <= known, (expression, labels - known)
        used |= names
    assert {"gateway_graphql_errors_total", "gateway_page_cache_hits_total"} <= used
    assert {"gateway_graphql_request_seconds_bucket", "gateway_provider_breaker_open"} <= used


def test_the_dashboard_asks_the_prometheus_chosen_in_its_variable():
    dashboard = json.loads(DASHBOARD.read_text())
    (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    chosen = {"type": "prometheus", "uid": "${" + variable["name"] + "}"}
    for panel in dashboard["panels"]:
        assert panel["datasource"] == chosen, panel["title"]
        assert panel["targets"] and all(t["datasource"] == chosen for t in panel["targets"])
