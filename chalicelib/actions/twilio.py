"""Twilio: a text message to each phone number, sent through a messaging
service (`messaging_service_sid`), from a number or alphanumeric sender ID of
the account (`from_number`), or both (Twilio then picks from the service and
prefers that sender), as the Messages API takes them. The auth token is kept
in a named secret; the account SID is not secret.

Each number is a request of its own with its own result: one number's failure
never stops the others, and a retry re-sends only to the numbers that did not
receive the message."""
import re

from chalicelib import settings
from chalicelib.actions import fields
from chalicelib.actions.base import message
from chalicelib.actions.outbound import HttpAction, Outbound
from chalicelib.errors import Invalid

MAX_TEXT = 1600  # Twilio's limit for one message body
ACCOUNT = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
# A Twilio number in E.164, or an alphanumeric sender ID (1-11 letters, digits, spaces; at least one letter).
SENDER = re.compile(r"^(\+[1-9][0-9]{6,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$")


class TwilioAction(HttpAction):
    type = "twilio"
    fields = ("account_sid", "auth_token_secret", "messaging_service_sid", "from_number", "phone_numbers", "message")

    def check(self, config: dict, where: str) -> dict:
        if config.get("messaging_service_sid") is None and config.get("from_number") is None:
            raise Invalid(f"{where}: set messaging_service_sid (MG…) or from_number (a Twilio number or "
                          "alphanumeric sender ID), or both", field=f"{where}.messaging_service_sid")
        sender = {}
        if config.get("messaging_service_sid") is not None:
            sender.update(fields.matching(config, "messaging_service_sid", where, SERVICE,
                                          "a Twilio messaging service SID (MG + 32 hex)"))
        if config.get("from_number") is not None:
            sender.update(fields.matching(config, "from_number", where, SENDER,
                                          "a Twilio number in E.164 (+15551234567) or an alphanumeric sender ID"))
        return {**fields.matching(config, "account_sid", where, ACCOUNT, "a Twilio account SID (AC + 32 hex)"),
                **fields.secret(config, "auth_token_secret", where), **sender,
                **fields.matching_list(config, "phone_numbers", where, PHONE, "E.164 phone number (+15551234567)",
                                       20),
                **fields.template(config, "message", where, max_chars=MAX_TEXT)}

    def requests(self, config: dict, context: dict, idempotency_key: str, secret) -> list[Outbound]:
        sid = config["account_sid"]
        url = f"{settings.current().twilio_api_base.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        text, auth = message(config, context)[:MAX_TEXT], (sid, secret(config["auth_token_secret"]))
        sender = {key: config[name] for key, name in (("MessagingServiceSid", "messaging_service_sid"),
                                                      ("From", "from_number")) if config.get(name)}
        return [Outbound("POST", url, {}, form={**sender, "To": phone, "Body": text}, auth=auth, target=phone)
                for phone in config["phone_numbers"]]
