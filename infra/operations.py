"""What operators of a deployed stack get besides the service itself: an SNS
topic for alarms (its email subscription is the `AlarmEmail` parameter), the
CloudWatch alarms, a dashboard of the service's metrics, and the outputs
`make deploy` reads. `infra/template.py` merges it with infra/resources.json."""
import json

NAMESPACE = "SREAutomations"  # chalicelib/observability/metrics.py
SERVICE = "sre-automations-prod"
APP = "sre-automations"  # Chalice names the REST API after the app
DLQ, FANOUT = "sre-automations-prod-runs-dlq", "sre-automations-prod-fanout"
DEAD_LETTER_QUEUES = (DLQ, "sre-automations-prod-fanout-dlq", "sre-automations-prod-sandbox-dlq")
ACTION_FAILURE_PERCENT = 20  # over 15 minutes, once at least 5 actions were tried
ALARM_ACTIONS = {"AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}]}


def _ours(name, extra=None):
    return {"Namespace": NAMESPACE, "MetricName": name,
            "Dimensions": [{"Name": "service", "Value": SERVICE}, *(extra or [])]}


def _alarm(description, **properties):
    return {"Type": "AWS::CloudWatch::Alarm",
            "Properties": {"AlarmDescription": description, **ALARM_ACTIONS, **properties}}


def _simple(description, metric, statistic, period, threshold, comparison, missing, evaluations=1):
    return _alarm(description, **metric, Statistic=statistic, Period=period, EvaluationPeriods=evaluations,
                  Threshold=threshold, ComparisonOperator=comparison, TreatMissingData=missing)


def _stat(id_, metric, stat, period, visible=False):
    return {"Id": id_, "ReturnData": visible, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}


ALARMS = {
    "DeadLetterAlarm": _alarm(
        "Messages reached a dead-letter queue: runs that ended failed (dead-lettered), scheduler fan-out jobs "
        "that kept failing (their rules did not run that hour), or sandbox work that never reported. Read the "
        "worker's, the fan-out's or the sandbox's log for the ids.",
        Metrics=[*(_stat(f"{kind}{index}", {"Namespace": "AWS/SQS", "MetricName": metric,
                                            "Dimensions": [{"Name": "QueueName", "Value": queue}]}, stat, 300)
                   for index, queue in enumerate(DEAD_LETTER_QUEUES)
                   for kind, metric, stat in (("visible", "ApproximateNumberOfMessagesVisible", "Maximum"),
                                              ("received", "NumberOfMessagesReceived", "Sum"))),
                 {"Id": "dead", "Label": "dead-lettered messages", "ReturnData": True,
                  "Expression": "MAX([" + ", ".join(f"FILL({kind}{index}, 0)"
                                                    for index in range(len(DEAD_LETTER_QUEUES))
                                                    for kind in ("visible", "received")) + "])"}],
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching"),
    "ApiErrorsAlarm": _simple(
        "The API answered with 5xx errors (a bug or an AWS failure behind a route; clients saw HTTP 500/503). "
        "Read the API handler's log for the request ids.",
        {"Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Dimensions": [{"Name": "ApiName", "Value": APP}]},
        "Sum", 300, 5, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "WorkerErrorsAlarm": _simple(
        "The worker Lambda failed (a crash or a timeout, not a failed run).",
        {"Namespace": "AWS/Lambda", "MetricName": "Errors",
         "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Worker"}}]},
        "Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "SchedulerTickAlarm": _simple(
        "No scheduler tick (every 15 minutes) completed in the last 45 minutes: scheduled runs are not being "
        "started (a tick that completes again catches up the missed ones, up to its look-back).",
        _ours("TicksCompleted"), "Sum", 2700, 1, "LessThanThreshold", "breaching"),
    "FanOutBacklogAlarm": _simple(
        "Fan-out jobs of the scheduler tick have waited over 15 minutes: the tick is not completing.",
        {"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
         "Dimensions": [{"Name": "QueueName", "Value": FANOUT}]},
        "Maximum", 300, 900, "GreaterThanOrEqualToThreshold", "notBreaching", evaluations=2),
    "RunsAbandonedAlarm": _simple(
        "A run was abandoned: it ran past its time limit and the reaper ended it.",
        _ours("RunsEnded", [{"Name": "status", "Value": "abandoned"}]),
        "Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "ActionFailureRateAlarm": _alarm(
        f"Over {ACTION_FAILURE_PERCENT}% of actions (notifications, webhooks) failed in 15 minutes.",
        Metrics=[
            _stat("sent", _ours("ActionsSent"), "Sum", 900),
            _stat("failed", _ours("ActionsFailed"), "Sum", 900),
            {"Id": "rate", "Label": "failed actions (%)", "ReturnData": True,
             "Expression": "IF(FILL(sent, 0) + FILL(failed, 0) >= 5, "
                           "100 * FILL(failed, 0) / (FILL(sent, 0) + FILL(failed, 0)), 0)"}],
        EvaluationPeriods=1, Threshold=ACTION_FAILURE_PERCENT, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching"),
}


def _widget(title, metrics, x, y, stat="Sum", period=300, **extra):
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
            "properties": {"title": title, "region": "${AWS::Region}", "stat": stat, "period": period,
                           "view": "timeSeries", "metrics": metrics, **extra}}


