"""GitHub repository (or organization) webhooks: `deployment_status`
events are changes (one per deployment, each status a later news of it),
signed in `X-Hub-Signature-256` (`sha256=<hex HMAC-SHA256 of the body>`).
The `ping` GitHub sends when the webhook is made is answered {"pong": true};
other events are accepted and store nothing. The delivery key is
`X-GitHub-Delivery`, which a redelivery keeps.

The mapping's `service` is a dotted path (or a list, the first with a value)
into the payload: by default the `service` the deployment's creator put in
its payload, else the repository's name (`repository.full_name` for
owner/name)."""
import json
from urllib.parse import parse_qs

from chalicelib.errors import Invalid, Unauthorized
from chalicelib.ops.arrivals import CHANGE_OUTCOMES, ChangeArrival, Parsed
from chalicelib.ops.vendors.base import Vendor, body_digest, first_path, hmac_hex, json_body, same, text, utc

# Octokit's schema has `waiting` (an environment's protection rule holds the deploy).
OUTCOMES = {"waiting": "pending"}


class GitHub(Vendor):
    type = "github"
    title = "GitHub deployments"
    secret_kind = "signing"
    default_mapping = {"service": ["deployment.payload.service", "repository.name"]}

    def authenticate(self, integration, request, now) -> None:
        header = request.header("x-hub-signature-256")
        if not header:
            raise Unauthorized("Missing X-Hub-Signature-256: set the webhook's Secret to this integration's secret")
        if not integration.signing_secret or not same(header.strip(),
                                                      "sha256=" + hmac_hex(integration.signing_secret, request.body)):
            raise Unauthorized("X-Hub-Signature-256 does not match this integration's secret")

    def parse(self, integration, request, now) -> Parsed:
        event = request.header("x-github-event") or ""
        key = text(request.header("x-github-delivery"), "X-GitHub-Delivery", required=False, limit=128)
        key = key or body_digest(request)
        if event == "ping":
            return Parsed(delivery_key=key, reply={"pong": True})
        if event != "deployment_status":
            return Parsed(delivery_key=key)
        return Parsed(delivery_key=key, changes=[change_of(payload_of(request), self.mapping(integration))])

    def setup(self, url: str, secret: str) -> str:
        return (
            "In GitHub: the repository (or organization) → Settings → Webhooks → Add webhook\n"
            f"  Payload URL: {url}\n"
            "  Content type: application/json\n"
            f"  Secret: {secret}\n"
            "  SSL verification: Enable SSL verification\n"
            "  Which events: Let me select individual events → Deployment statuses (only)\n"
            "  Active: checked\n"
            "Add webhook: GitHub sends a ping at once, answered 200.\n"
            "A repository that deploys several services: give each deployment its service in its\n"
            "payload, e.g. {\"service\": \"checkout-api\"}.\n")


def payload_of(request) -> dict:
    """The JSON payload; a webhook made with the form content type sends it in a `payload` field."""
    if (request.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(request.body.decode("utf-8", "replace"))
        try:
            payload = json.loads(form.get("payload", [""])[0])
        except ValueError as exc:
            raise Invalid(f"The form's payload field is not JSON: {exc}", field="payload") from exc
        if not isinstance(payload, dict):
            raise Invalid("The payload must be a JSON object", field="payload")
        return payload
    return json_body(request)


def change_of(payload: dict, mapping: dict) -> ChangeArrival:
    """The deployment a `deployment_status` event is news of."""
    status, deployment = payload.get("deployment_status"), payload.get("deployment")
    if not isinstance(status, dict):
        raise Invalid("deployment_status must be an object", field="deployment_status")
    if not isinstance(deployment, dict):
        raise Invalid("deployment must be an object", field="deployment")
    state = text(status.get("state"), "deployment_status.state", limit=32)
    state = OUTCOMES.get(state, state)
    return ChangeArrival(
        source="github", id=text(deployment.get("id"), "deployment.id", limit=64), kind="deploy",
        at=utc(deployment.get("created_at"), "deployment.created_at"),
        service=first_path(payload, mapping.get("service")),
        environment=first_path(payload, ["deployment_status.environment", "deployment.environment"]),
        who=first_path(payload, ["deployment.creator.login", "sender.login"]),
        link=first_path(payload, ["deployment_status.target_url", "deployment_status.log_url",
                                  "deployment_status.environment_url", "repository.html_url"], limit=1024),
        outcome=state if state in CHANGE_OUTCOMES else None,  # a state GitHub adds later: outcome unknown
        description=first_path(payload, ["deployment.description", "deployment_status.description"], limit=1024),
        updated_at=utc(status.get("updated_at") or status.get("created_at"), "deployment_status.updated_at",
                       required=False))
