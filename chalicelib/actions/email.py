"""Email through Amazon SES, from the deployment's EMAIL_FROM address (which
SES must have verified), with a templated subject and body. Every recipient
gets a message of their own, so one refused address never stops the others
and a retry goes only to the ones that did not get it.

SES answers both of its sending limits with a Throttling error: "Maximum
sending rate exceeded" passes within seconds and is retried; "Daily message
quota exceeded" lasts until the 24-hour window moves on, so it fails the
action at once with that reason instead of being retried as a throttle."""
import re

import botocore.exceptions

from chalicelib import aws, settings
from chalicelib.actions import fields
from chalicelib.actions.base import Action, ActionFailed, ActionResult, ActionRetry, message, render, send_each

MAX_SUBJECT = 200
EMAIL = re.compile(r"^[^@\s\x1c-\x1f\x85<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TRANSIENT = ("Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure", "RequestTimeout")
_QUOTA = "daily message quota exceeded"


def sender() -> str:
    """The EMAIL_FROM setting, or ActionFailed when the deployment has none."""
    address = settings.current().email_from.strip()
    if not address:
        raise ActionFailed("this deployment has no EMAIL_FROM setting (an SES-verified sender); "
                           "set it to send email")
    return address


class EmailAction(Action):
    type = "email"
    fields = ("to_emails", "subject", "body")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.matching_list(config, "to_emails", where, EMAIL, "email address", 50),
                **fields.template(config, "subject", where, max_chars=MAX_SUBJECT),
                **fields.template(config, "body", where, max_chars=20_000)}

    def _email(self, config: dict, context: dict) -> dict:
        subject = render(config, "subject", context, str(context.get("title") or "")) or \
            message(config, context).split("\n", 1)[0]
        subject = " ".join(subject.split())[:MAX_SUBJECT]  # a header: no line breaks
        return {"from": settings.current().email_from.strip() or "<EMAIL_FROM is not set>", "to": config["to_emails"],
                "subject": subject or "Automation", "body": message(config, context, "body")}

    def preview(self, config: dict, context: dict) -> dict:
        """The email that would be sent (one message per recipient)."""
        return {"type": self.type, "email": self._email(config, context)}

    def send(self, config: dict, context: dict, idempotency_key: str, skip: frozenset = frozenset()) -> ActionResult:
        """One SES message per recipient not in `skip`."""
        mail, source = self._email(config, context), sender()
        ses = aws.client("ses")

        def send_one(to: str) -> ActionResult:
            try:
                answer = ses.send_email(Source=source, Destination={"ToAddresses": [to]},
                                        Message={"Subject": {"Data": mail["subject"], "Charset": "UTF-8"},
                                                 "Body": {"Text": {"Data": mail["body"], "Charset": "UTF-8"}}})
            except botocore.exceptions.ClientError as exc:
                error = exc.response.get("Error", {})
                code, text = error.get("Code", ""), error.get("Message", "")
                if _QUOTA in text.lower():
                    raise ActionFailed(f"SES daily sending quota exceeded ({code}: {text}); raise the quota or "
                                       "wait for the 24-hour window") from exc
                problem = ActionRetry if code in _TRANSIENT else ActionFailed
                raise problem(f"SES refused the email: {code}: {text}") from exc
            except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
                raise ActionRetry(f"cannot reach SES: {exc}") from exc
            return ActionResult("sent", None, f"email {answer.get('MessageId', '')}")

        return send_each(mail["to"], send_one, skip)
