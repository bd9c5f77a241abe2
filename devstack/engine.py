"""The local stack's stand-in for Lambda's event sources: it long-polls the SQS
queues and hands each batch, in Lambda's event shape, to the same handler
functions Lambda calls; it fires the scheduler tick every 15 minutes and the
minute tick every minute. Messages a handler reports as failed stay in the
queue (their visibility timeout brings them back), as with Lambda."""
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
from chalice.local import LambdaContext

from chalicelib.rules.local_time import TICK_MINUTES

log = logging.getLogger("devstack.engine")


def _lambda_event(messages: list[dict], queue_arn: str) -> dict:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"} for m in messages]}


def scheduled_event(at: datetime, rule: str) -> dict:
    """An EventBridge "Scheduled Event" for the minute `at`, with every field
    the real one has (Chalice's CloudWatchEvent reads them all)."""
    region = boto3.session.Session().region_name or "us-east-1"
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [f"arn:aws:events:{region}:000000000000:rule/sre-automations-local-{rule}"], "detail": {}}


def _context(app, handler) -> LambdaContext:
    """What Lambda hands every invocation: the function's name and a request id."""
    name = next((n for n, h in app.handler_map.items() if h is handler), "handler")
    return LambdaContext(f"sre-automations-local-{name}", memory_size=512)


class Engine:
    """Pollers and tickers on threads; `stop()` ends them."""

    def __init__(self, queues: dict, runs_pollers: int = 2, sandbox=None):
        import app  # the Chalice app: the handlers Lambda would call

        self.app, self.stopping, self.sandbox = app, threading.Event(), sandbox
        self.sqs = boto3.client("sqs")
        self.threads = [threading.Thread(target=self._poll, args=(queues["fanout"], app.fan_out, 10), daemon=True),
                        threading.Thread(target=self._poll, args=(queues["runs_dlq"], app.dead_letters, 10),
                                         daemon=True),
                        threading.Thread(target=self._tick, daemon=True)]
        self.threads += [threading.Thread(target=self._poll, args=(queues["runs"], app.run_worker, 5), daemon=True)
                         for _ in range(runs_pollers)]
        if sandbox is not None:
            self.threads.append(threading.Thread(target=self._poll, args=(queues["sandbox"], self._to_sandbox, 1),
                                                 daemon=True))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            if thread.ident is not None:  # started
                thread.join(timeout=5)

    def _poll(self, queue_url: str, handler, batch_size: int) -> None:
        arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while not self.stopping.is_set():
            try:
                got = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch_size,
                                               WaitTimeSeconds=1, AttributeNames=["All"])
                messages = got.get("Messages", [])
                if not messages:
                    continue
                answer = handler(_lambda_event(messages, arn), _context(self.app.app, handler)) or {}
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages) if m["MessageId"] not in failed]
                if done:
                    self.sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
            except Exception:  # a poller must survive anything a handler or moto throws
                if not self.stopping.is_set():
                    log.exception("polling %s failed", queue_url)
                    time.sleep(1)

    def _to_sandbox(self, event: dict, _context) -> dict:
        """Deliver a batch to the sandbox process (Lambda's event source mapping, locally)."""
        if self.sandbox.poll() is not None:
            raise RuntimeError(f"the sandbox process exited with {self.sandbox.returncode}")
        self.sandbox.stdin.write((json.dumps(event) + "\n").encode())
        self.sandbox.stdin.flush()
        return {"batchItemFailures": []}

    def _tick(self) -> None:
        now = datetime.now(UTC)
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while not self.stopping.wait(max(0.0, (next_minute - datetime.now(UTC)).total_seconds())):
            ticks = [("minute_tick", self.app.minute_tick)]
            if next_minute.minute % TICK_MINUTES == 0:
                ticks.append(("scheduler_tick", self.app.scheduler_tick))
            for name, handler in ticks:
                try:  # one failing tick must not keep the other from running
                    handler(scheduled_event(next_minute, name), _context(self.app.app, handler))
                except Exception:
                    log.exception("%s at %s failed", name, next_minute.isoformat())
            next_minute += timedelta(minutes=1)
