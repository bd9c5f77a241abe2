"""The queues (SQS), by name: `runs` (runs and action sends), `fanout` (the
tick's fan-out jobs), `sandbox` (work for the cloud sandbox) and `runs_dlq`.
Their URLs come with the store's configuration."""
import json

from chalicelib import aws

BATCH = 10  # SQS takes at most ten messages per SendMessageBatch
DEPTH = {"ApproximateNumberOfMessages": "visible", "ApproximateNumberOfMessagesNotVisible": "in_flight",
         "ApproximateNumberOfMessagesDelayed": "delayed"}


class SqsQueues:
    """The service's SQS queues."""

    def __init__(self, config: dict):
        self._config = config  # the store's configuration, read at each call (tests change the URLs)

    @staticmethod
    def client():
        """The SQS client, made once per container (cold-start cost, not per call)."""
        return aws.client("sqs")

    def url(self, name: str) -> str:
        """A queue's URL; RuntimeError when the deployment did not set it."""
        url = self._config["queues"].get(name)
        if not url:
            raise RuntimeError(f"the {name} queue's URL is not set: this function cannot reach it")
        return url

    def send(self, name: str, body: dict, delay_seconds: int = 0) -> None:
        """One message (a JSON body)."""
        self.client().send_message(QueueUrl=self.url(name), MessageBody=json.dumps(body, default=str),
                                   DelaySeconds=delay_seconds)

    def send_batch(self, name: str, entries: list[dict]) -> list[dict]:
        """SendMessageBatch in tens (entries: {"Id", "MessageBody", "DelaySeconds"?});
        returns the entries SQS did not take."""
        failed, url = [], self.url(name)
        for start in range(0, len(entries), BATCH):
            batch = entries[start:start + BATCH]
            answer = self.client().send_message_batch(QueueUrl=url, Entries=batch)
            refused = {f["Id"] for f in answer.get("Failed") or []}
            failed += [entry for entry in batch if entry["Id"] in refused]
        return failed

    def delay(self, name: str, receipt_handle: str, seconds: int) -> None:
        """Make a received message visible again only after `seconds`."""
        self.client().change_message_visibility(QueueUrl=self.url(name), ReceiptHandle=receipt_handle,
                                                VisibilityTimeout=seconds)

    def depth(self, name: str) -> dict:
        """How many messages wait (visible, in flight, delayed) and their sum."""
        attributes = self.client().get_queue_attributes(QueueUrl=self.url(name),
                                                        AttributeNames=list(DEPTH))["Attributes"]
        counts = {label: int(attributes.get(attr, 0)) for attr, label in DEPTH.items()}
        return {"depth": sum(counts.values()), **counts}
