"""DynamoDB transactions through pynamodb, on the models' region."""
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from chalicelib import settings


def transaction() -> TransactWrite:
    """A write transaction: every save/update/delete in it lands, or none does."""
    return TransactWrite(connection=Connection(region=settings.get("AWS_DEFAULT_REGION")))
