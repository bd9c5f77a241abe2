"""Email through Amazon SES, from the EMAIL_FROM address (which SES must have
verified), with a templated subject and body."""
import re

import botocore.exceptions

from chalicelib import aws, settings
from chalicelib.actions import fields
from chalicelib.actions.base import Action, ActionFailed, ActionResult, ActionRetry, message, render

MAX_SUBJECT = 200
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TRANSIENT = ("Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure", "RequestTimeout")


class EmailAction(Action):
    type = "email"
    fields = ("to_emails", "subject", "body")

    def check(self, config: dict, where: str) -> dict:
        return {**fields.matching_list(config, "to_emails", where, _EMAIL, "email address", 50),
                **fields.template(config, "subject", where, max_chars=MAX_SUBJECT),
                **fields.template(config, "body", where, max_chars=20_000)}

    def _email(self, config: dict, context: dict) -> dict:
        subject = render(config, "subject", context, str(context.get("title") or "")) or \
            message(config, context).split("\n", 1)[0]
        subject = " ".join(subject.split())[:MAX_SUBJECT]  # a header: no line breaks
        return {"from": settings.get("EMAIL_FROM"), "to": config["to_emails"], "subject": subject or "Automation",
                "body": message(config, context, "body")}

    def preview(self, config: dict, context: dict) -> dict:
        """The email that would be sent."""
        return {"type": self.type, "email": self._email(config, context)}

    def send(self, config: dict, context: dict, idempotency_key: str) -> ActionResult:
        """Send one email to all recipients through SES."""
        mail = self._email(config, context)
        ses = aws.client("ses")
        try:
            answer = ses.send_email(Source=mail["from"], Destination={"ToAddresses": mail["to"]},
                                    Message={"Subject": {"Data": mail["subject"], "Charset": "UTF-8"},
                                             "Body": {"Text": {"Data": mail["body"], "Charset": "UTF-8"}}})
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            problem = ActionRetry if error.get("Code") in _TRANSIENT else ActionFailed
            raise problem(f"SES refused the email: {error.get('Code')}: {error.get('Message')}")
        except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
            raise ActionRetry(f"cannot reach SES: {exc}")
        return ActionResult("sent", None, f"email {answer.get('MessageId', '')} sent to {len(mail['to'])} recipients")
