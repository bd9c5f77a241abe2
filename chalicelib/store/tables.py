"""Creating the tables and queues where CloudFormation does not (the local
stack and tests), and emptying them (tests)."""
import json

import boto3

from chalicelib.store import config
from chalicelib.store.models import ALL_MODELS, ttl_attribute


def ensure_tables() -> None:
    """Create every table that does not exist yet, with TTL where declared."""
    for model in ALL_MODELS:
        if model.exists():
            continue
        model.create_table(wait=True)
        ttl = ttl_attribute(model)
        if ttl:
            boto3.client("dynamodb", region_name=model.Meta.region).update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})


def ensure_queues(sqs=None) -> dict:
    """Create the runs queue and its dead-letter queue, the fan-out and sandbox queues; return their URLs."""

    sqs = sqs or boto3.client("sqs", region_name=config()["region"])
    prefix = config()["table_prefix"]
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-runs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    runs_url = sqs.create_queue(
        QueueName=f"{prefix}-runs",
        Attributes={"VisibilityTimeout": "960",
                    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    fanout_dlq_url = sqs.create_queue(QueueName=f"{prefix}-fanout-dlq")["QueueUrl"]
    fanout_dlq_arn = sqs.get_queue_attributes(QueueUrl=fanout_dlq_url,
                                              AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fanout_url = sqs.create_queue(  # a job that always fails stops after 5 tries instead of for 4 days
        QueueName=f"{prefix}-fanout",
        Attributes={"VisibilityTimeout": "120",
                    "RedrivePolicy": json.dumps({"deadLetterTargetArn": fanout_dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    sandbox_url = sqs.create_queue(QueueName=f"{prefix}-sandbox", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    return {"runs": runs_url, "runs_dlq": dlq_url, "fanout": fanout_url, "fanout_dlq": fanout_dlq_url,
            "sandbox": sandbox_url}


def table_names() -> list[str]:
    """The names of every table, as configured."""
    return [model.Meta.table_name for model in ALL_MODELS]


def empty_tables() -> None:
    """Delete every item of every table (tests: much cheaper than new tables)."""
    for model in ALL_MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)
