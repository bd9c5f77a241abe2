"""Benchmark of alert ingestion: Alertmanager deliveries into an integration
on the local stack.

    .venv/bin/python bench/ingest.py [--deliveries 40] [--alerts 100] [--json]

It starts its own local stack (`python -m devstack`, in a temporary
STACK_DIR on free ports of 127.0.0.1), makes an Alertmanager integration
over HTTP, and measures:

- alerts per second over real HTTP: `--deliveries` deliveries of `--alerts`
  new firing alerts each (every alert a new fingerprint), then as many
  deliveries resolving them, sequentially, with p50/p99 latency per delivery;
- DynamoDB requests per alert: `fire.receive_hook` (what `POST /hooks/{id}`
  runs) in-process against the stack's moto, every botocore call counted, for
  deliveries of 1, 10 and 100 alerts (the per-delivery costs spread over the
  delivery's alerts; the goal is at most 2 per alert).

Everything stays on 127.0.0.1; every loop is bounded in count and time.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF documents would drown the figures

from bench.trigger import HTTP_TIMEOUT, AllClientsCounter, Stack, configure_aws_env, percentile  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "vendors" / "alertmanager-firing.json"


def delivery(run: str, first: int, count: int, status: str) -> bytes:
    """An Alertmanager delivery of `count` alerts (fingerprints first..first+count) as the real one is shaped."""
    body = json.loads(FIXTURE.read_bytes())
    template = body["alerts"][0]
    alerts = []
    for n in range(first, first + count):
        alert = {**template, "status": status, "fingerprint": f"{run}{n:010x}"[-16:],
                 "labels": {**template["labels"], "instance": f"pod-{n}:8080"}}
        if status == "resolved":
            alert["endsAt"] = "2026-12-06T21:40:00Z"
        alerts.append(alert)
    body.update(status=status, alerts=alerts)
    return json.dumps(body).encode()


def make_integration(api_url: str, api_key: str) -> dict:
    resp = requests.post(f"{api_url}/integrations", json={"type": "alertmanager", "name": "bench"},
                         headers={"Authorization": f"Bearer {api_key}"}, timeout=HTTP_TIMEOUT)
    resp.raise_for_status()
    return resp.json()


def http_phase(made: dict, deliveries: int, alerts: int, max_seconds: float) -> dict:
    url, headers = made["integration"]["url"], {"Authorization": f"Bearer {made['secret']}",
                                                "Content-Type": "application/json"}
    run, times, stored, failures = uuid.uuid4().hex[:6], [], 0, 0
    started = time.perf_counter()
    with requests.Session() as http:
        for status in ("firing", "resolved"):
            for d in range(deliveries):
                if time.perf_counter() - started > max_seconds:
                    break
                body = delivery(run, d * alerts, alerts, status)
                t0 = time.perf_counter()
                resp = http.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT)
                times.append((time.perf_counter() - t0) * 1000)
                if resp.status_code != 200:
                    failures += 1
                    continue
                stored += resp.json()["received"]["alerts"]
    elapsed = time.perf_counter() - started
    times.sort()  # percentile() takes sorted values
    return {"deliveries": len(times), "alert_arrivals": stored, "seconds": round(elapsed, 2),
            "alerts_per_second": round(stored / elapsed, 1), "p50_ms": round(percentile(times, 50), 1),
            "p99_ms": round(percentile(times, 99), 1), "non_200": failures}


def aws_calls_phase(aws_endpoint: str, integration_id: str, secret: str, sizes: list[int]) -> list[dict]:
    """fire.receive_hook in-process against the stack's moto: DynamoDB requests per alert by delivery size."""
    configure_aws_env(aws_endpoint)
    from chalicelib.clock import utcnow
    from chalicelib.runs import fire

    headers = {"authorization": f"Bearer {secret}"}
    fire.receive_hook(integration_id, headers, delivery("warm00", 0, 1, "firing"), utcnow())  # warm the clients
    out = []
    counter = AllClientsCounter()
    try:
        for size in sizes:
            for status in ("firing", "resolved"):
                run = f"aw{size:04d}"
                counter.reset()
                answer = fire.receive_hook(integration_id, headers, delivery(run, 0, size, status), utcnow())
                assert answer["received"]["alerts"] == size, answer
                dynamodb = sum(n for op, n in counter.names.items() if op not in ("SendMessage", "SendMessageBatch"))
                out.append({"alerts": size, "status": status, "dynamodb_requests": dynamodb,
                            "per_alert": round(dynamodb / size, 2),
                            "by_operation": dict(sorted(counter.names.items()))})
    finally:
        counter.close()
    return out


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        stack = Stack(Path(tmp), engine=False)
        print(f"starting the local stack (API port {stack.api_port}, moto port {stack.moto_port}) …", flush=True)
        try:
            info = stack.start()
            made = make_integration(info["api_url"], info["api_key"])
            print(f"{args.deliveries} deliveries of {args.alerts} firing alerts, then as many resolving them …",
                  flush=True)
            http = http_phase(made, args.deliveries, args.alerts, args.max_seconds)
            print("counting DynamoDB requests per alert in-process …", flush=True)
            aws = aws_calls_phase(info["aws_endpoint"], made["integration"]["id"], made["secret"], [1, 10, 100])
        finally:
            code = stack.stop()
            print(f"stack stopped (exit code {code})", flush=True)
    return {"http": http, "aws_calls": aws}


def report(fig: dict) -> None:
    h = fig["http"]
    print("", "=" * 78, "SUMMARY  Alertmanager deliveries into an integration (local stack)", sep="\n")
    print(f"  over HTTP      : {h['alert_arrivals']} alert arrivals in {h['deliveries']} deliveries, {h['seconds']} s "
          f"= {h['alerts_per_second']} alerts/s; per delivery p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms; "
          f"non-200 {h['non_200']}")
    for row in fig["aws_calls"]:
        ops = ", ".join(f"{k} {v}" for k, v in row["by_operation"].items())
        print(f"  {row['alerts']:>3} {row['status']:<8} alert(s) per delivery: {row['dynamodb_requests']} DynamoDB "
              f"requests = {row['per_alert']} per alert ({ops})")
    print("=" * 78)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=40)
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args)
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
