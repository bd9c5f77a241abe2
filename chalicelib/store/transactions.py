"""DynamoDB transactions through pynamodb, on the models' region."""
import functools

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from chalicelib import settings


@functools.cache
def _connection(region: str | None) -> Connection:
    # One per container, as the models have: a new Connection builds a new botocore client on first use,
    # which cost about 175 ms per save when every transaction made its own.
    return Connection(region=region)


def transaction() -> TransactWrite:
    """A write transaction: every save/update/delete in it lands, or none does."""
    return TransactWrite(connection=_connection(settings.get("AWS_DEFAULT_REGION")))
