"""Amazon CloudWatch alarms, delivered by an SNS topic to an HTTPS
subscription. SNS sends no headers of ours, so the integration's secret is
in its URL path (`request.path_secret`); and SNS signs every message
(vendors/sns.py), which must verify too.

    SubscriptionConfirmation   -> confirm_url: the hooks GET it (after checking it is on SNS)
    UnsubscribeConfirmation    -> nothing
    Notification               -> the alarm in `Message` (a JSON string):
        ALARM               a firing that starts at StateChangeTime
        OK                  the current firing ends at StateChangeTime (starts_at "": CloudWatch does
                            not repeat when it began; see AlertArrival)
        INSUFFICIENT_DATA   from ALARM: the firing ends (the alarm is no longer in alarm); else nothing

An alarm is one alert: its fingerprint is a digest of its ARN. Labels are
the metric's dimensions plus `namespace`, `metric` and `region` (the code,
from the ARN); annotations `description` and `reason`. The delivery key is
`MessageId`, which SNS keeps on retries.

The mapping's `service` and `severity` are each a spec or a list of specs,
the first with a value wins:
    dimension:<Name>    that dimension's value (dimension:FunctionName, dimension:ServiceName)
    namespace           the metric's namespace (AWS/ApplicationELB)
    topic               the SNS topic's name
    alarm_name_prefix   the alarm's name before its first "/", ":" or space ("checkout-api: 5xx" -> checkout-api)
    anything else       that value itself ({"severity": "warning"})
Defaults: service = dimension:ServiceName, else dimension:Service, else namespace; severity none."""
import hashlib
import json
import re
from urllib.parse import quote

from chalicelib.errors import Invalid, Unauthorized
from chalicelib.identity import tokens
from chalicelib.ops.arrivals import AlertArrival, Parsed
from chalicelib.ops.vendors import sns
from chalicelib.ops.vendors.base import Vendor, string_map, text, utc

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
PREFIX_END = re.compile(r"[/: ]")
REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class CloudWatch(Vendor):
    type = "cloudwatch"
    title = "Amazon CloudWatch alarms (SNS)"
    secret_kind = "token"
    secret_in_url = True
    default_mapping = {"service": ["dimension:ServiceName", "dimension:Service", "namespace"], "severity": None}

    def authenticate(self, integration, request, now) -> None:
        if not request.path_secret or not tokens.matches(request.path_secret, integration.token_hash or ""):
            raise Unauthorized("The URL's secret is not this integration's: subscribe the URL exactly as shown")
        sns.verify(sns.envelope(request), now)

    def parse(self, integration, request, now) -> Parsed:
        message = sns.envelope(request)
        key = text(message.get("MessageId"), "MessageId", limit=128)
        if message["Type"] == "SubscriptionConfirmation":
            url = message.get("SubscribeURL")
            if not sns.on_sns(url):
                raise Invalid("SubscribeURL must be an https URL on sns.<region>.amazonaws.com", field="SubscribeURL")
            return Parsed(delivery_key=key, confirm_url=sns.fetch_url(url))
        if message["Type"] == "UnsubscribeConfirmation":
            return Parsed(delivery_key=key)
        alert = alert_of(alarm_of(message.get("Message")), message, self.mapping(integration))
        return Parsed(delivery_key=key, alerts=[alert] if alert else [])

    def confirm(self, url: str) -> None:
        """Visit the SubscribeURL (checked to be on SNS when parsed): SNS then sends the topic's messages."""
        sns.confirm(url)

    def setup(self, url: str, secret: str) -> str:
        return (
            "Subscribe this URL to the SNS topic your CloudWatch alarms notify (the secret is part of the\n"
            "URL: keep it private). The subscription confirms itself; leave raw message delivery off.\n"
            "  aws sns subscribe --topic-arn arn:aws:sns:<region>:<account>:<topic> \\\n"
            f"    --protocol https --notification-endpoint '{url}'\n"
            "Make each alarm notify the topic both \"In alarm\" and \"OK\" (its AlarmActions and OKActions),\n"
            "e.g. aws cloudwatch put-metric-alarm … --alarm-actions <topic ARN> --ok-actions <topic ARN>\n"
            "Optional, SHA256 signatures:\n"
            "  aws sns set-topic-attributes --topic-arn <topic ARN> --attribute-name SignatureVersion "
            "--attribute-value 2\n")


