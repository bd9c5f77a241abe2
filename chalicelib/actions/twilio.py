"""Twilio: a text message to each phone number, sent through a messaging
service. The auth token is kept in a named secret; the account SID is not secret."""
import re

from chalicelib import settings
from chalicelib.actions import fields
from chalicelib.actions.base import message
from chalicelib.actions.outbound import HttpAction, Outbound

MAX_TEXT = 1600  # Twilio's limit for one message body
_ACCOUNT = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class TwilioAction(HttpAction):
    type = "twilio"
    fields = ("account_sid", "auth_token_secret", "messaging_service_sid", "phone_numbers", "message")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.matching(config, "account_sid", where, _ACCOUNT, "a Twilio account SID (AC + 32 hex)"),
                **fields.secret(config, "auth_token_secret", where),
                **fields.matching(config, "messaging_service_sid", where, _SERVICE,
                                  "a Twilio messaging service SID (MG + 32 hex)"),
                **fields.matching_list(config, "phone_numbers", where, _PHONE, "E.164 phone number (+15551234567)",
                                       20),
                **fields.template(config, "message", where, max_chars=MAX_TEXT)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        sid = config["account_sid"]
        url = f"{settings.get('TWILIO_API_BASE').rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        text, auth = message(config, context)[:MAX_TEXT], (sid, secret(config["auth_token_secret"]))
        return [Outbound("POST", url, {}, form={"MessagingServiceSid": config["messaging_service_sid"], "To": phone,
                                                "Body": text}, auth=auth)
                for phone in config["phone_numbers"]]
