"""The first account owner of a deployed stack (the `bootstrap` Lambda, which
`make deploy OWNER_EMAIL=…` invokes once; only those who may invoke Lambda
functions in the AWS account can call it, and it has no HTTP route).

It refuses when the stack has an account already, so it can never hand out a
second owner; two calls at once cannot both succeed either (the first
account's id is fixed and written only if it does not exist)."""
import logging

from chalicelib.errors import Invalid
from chalicelib.identity import directory
from chalicelib.store import ConditionFailed

FIRST_ACCOUNT_ID = "acc_first"
REFUSED = ("This stack already has an account, so it was not bootstrapped again. "
           "The owner or an admin adds people with POST /users.")
log = logging.getLogger(__name__)


def bootstrap(event: dict, now) -> dict:
    """`{"owner_email", "account_name"?}` → `{"created": true, "owner", "api_key"}`
    (the key is shown this once), or `{"created": false, "message"}`."""
    event = event if isinstance(event, dict) else {}
    try:
        email = directory.checked_email(event.get("owner_email"))
    except Invalid as exc:
        return {"created": False, "message": f"owner_email: {exc}"}
    name = event.get("account_name") or "Account"
    if not isinstance(name, str) or len(name) > 255:
        return {"created": False, "message": "account_name must be a string of at most 255 characters"}
    if directory.any_account_exists():
        log.warning("bootstrap refused: an account exists")
        return {"created": False, "message": REFUSED}
    try:
        owner, api_key = directory.create_account(name.strip() or "Account", email, now, account_id=FIRST_ACCOUNT_ID)
    except ConditionFailed:
        return {"created": False, "message": REFUSED}
    log.info("bootstrapped the account owner", extra={"account_id": owner.account_id, "user_id": owner.id})
    return {"created": True, "owner": directory.user_json(owner), "api_key": api_key}