def alarm_of(value) -> dict:
    """The CloudWatch alarm in an SNS notification's Message."""
    try:
        alarm = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        alarm = None
    if not isinstance(alarm, dict) or "AlarmName" not in alarm:
        raise Invalid("Message is not a CloudWatch alarm: this integration reads only CloudWatch alarm "
                      "notifications", field="Message")
    return alarm


def alert_of(alarm: dict, message: dict, mapping: dict) -> AlertArrival | None:
    """The alarm's state change as a firing's start or end (None: no change to the model)."""
    state = alarm.get("NewStateValue")
    if state not in STATES:
        raise Invalid(f"Message.NewStateValue must be one of {', '.join(STATES)}", field="Message.NewStateValue")
    if state == "INSUFFICIENT_DATA" and alarm.get("OldStateValue") != "ALARM":
        return None
    name = text(alarm.get("AlarmName"), "Message.AlarmName", limit=255)
    changed = utc(alarm.get("StateChangeTime"), "Message.StateChangeTime")
    arn = text(alarm.get("AlarmArn"), "Message.AlarmArn", required=False)
    region = arn.split(":")[3] if arn and arn.count(":") >= 5 else str(alarm.get("Region") or "")[:64]
    identity = arn or f"{alarm.get('AWSAccountId')}:{region}:{name}"
    metric, dimensions = metric_of(alarm.get("Trigger"))
    specs = {"namespace": metric.get("Namespace"), "topic": str(message.get("TopicArn") or "").rpartition(":")[2],
             "alarm_name_prefix": PREFIX_END.split(name, 1)[0] if PREFIX_END.search(name) else None}
    labels = {**dimensions, "namespace": metric.get("Namespace"), "metric": metric.get("MetricName"),
              "region": region}
    firing = state == "ALARM"
    return AlertArrival(
        source="cloudwatch", fingerprint=hashlib.sha256(identity.encode()).hexdigest()[:32], name=name,
        status="firing" if firing else "resolved", starts_at=changed if firing else "",
        ends_at=None if firing else changed, service=pick(mapping.get("service"), dimensions, specs),
        severity=pick(mapping.get("severity"), dimensions, specs),
        labels=string_map({k: v for k, v in labels.items() if isinstance(v, str) and v}, "labels"),
        annotations=string_map({k: v for k, v in (("description", alarm.get("AlarmDescription")),
                                                  ("reason", alarm.get("NewStateReason"))) if v}, "annotations"),
        generator_url=console_url(region, name))


def metric_of(trigger) -> tuple[dict, dict]:
    """The alarm's metric (namespace, name) and its dimensions; a metric-math
    alarm's are those of the metrics in its expression."""
    trigger = trigger if isinstance(trigger, dict) else {}
    metrics = [m["MetricStat"]["Metric"] for m in trigger.get("Metrics") or []
               if isinstance(m, dict) and isinstance(m.get("MetricStat"), dict)
               and isinstance(m["MetricStat"].get("Metric"), dict)]
    dimensions = {}
    for source in [trigger, *metrics]:
        for dimension in source.get("Dimensions") or []:
            if isinstance(dimension, dict) and isinstance(dimension.get("name"), str):
                dimensions[dimension["name"]] = str(dimension.get("value") or "")
    return (trigger if trigger.get("MetricName") else (metrics[0] if metrics else {})), dimensions


def pick(specs, dimensions: dict, named: dict) -> str | None:
    """The first of a mapping's specs that has a value (see the module's doc)."""
    for spec in [specs] if isinstance(specs, str) else specs or []:
        if not isinstance(spec, str) or not spec:
            continue
        if spec.startswith("dimension:"):
            value = dimensions.get(spec[len("dimension:"):])
        else:
            value = named.get(spec) if spec in named else spec
        if isinstance(value, str) and value:
            return value[:255]
    return None


def console_url(region: str, name: str) -> str | None:
    """The alarm in the CloudWatch console (commercial regions)."""
    if not REGION_CODE.fullmatch(region) or region.startswith("cn-"):
        return None
    return (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#alarmsV2:alarm/{quote(name, safe='')}")
