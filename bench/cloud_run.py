"""AWS calls per cloud run: a run of the builtin agent (no URLs) from the
trigger URL through the worker and the Cloud Sandbox to its end.

    .venv/bin/python bench/cloud_run.py [--runs 50]

Everything runs in this process against moto (`mock_aws`), with the app on
chalice's test client: the trigger URL handler, the worker handler (places
and starts the run, sends its work to the sandbox queue), the sandbox handler
(works the session and reports it to the API's lease routes with the run's
lease token, over the test client instead of HTTPS). Every botocore API call
is counted (a hook on `BaseClient._make_api_call`) per phase and operation.
The queue receives and deletes this harness makes stand for Lambda's event
source mappings and are counted apart.
"""
import argparse
import json
import os
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "TABLE_PREFIX": "bench-cloud", "AGENT_BACKEND": "builtin",
                   "CLOUD_SANDBOX": "queue", "PUBLIC_BASE_URL": "http://bench.invalid",
                   "SANDBOX_API_URL": "http://bench.invalid"})
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_name, None)

import botocore.client  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

PHASE = ["harness"]
CALLS: Counter = Counter()
_original = botocore.client.BaseClient._make_api_call


def _counting(self, operation, params):
    CALLS[(PHASE[0], self.meta.service_model.service_name, operation)] += 1
    return _original(self, operation, params)


@contextmanager
def phase(name):
    PHASE[0] = name
    try:
        yield
    finally:
        PHASE[0] = "harness"


def _records(sqs, url):
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in got]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    with mock_aws():
        from app import app  # reads the settings set above (a cold start)
        from chalicelib import settings, worker
        from chalicelib.clock import utcnow
        from chalicelib.environments import sandbox
        from chalicelib.identity import directory
        from chalicelib.store import repos, tables
        from devstack.transport import ChaliceTransport

        tables.ensure_tables()
        queues = tables.ensure_queues()
        settings.install(replace(settings.current(), runs_queue_url=queues["runs"], fanout_queue_url=queues["fanout"],
                                 runs_dlq_url=queues["runs_dlq"], sandbox_queue_url=queues["sandbox"]))
        _, key = directory.create_account("Bench", "bench@example.com", utcnow())
        botocore.client.BaseClient._make_api_call = _counting
        with Client(app, stage_name="local") as client:
            http, sqs = ChaliceTransport(client), repos.queues.client()
            made = http.request("POST", "/automations", json={
                "name": "cloud bench", "team_id": 0, "task_prompt": "Summarise how the recent runs went.",
                "environment": {"type": "cloud_sandbox"}, "overlap": "allow", "triggers": [{"type": "api"}]},
                headers={"Authorization": f"Bearer {key}"}).json()
            trigger = made["api_trigger"]
            CALLS.clear()
            for i in range(args.runs):
                with phase("trigger URL (api_handler)"):
                    http.request("POST", trigger["url"], json={"text": f"run {i}"},
                                 headers={"Authorization": f"Bearer {trigger['token']}"})
                batch = _records(sqs, queues["runs"])
                with phase("worker"):
                    worker.handle_batch(batch)
                work = _records(sqs, queues["sandbox"])
                with phase("sandbox -> lease routes (api_handler)"):
                    sandbox.handle(work, http=http)
        botocore.client.BaseClient._make_api_call = _original
        statuses = Counter(r.status for r in repos.runs.every())
    runs = args.runs
    print(f"== AWS calls per cloud run (builtin agent, no URLs, Cloud Sandbox), {runs} runs")
    by_phase = Counter()
    for (ph, service, op), n in sorted(CALLS.items()):
        by_phase[ph] += n
        if ph != "harness":
            print(f"  {ph:40s} {service}:{op:22s} {n / runs:5.2f}")
    total = sum(n for ph, n in by_phase.items() if ph != "harness")
    for ph, n in by_phase.items():
        if ph != "harness":
            print(f"{ph:42s} {n / runs:5.2f} calls per run")
    print(f"{'total':42s} {total / runs:5.2f} calls per run "
          f"(plus {by_phase['harness'] / runs:.2f} queue receives/deletes that Lambda's event source mappings make)")
    print("final status: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    print(json.dumps({"calls_per_run": round(total / runs, 2)}))
    return 0 if statuses == Counter({"succeeded": runs}) else 1


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    sys.exit(main())
