"""AWS clients on plain botocore: one session per process, one client per
service and region. (Importing boto3 would also import s3transfer, which a
Lambda cold start pays for and nothing here uses.)"""
from functools import cache, lru_cache

import botocore.session


@lru_cache(maxsize=1)
def _session():
    return botocore.session.get_session()


@cache
def _client(service: str, region: str):
    return _session().create_client(service, region_name=region)


def client(service: str, region: str, config=None):
    """The client of a service in a region (cached unless `config` is given)."""
    if config is not None:
        return _session().create_client(service, region_name=region, config=config)
    return _client(service, region)
