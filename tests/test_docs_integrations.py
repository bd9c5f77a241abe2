"""docs/integrations.md stays true to the code: its canonical event examples
are accepted by POST /events and build what it says, a field it calls
required is refused when missing, its YAML parses, and the names and mapping
defaults it lists are the ones the code has."""
import json
import re

import pytest
import yaml

from chalicelib.ops.arrivals import INCIDENT_WHATS
from chalicelib.ops.vendors import VENDORS
from tests.test_docs import ROOT

DOC = (ROOT / "docs" / "integrations.md").read_text()
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(language: str, marker: str | None = None) -> list:
    """The fenced blocks of a language (only those right after `<!-- marker -->` when given)."""
    found = []
    for fence in FENCE.finditer(DOC):
        before = DOC[:fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if fence.group(1) == language and (marker is None or before.strip() == f"<!-- {marker} -->"):
            found.append(fence.group(2))
    return found


def table_after(title: str) -> list[list[str]]:
    """The rows (cells, without their backticks) of the first table after a line starting with `title`."""
    rest = DOC[DOC.index(title):]
    rows = re.findall(r"^\|(.+)\|$", rest[rest.index("\n|"):].split("\n\n", 1)[0], re.M)
    return [[cell.strip().strip("`") for cell in row.split("|")] for row in rows[2:]]


def test_the_canonical_examples_are_accepted_and_build_what_the_doc_says(api, owner):
    examples = blocks("json", "events example")
    assert len(examples) == 3
    for example in examples:
        answer = api.ok("POST", "/events", owner, json.loads(example), status=202)
        assert answer["rejected"] == [] and answer["accepted"], answer
    firings = api.ok("GET", "/alerts/events/disk-full-db1", owner)["firings"]
    assert firings == [{"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T10:40:00Z", "acked_by": None,
                        "acked_at": None, "duration_seconds": 2400}]  # the resolved event ended its one firing
    incident = api.ok("GET", "/incidents/events/INC-7", owner)
    assert [e["what"] for e in incident["timeline"]] == ["triggered", "acknowledged", "resolved"]
    assert incident["metrics"]["time_to_resolve_seconds"] == 36 * 60
    assert [c["key"] for c in incident["changes"]] == ["events#deploy-42"]


@pytest.mark.parametrize(("family", "name", "payload"), [
    ("**Alerts**", "alert.firing", {"name": "DiskFull"}),
    ("**Incidents**", "incident.triggered", {"title": "Database disk full"}),
    ("**Changes**", "change.deployed", {"service": "db"}),
])
def test_a_field_the_doc_calls_required_is_refused_when_missing(api, owner, family, name, payload):
    required = [row[0] for row in table_after(family) if row[1] == "required"]
    assert set(required) <= set(payload)
    assert api.ok("POST", "/events", owner, {"event": name, "resource": {"id": "x1"}, "payload": payload},
                  status=202)["rejected"] == []
    for field in required:
        code, answer = api.call("POST", "/events", owner, {"event": name, "resource": {"id": "x2"},
                                                           "payload": {k: v for k, v in payload.items() if k != field}})
        assert code == 400 and answer["rejected"][0]["field"] == f"payload.{field}", answer


def test_the_incident_events_listed_are_the_ones_the_model_takes():
    listed = re.findall(r"`incident\.(\w+)`", DOC.split("## Canonical events", 1)[1].split("Other names", 1)[0])
    assert listed == list(INCIDENT_WHATS)


def test_the_yaml_to_paste_parses():
    found = blocks("yaml")
    assert len(found) == 2
    receivers = yaml.safe_load(found[0])["receivers"][0]["webhook_configs"][0]
    assert receivers["send_resolved"] is True and receivers["http_config"]["authorization"]["type"] == "Bearer"
    grafana = yaml.safe_load(found[1])["contactPoints"][0]["receivers"][0]
    assert grafana["type"] == "webhook" and grafana["settings"]["authorization_scheme"] == "Bearer"


def test_the_mapping_defaults_listed_are_the_codes():
    """Each vendor the code has: its row of the doc's table shows its default mapping."""
    rows = {row[0]: row[1] for row in table_after("What the names are, per tool")}
    by_type = {name.strip("` "): default.strip("`") for types, default in rows.items() for name in types.split(",")}
    assert set(by_type) == {"alertmanager", "grafana", "pagerduty", "cloudwatch", "github"}
    assert VENDORS  # at least Alertmanager
    for type_name, vendor in VENDORS.items():
        shown = json.loads(by_type[type_name])
        assert shown == {k: v for k, v in vendor.default_mapping.items() if v is not None}, type_name
