"""SQS batches through Powertools' batch processor: each message on its own,
failures reported per message (`batchItemFailures`), so one retry or one poison
message does not redeliver the whole batch; each message's log lines carry the
ids it names."""
import json
import logging

from chalicelib.observability import bound

log = logging.getLogger(__name__)
IDS = ("account_id", "automation_id", "run_id")


class RetryLater(Exception):
    """Not a failure: the message was made visible again later on purpose."""


def process(records: list[dict], handle, what: str = "message") -> dict:
    """Run `handle(message: dict, record)` for each record (Lambda's SQS shape);
    a raised exception fails that message only. A whole batch that fails is
    still answered per message (never one error for all), as before."""
    def one(record):
        with bound(message_id=record.message_id):
            try:
                message = json.loads(record.body)
                with bound(**{k: message.get(k) for k in IDS}):
                    return handle(message, record)
            except RetryLater:
                raise
            except Exception:
                log.exception("%s %s failed", what, record.message_id)
                raise
    # Imported here: a function that handles no batch (the API, the ticks) never pays for it at a cold start.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # One processor per batch: the local stack's pollers call handlers from several threads.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event={"Records": records}, record_handler=one, processor=processor)
