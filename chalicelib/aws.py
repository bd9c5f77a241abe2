"""AWS clients on plain botocore: one session per container, one client per
service. (Importing boto3 would also import s3transfer, which a Lambda cold
start pays for and this service never uses.)"""
from functools import cache, lru_cache

import botocore.session

from chalicelib import settings


@lru_cache(maxsize=1)
def _session():
    return botocore.session.get_session()


@cache
def _client(service: str, region: str):
    return _session().create_client(service, region_name=region)


def client(service: str, config=None):
    """The client of a service in the configured region (cached unless `config` is given)."""
    region = settings.get("AWS_DEFAULT_REGION")
    if config is not None:
        return _session().create_client(service, region_name=region, config=config)
    return _client(service, region)