def _search(metric, dimension, stat, period):
    return [{"expression": f"SEARCH('{{{NAMESPACE},service,{dimension}}} MetricName=\"{metric}\" "
                           f"service=\"{SERVICE}\"', '{stat}', {period})", "id": metric.lower(), "label": ""}]


def _m(name, **options):
    return [NAMESPACE, name, "service", SERVICE, *([options] if options else [])]


def dashboard_body() -> dict:
    """The dashboard: runs, their wait and duration, ticks, actions, events, queues."""
    widgets = [
        _widget("Runs ended by status", [_search("RunsEnded", "status", "Sum", 300),
                                         _m("RunsStarted", label="started")], 0, 0),
        _widget("Run duration (ms)", [_m("RunDuration", stat="p50", label="p50"),
                                      _m("RunDuration", stat="p90", label="p90"),
                                      _m("RunDuration", stat="Maximum", label="max")], 12, 0, stat="p50"),
        _widget("Queue wait, trigger to running (ms)", [_m("QueueWait", stat="p50", label="p50"),
                                                        _m("QueueWait", stat="p90", label="p90"),
                                                        _m("QueueWait", stat="Maximum", label="max")],
                0, 6, stat="p50"),
        _widget("Scheduler tick: rules dispatched, took (ms)", [
            _m("RulesDispatched", label="rules dispatched"), _m("TicksCompleted", label="ticks"),
            _m("TicksCaughtUp", label="missed ticks caught up"),
            _m("TickDuration", stat="Maximum", label="tick took (ms)", yAxis="right")], 12, 6, period=3600),
        _widget("Actions sent by type", [_search("ActionsSent", "action_type", "Sum", 300)], 0, 12),
        _widget("Actions failed by type", [_search("ActionsFailed", "action_type", "Sum", 300)], 12, 12),
        _widget("Events ingested and matched", [_m("EventsIngested", label="ingested"),
                                                _m("EventsMatched", label="matched"),
                                                _m("EventsDuplicate", label="duplicates")], 0, 18),
        _widget("Queues", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
                            "sre-automations-prod-runs", {"label": "runs waiting"}],
                           ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", DLQ,
                            {"label": "dead letters"}],
                           ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "sre-automations-prod-runs",
                            {"label": "oldest run message (s)", "yAxis": "right"}]], 12, 18, stat="Maximum"),
        _widget("Worker", [["AWS/Lambda", "Errors", "FunctionName", "${Worker}", {"label": "errors"}],
                           ["AWS/Lambda", "Throttles", "FunctionName", "${Worker}", {"label": "throttles"}],
                           ["AWS/Lambda", "Duration", "FunctionName", "${Worker}",
                            {"stat": "Maximum", "label": "max duration (ms)", "yAxis": "right"}]], 0, 24),
        {"type": "alarm", "x": 12, "y": 24, "width": 12, "height": 6,
         "properties": {"title": "Alarms", "alarms": [f"${{{name}.Arn}}" for name in ALARMS]}},
    ]
    return {"widgets": widgets}


def template() -> dict:
    """The operations part of the stack, as a CloudFormation fragment."""
    return {
        "Parameters": {
            "AlarmEmail": {"Type": "String", "Default": "",
                           "Description": "Who is told when an alarm fires (an SNS email subscription, "
                                          "confirmed from the first email). Empty: no subscription."}},
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}},
        "Resources": {
            "AlarmTopic": {"Type": "AWS::SNS::Topic",
                           "Properties": {"TopicName": "sre-automations-prod-alarms",
                                          "DisplayName": "AI SRE automations alarms"}},
            "AlarmEmailSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail",
                                       "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                                      "Endpoint": {"Ref": "AlarmEmail"}}},
            **ALARMS,
            "Dashboard": {"Type": "AWS::CloudWatch::Dashboard",
                          "Properties": {"DashboardName": "sre-automations-prod",
                                         "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body())}}},
        },
        "Outputs": {
            "BootstrapFunctionName": {"Description": "Invoked once by make deploy OWNER_EMAIL=… to create the "
                                                     "first account owner", "Value": {"Ref": "Bootstrap"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
            "DashboardURL": {"Value": {"Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
                                                  "?region=${AWS::Region}#dashboards:name=sre-automations-prod"}},
        },
    }
