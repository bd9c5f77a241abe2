"""`make tick AT=2026-11-24T08:00:00Z`: fire the scheduler tick for a given time
(floored to its quarter hour; an offset such as +01:00 is converted to UTC)
against the running local stack (its engine then fans out and runs). It fires
that tick only: it neither catches up ticks before it nor counts as the
scheduler's last completed tick, and it fires every rule scheduled now, even
one created after that time (a test of a schedule, not the scheduler's own
tick).
`make tick MINUTE=1`: fire the minute tick now (lost leases, runner queue
limits, the reaper, the sweeper, proactive triggers, runner health) without
waiting for the stack's own."""
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid) -> bool:
    """Whether the process that wrote stack.json still runs."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> int:
    """Queue the fan-out jobs for the hour given as an ISO time."""
    minute = argv[:1] == ["--minute"]
    if minute:
        argv = argv[1:] or ["now"]
    if len(argv) != 1:
        print("usage: make tick AT=2026-11-24T08:00:00Z  |  make tick MINUTE=1", file=sys.stderr)
        return 2
    stack_file = Path(os.environ.get("STACK_DIR", ROOT / ".local")) / "stack.json"
    if not stack_file.exists():
        print(f"no running stack ({stack_file} is missing): start it with make run", file=sys.stderr)
        return 1
    stack = json.loads(stack_file.read_text())
    if not _alive(stack.get("pid")):
        print(f"no running stack ({stack_file} is left from one that stopped): start it with make run",
              file=sys.stderr)
        return 1
    # The AWS SDK reads its endpoint and credentials from the environment: the stack's moto.
    os.environ.update(AWS_ENDPOINT_URL=stack["aws_endpoint"], AWS_ACCESS_KEY_ID="local",
                      AWS_SECRET_ACCESS_KEY="local", AWS_SESSION_TOKEN="local",
                      AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    import boto3
    import botocore.exceptions

    from chalicelib import settings
    from chalicelib.clock import parse_iso, utcnow
    from chalicelib.runs import tick
    from devstack.stack import LOCAL_DEFAULTS

    try:
        at = utcnow() if argv[0] == "now" else parse_iso(argv[0])
    except ValueError:
        print(f"AT must be an ISO time such as 2026-11-24T08:00:00Z or 2026-11-24T09:00:00+01:00; got {argv[0]!r}",
              file=sys.stderr)
        return 2
    local = settings.from_env({**LOCAL_DEFAULTS, "PUBLIC_BASE_URL": stack["api_url"], **os.environ})
    prefix = local.table_prefix
    try:
        sqs = boto3.client("sqs")
        settings.install(replace(
            local, fanout_queue_url=sqs.get_queue_url(QueueName=f"{prefix}-fanout")["QueueUrl"],
            runs_queue_url=sqs.get_queue_url(QueueName=f"{prefix}-runs")["QueueUrl"],
            runs_dlq_url=sqs.get_queue_url(QueueName=f"{prefix}-runs-dlq")["QueueUrl"],
            sandbox_queue_url=sqs.get_queue_url(QueueName=f"{prefix}-sandbox")["QueueUrl"]))
        if minute:
            import app
            from devstack.engine import scheduled_event
            print(json.dumps(app.minute_tick(scheduled_event(at, "minute_tick"), None)))
            return 0
        summary = tick.scheduler_tick(at, catch_up_missed=False, manual=True)
    except botocore.exceptions.EndpointConnectionError:
        print(f"no running stack answers at {stack['aws_endpoint']}: start it with make run", file=sys.stderr)
        return 1
    local = [key for key in summary["keys"] if len(key.split()) == 3]
    print(f"scheduler tick for {summary['tick']}: {summary['jobs']} fan-out jobs queued"
          + (f" (local hours due: {', '.join(local)})" if local else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
