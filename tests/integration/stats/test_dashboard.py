"""deploy/grafana/studio.json: a dashboard Grafana imports (its classic JSON model, the Prometheus
data source as an import input), querying only metrics Studio's /metrics has."""

from __future__ import annotations

import json
import re

from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.common.paths import REPO
from tests.integration.stats.scrape import scrape

DASHBOARD = REPO / "deploy" / "grafana" / "studio.json"
SERIES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def test_the_dashboard_queries_only_what_metrics_exposes(client: TestClient) -> None:
    # Every family is announced (HELP, TYPE) even before it has a sample: an empty database will do.
    exposed = {
        family.name + suffix
        for family in text_string_to_metric_families(scrape(client))
        for suffix in SERIES.get(family.type, ())
    }
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"] for name in re.findall(r"\bstudio_\w+", target["expr"])}
    assert queried and queried <= exposed, queried - exposed
    # What the task's dashboard shows.
    for family in ("studio_jobs_total", "studio_queue_depth", "studio_jobs_running", "studio_job_wait_seconds_bucket",
                   "studio_job_run_seconds_bucket", "studio_comfyui_up", "studio_job_errors_total",
                   "studio_http_requests_total", "studio_http_request_duration_seconds_bucket", "studio_websocket_clients"):
        assert family in queried, family


def test_the_dashboard_follows_grafanas_model() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["uid"] and dashboard["title"]
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["type"] in {"timeseries", "stat"}
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(set(refs)) == len(refs) and all(target["datasource"] == panel["datasource"] for target in panel["targets"])
        # Balanced brackets: a cheap check that no query was cut or mistyped.
        for target in panel["targets"]:
            for opening, closing in ("()", "[]", "{}"):
                assert target["expr"].count(opening) == target["expr"].count(closing), target["expr"]
