"""Named secrets of an account (webhook URLs, API tokens), kept in AWS Secrets
Manager as `sre-automations/<account_id>/<name>`. Values are written through the
API and read only by actions at send time; no route ever returns one."""
import re

import botocore.exceptions

from chalicelib import aws
from chalicelib.clock import iso
from chalicelib.errors import Invalid, NotFound, Unavailable

PREFIX = "sre-automations"
MAX_VALUE_BYTES = 10 * 1024
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")  # the whole name (fullmatch: no trailing newline)
_TRANSIENT = ("ThrottlingException", "InternalServiceError", "ServiceUnavailable", "RequestTimeout")


class SecretNotFound(NotFound):
    """No secret of that name in the account."""


class SecretUnavailable(Unavailable):
    """Secrets Manager could not answer now; worth trying again."""


def check_name(name, field: str = "name") -> str:
    """A secret name: 1-128 characters of letters, digits, `_`, `.` and `-`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise Invalid(f"{field} must be a secret name of 1-128 letters, digits, '_', '.' or '-'; got {name!r}",
                      field=field)
    return name


def secret_id(account_id: str, name: str) -> str:
    """The Secrets Manager name of an account's secret."""
    if not account_id or "/" in account_id:
        raise ValueError(f"bad account id {account_id!r}")
    return f"{PREFIX}/{account_id}/{check_name(name)}"


def _client():
    return aws.client("secretsmanager")


def _unavailable(name: str, exc: Exception) -> SecretUnavailable:
    return SecretUnavailable(f"cannot reach the secret store for secret {name!r} now; try again ({exc})")


def put_secret(account_id: str, name: str, value) -> bool:
    """Create or replace a secret's value; True when it was created."""
    check_name(name)
    if not isinstance(value, str) or not value or len(value.encode()) > MAX_VALUE_BYTES:
        raise Invalid(f"value must be a non-empty string of at most {MAX_VALUE_BYTES} bytes", field="value")
    client, sid = _client(), secret_id(account_id, name)
    try:
        try:
            client.create_secret(Name=sid, SecretString=value, Tags=[{"Key": "account_id", "Value": account_id}])
            return True
        except (client.exceptions.ResourceExistsException, client.exceptions.InvalidRequestException):
            pass  # it exists, perhaps scheduled for deletion (AWS answers InvalidRequest then)
        if "DeletedDate" in client.describe_secret(SecretId=sid):
            client.restore_secret(SecretId=sid)  # writing a deleted secret again revives it
        client.put_secret_value(SecretId=sid, SecretString=value)
        return False
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _TRANSIENT:
            raise _unavailable(name, exc) from exc
        raise
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise _unavailable(name, exc) from exc


def list_names(account_id: str) -> list[dict]:
    """The account's secrets by name (never a value), with when each last changed."""
    prefix = secret_id(account_id, "x")[:-1]  # "sre-automations/<account>/"
    out = []
    try:
        pages = _client().get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [prefix]}])
        for page in pages:
            for item in page["SecretList"]:
                if item["Name"].startswith(prefix) and "DeletedDate" not in item:
                    changed = item.get("LastChangedDate") or item.get("CreatedDate")
                    out.append({"name": item["Name"][len(prefix):],
                                "updated_at": iso(changed) if changed else None})
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _TRANSIENT:
            raise _unavailable("list", exc) from exc
        raise
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise _unavailable("list", exc) from exc
    return sorted(out, key=lambda s: s["name"])


def get_secret(account_id: str, name: str) -> str:
    """A secret's value. SecretNotFound when there is none (or it is being
    deleted); SecretUnavailable when the store cannot answer now."""
    try:
        answer = _client().get_secret_value(SecretId=secret_id(account_id, name))
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT:
            raise _unavailable(name, exc) from exc
        if code in ("ResourceNotFoundException", "InvalidRequestException"):
            raise SecretNotFound(f"there is no secret named {name!r}; create it with PUT /secrets/{name}") from exc
        raise
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise _unavailable(name, exc) from exc
    if not answer.get("SecretString"):
        raise SecretNotFound(f"the secret {name!r} has no text value; write it again with PUT /secrets/{name}")
    return answer["SecretString"]


def secret_exists(account_id: str, name: str) -> bool:
    """Whether the account has a secret of that name (without reading its value)."""
    try:
        answer = _client().describe_secret(SecretId=secret_id(account_id, name))
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return "DeletedDate" not in answer  # one scheduled for deletion cannot be read
