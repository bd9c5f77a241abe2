"""Named secrets per account in (moto's) AWS Secrets Manager."""
import boto3
import pytest

from chalicelib import secrets
from chalicelib.errors import Invalid


def test_put_get_update(aws):
    assert secrets.put_secret("acct_1", "slack-ops", "https://hooks.example.com/1") is True
    assert secrets.get_secret("acct_1", "slack-ops") == "https://hooks.example.com/1"
    assert secrets.put_secret("acct_1", "slack-ops", "https://hooks.example.com/2") is False
    assert secrets.get_secret("acct_1", "slack-ops") == "https://hooks.example.com/2"
    stored = boto3.client("secretsmanager").describe_secret(SecretId="sre-automations/acct_1/slack-ops")
    assert {"Key": "account_id", "Value": "acct_1"} in stored["Tags"]


def test_accounts_are_separate(aws):
    secrets.put_secret("acct_1", "token", "one")
    assert secrets.secret_exists("acct_1", "token")
    assert not secrets.secret_exists("acct_2", "token")
    with pytest.raises(secrets.SecretNotFound, match="no secret named 'token'"):
        secrets.get_secret("acct_2", "token")


def test_deleted_secret_is_missing_and_can_be_written_again(aws):
    secrets.put_secret("acct_1", "pd.key", "v1")
    boto3.client("secretsmanager").delete_secret(SecretId="sre-automations/acct_1/pd.key")
    assert not secrets.secret_exists("acct_1", "pd.key")
    with pytest.raises(secrets.SecretNotFound):
        secrets.get_secret("acct_1", "pd.key")
    assert secrets.put_secret("acct_1", "pd.key", "v2") is False
    assert secrets.get_secret("acct_1", "pd.key") == "v2"


@pytest.mark.parametrize("name", ["", "a/b", "x" * 129, "with space", "../up", None, 7])
def test_bad_names(aws, name):
    with pytest.raises(Invalid, match="name must be a secret name"):
        secrets.put_secret("acct_1", name, "value")


@pytest.mark.parametrize("value", ["", None, 5, "x" * (10 * 1024 + 1), "é" * (5 * 1024 + 1)])
def test_bad_values(aws, value):
    with pytest.raises(Invalid, match="value must be a non-empty string of at most 10240 bytes"):
        secrets.put_secret("acct_1", "ok-name", value)


def test_largest_value_fits(aws):
    secrets.put_secret("acct_1", "big", "x" * 10 * 1024)
    assert len(secrets.get_secret("acct_1", "big")) == 10 * 1024
