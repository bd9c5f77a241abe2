"""AWS clients of the service, in its configured region (`configure`, called
when the settings are installed); made by the agent runtime's client factory."""
from sre_agent import aws

_region = {"name": "us-east-1"}


def configure(region: str) -> None:
    """The region clients are made for."""
    _region["name"] = region


def client(service: str, config=None):
    """The client of a service in the configured region (cached unless `config` is given)."""
    return aws.client(service, _region["name"], config)
