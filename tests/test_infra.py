"""infra/resources.json against the pynamodb models, and the packaged
CloudFormation template against cfn-lint."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.store.models import ALL_MODELS, ttl_attribute

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = json.loads((ROOT / "infra" / "resources.json").read_text())
TABLES = {r["Properties"]["TableName"].removeprefix("sre-automations-prod-"): r["Properties"]
          for r in TEMPLATE["Resources"].values() if r.get("Type") == "AWS::DynamoDB::Table"}


def _suffix(model):
    return model.Meta.table_name.removeprefix(os.environ["TABLE_PREFIX"] + "-")


def _keys(schema):
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def test_template_declares_exactly_the_models_tables():
    assert set(TABLES) == {_suffix(m) for m in ALL_MODELS}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_table_keys_indexes_and_ttl_agree(model):
    declared, schema = TABLES[_suffix(model)], model._get_schema()
    assert _keys(declared["KeySchema"]) == _keys(schema["key_schema"])
    assert declared["KeySchema"][0]["KeyType"] == "HASH"
    assert sorted(map(tuple, (d.values() for d in declared["AttributeDefinitions"]))) == \
        sorted(map(tuple, (d.values() for d in schema["attribute_definitions"])))
    indexes = {g["IndexName"]: g for g in declared.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {g["index_name"] for g in schema["global_secondary_indexes"]}
    for gsi in schema["global_secondary_indexes"]:
        assert _keys(indexes[gsi["index_name"]]["KeySchema"]) == _keys(gsi["key_schema"])
        assert indexes[gsi["index_name"]]["Projection"] == gsi["projection"]
    ttl = ttl_attribute(model)
    assert declared.get("TimeToLiveSpecification") == ({"AttributeName": ttl, "Enabled": True} if ttl else None)
    assert declared["BillingMode"] == "PAY_PER_REQUEST"


def test_every_function_has_a_least_privilege_policy():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    functions = config["stages"]["prod"]["lambda_functions"]
    assert set(functions) == {"api_handler", "scheduler_tick", "minute_tick", "fan_out", "worker", "dead_letters",
                              "sandbox", "bootstrap"}
    for name, settings in functions.items():
        policy = json.loads((ROOT / ".chalice" / settings["iam_policy_file"]).read_text())
        for statement in policy["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"]), name
            if statement["Sid"] == "XRay":  # X-Ray's two write actions take no resource-level permission
                assert sorted(statement["Action"]) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], name
                continue
            assert all(r != "*" for r in statement["Resource"]), name
    api = json.loads((ROOT / ".chalice" / "policy-api.json").read_text())
    resources = [r for s in api["Statement"] for r in s["Resource"]]
    assert "arn:aws:dynamodb:*:*:table/sre-automations-prod-*" in resources
    queue = TEMPLATE["Resources"]["RunsQueue"]["Properties"]["QueueName"]
    assert any(r.endswith(f":{queue}") for r in resources)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """What `make package` builds: the merged template, Chalice's package, the slimmed layer."""
    out = tmp_path_factory.mktemp("package")
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    bin_dir = Path(sys.executable).parent
    subprocess.run([sys.executable, "infra/template.py", str(out / "infra.json")], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "infra/stage.py", str(out / "stage")], cwd=ROOT, check=True)
    chalice = subprocess.run([str(bin_dir / "chalice"), "package", "--stage", "prod", "--merge-template",
                              str(out / "infra.json"), str(out / "package")], cwd=out / "stage", env=env,
                             capture_output=True, text=True)
    assert chalice.returncode == 0, chalice.stdout + chalice.stderr
    slim = subprocess.run([sys.executable, "infra/slim_layer.py", str(out / "package")], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return {"dir": out / "package", "template": json.loads((out / "package" / "sam.json").read_text()),
            "report": slim.stdout}


def test_every_function_and_the_api_are_traced_with_x_ray(packaged):
    """Tracing on (Chalice's `xray` setting), and every function's role may send its traces."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert config["xray"] is True
    functions = {n: r for n, r in packaged["template"]["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) == 8 and all(r["Properties"].get("Tracing") == "Active" for r in functions.values())
    assert packaged["template"]["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True  # the API's stage
    for settings in config["lambda_functions"].values():
        policy = json.loads((ROOT / ".chalice" / settings["iam_policy_file"]).read_text())
        assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= {a for s in policy["Statement"]
                                                                         for a in s["Action"]}


def test_packaged_template_passes_cfn_lint(packaged):
    template = packaged["template"]
    assert template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["RUNS_QUEUE_URL"] == \
        {"Ref": "RunsQueue"}
    assert "RunsTable" in template["Resources"]
    for function, source in (("Worker", "WorkerSqsEventSource"), ("FanOut", "FanOutSqsEventSource")):
        events = template["Resources"][function]["Properties"]["Events"]
        assert events[source]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert events[source]["Type"] == "SQS"
    bin_dir = Path(sys.executable).parent
    lint = subprocess.run([str(bin_dir / "cfn-lint"), str(packaged["dir"] / "sam.json")], capture_output=True,
                          text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_cloud_sandbox_reads_only_the_model_key_and_its_own_queue():
    """Its own role: no table, no other queue, no account secret; its own short timeout."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["lambda_functions"]
    assert config["sandbox"]["lambda_timeout"] <= 300 < config["worker"]["lambda_timeout"]
    policy = json.loads((ROOT / ".chalice" / config["sandbox"]["iam_policy_file"]).read_text())
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    assert not any(a.startswith(("dynamodb:", "ses:", "lambda:")) for a in actions)
    assert {a for a in actions if a.startswith("sqs:")} and "sqs:SendMessage" not in actions
    assert {r for r in resources if ":sqs:" in r} == {"arn:aws:sqs:*:*:sre-automations-prod-sandbox"}
    assert not any(a.startswith("secretsmanager:") for a in actions)  # the model key: the template's policy below
    sandbox = TEMPLATE["Resources"]["Sandbox"]["Properties"]["Environment"]["Variables"]
    assert set(sandbox) == {"SANDBOX_API_URL", "SANDBOX_SECONDS", "OPENAI_API_KEY_SECRET", "EMAIL_FROM"}
    assert sandbox["OPENAI_API_KEY_SECRET"] == {"Ref": "AgentApiKeySecret"}  # no table, queue or other secret


def test_the_sandbox_reads_the_agent_key_secret_named_as_the_deployer_names_it():
    """OPENAI_API_KEY_SECRET comes from the AgentApiKeySecret parameter, and a
    policy on the cloud sandbox's role lets it read exactly that secret (the
    worker runs no agent; the account secrets stay under sre-automations/);
    EMAIL_FROM is a required parameter."""
    params, resources = TEMPLATE["Parameters"], TEMPLATE["Resources"]
    assert "Default" not in params["EmailFrom"] and params["AgentApiKeySecret"]["Default"] == ""
    sandbox_env = resources["Sandbox"]["Properties"]["Environment"]["Variables"]
    assert sandbox_env["OPENAI_API_KEY_SECRET"] == {"Ref": "AgentApiKeySecret"}
    assert "OPENAI_API_KEY_SECRET" not in resources["Worker"]["Properties"]["Environment"]["Variables"]
    assert all(resources[f]["Properties"]["Environment"]["Variables"]["EMAIL_FROM"] == {"Ref": "EmailFrom"}
               for f in ("APIHandler", "Worker", "SchedulerTick", "MinuteTick", "FanOut", "DeadLetters", "Bootstrap"))
    policy = resources["SandboxAgentApiKeyPolicy"]
    assert policy["Condition"] == "HasAgentApiKeySecret" and policy["Properties"]["Roles"] == [{"Ref": "SandboxRole"}]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]
    assert "${AgentApiKeySecret}-??????" in statement["Resource"][0]["Fn::Sub"]


def test_only_the_worker_sends_actions():
    """No send inside an API request or a tick: only the worker's policy has SES."""
    def actions(name):
        policy = json.loads((ROOT / ".chalice" / name).read_text())
        return {a for s in policy["Statement"] for a in s["Action"]}
    assert "ses:SendEmail" in actions("policy-worker.json")
    assert "ses:SendEmail" not in actions("policy-api.json") | actions("policy-tick.json")
    assert "secretsmanager:GetSecretValue" not in actions("policy-api.json") | actions("policy-tick.json")


def test_the_worker_may_do_what_the_control_actions_do():
    """Pausing or resuming an automation from the worker writes the rule with
    its trigger token and index entries in one transaction, with the rights of
    the user who saved the action (read from users and memberships)."""
    policy = json.loads((ROOT / ".chalice" / "policy-worker.json").read_text())

    def allowed(action, table):
        return any(action in s["Action"] and f"arn:aws:dynamodb:*:*:table/sre-automations-prod-{table}" in s["Resource"]
                   for s in policy["Statement"])
    for table in ("automations", "trigger-tokens", "schedule-index", "event-triggers"):
        assert allowed("dynamodb:PutItem", table) and allowed("dynamodb:DeleteItem", table), table
    assert allowed("dynamodb:UpdateItem", "trigger-tokens")
    assert allowed("dynamodb:GetItem", "users") and allowed("dynamodb:Query", "memberships")


def _functions(template):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def test_dependencies_are_one_layer_and_the_functions_hold_only_our_code(packaged):
    template, folder = packaged["template"], packaged["dir"]
    [(layer_name, layer)] = [(k, v) for k, v in template["Resources"].items()
                             if v["Type"] == "AWS::Serverless::LayerVersion"]
    assert layer["Properties"]["ContentUri"] == "./layer-deployment.zip"
    functions = _functions(template)
    assert {"APIHandler", "Worker", "FanOut", "SchedulerTick", "MinuteTick", "DeadLetters",
            "Bootstrap"} <= set(functions)
    for name, function in functions.items():
        assert function["Properties"]["Layers"] == [{"Ref": layer_name}], name
    with zipfile.ZipFile(folder / "deployment.zip") as code:
        tops = {n.split("/")[0] for n in code.namelist()}
    assert tops == {"app.py", "chalicelib", "chalice"}  # chalice: its small runtime (app.py), nothing else
    assert not [n for n in code.namelist() if "__pycache__" in n or n.endswith(".pyc")]  # staged: sources only
    assert "chalicelib/console/dist/manifest.json" in code.namelist()  # the console ships with the API
    with zipfile.ZipFile(folder / "layer-deployment.zip") as deps:
        layer = deps.namelist()
        packages = {n.split("/")[4] for n in layer if n.count("/") > 4}
    assert {"pynamodb", "aws_lambda_powertools", "jinja2", "croniter", "requests", "urllib3", "tzdata"} <= packages
    # the agent runtime (runtime/sre_agent, staged as vendor/sre_agent): a top-level package on the functions'
    # path (Chalice puts vendor/ into its automatic layer), the sources as they are, no bytecode
    runtime = ROOT / "runtime" / "sre_agent"
    sources = {f"sre_agent/{p.relative_to(runtime).as_posix()}" for p in runtime.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}
    assert {n.split("/", 4)[4] for n in layer if n.split("/")[4:5] == ["sre_agent"] and not n.endswith("/")} == \
        sources and "sre_agent/agents/builtin.py" in sources
    assert not any(p == "botocore" or p.startswith("botocore-") for p in packages)  # the runtime's own SDK
    assert "left out" in packaged["report"] and "deployment.zip:" in packaged["report"]


def test_alarms_publish_to_the_topic_whose_email_is_a_parameter(packaged):
    template = packaged["template"]
    resources = template["Resources"]
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                          "Endpoint": {"Ref": "AlarmEmail"}}
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {"DeadLetterAlarm", "WorkerErrorsAlarm", "SchedulerTickAlarm", "FanOutBacklogAlarm",
                           "RunsAbandonedAlarm", "ActionFailureRateAlarm", "ApiErrorsAlarm"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] and alarm["AlarmDescription"]
    assert alarms["WorkerErrorsAlarm"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "Worker"}}]
    tick = alarms["SchedulerTickAlarm"]
    assert (tick["MetricName"], tick["ComparisonOperator"], tick["TreatMissingData"]) == \
        ("TicksCompleted", "LessThanThreshold", "breaching")
    abandoned = alarms["RunsAbandonedAlarm"]
    assert {"Name": "status", "Value": "abandoned"} in abandoned["Dimensions"]
    dlq = [m for m in alarms["DeadLetterAlarm"]["Metrics"] if "MetricStat" in m]
    dead_letter_queues = {TEMPLATE["Resources"][name]["Properties"]["QueueName"] for name in (
        "RunsDeadLetterQueue", "FanoutDeadLetterQueue", "SandboxDeadLetterQueue")}
    assert {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in dlq} == dead_letter_queues
    for queue in ("RunsQueue", "FanoutQueue", "SandboxQueue"):  # every queue has somewhere to put what keeps failing
        target = TEMPLATE["Resources"][queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert TEMPLATE["Resources"][target]["Properties"]["QueueName"] in dead_letter_queues
    api = alarms["ApiErrorsAlarm"]
    assert (api["Namespace"], api["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert api["Dimensions"] == [{"Name": "ApiName", "Value": packaged["template"]["Resources"]["RestAPI"][
        "Properties"]["DefinitionBody"]["info"]["title"]}]
    rate = next(m for m in alarms["ActionFailureRateAlarm"]["Metrics"] if m.get("ReturnData"))
    assert "failed" in rate["Expression"] and "sent" in rate["Expression"]


def test_alarms_and_dashboard_use_the_metrics_the_service_emits(packaged, capsys):
    """Every metric the template names is one the service writes, with the same dimensions."""
    from chalicelib.observability import metrics
    resources = packaged["template"]["Resources"]
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(body)
    named = set()
    for widget in dashboard["widgets"]:
        for line in widget["properties"].get("metrics", []):
            first = line[0]
            if isinstance(first, dict):
                named.add(first["expression"].split('MetricName="')[1].split('"')[0])
            elif first == metrics.NAMESPACE:
                assert line[2:4] == ["service", "sre-automations-prod"], line
                named.add(line[1])
    for alarm in resources.values():
        props = alarm["Properties"] if alarm["Type"] == "AWS::CloudWatch::Alarm" else {}
        for metric in [props] + [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]:
            if metric.get("Namespace") == metrics.NAMESPACE:
                named.add(metric["MetricName"])
    emitted = _emitted_metric_names(metrics, capsys)
    assert named <= emitted, named - emitted
    assert {"RunsStarted", "RunsEnded", "RunDuration", "QueueWait", "TicksCompleted", "TickDuration",
            "RulesDispatched", "ActionsSent", "ActionsFailed", "EventsIngested", "EventsMatched"} <= named
    alarm_widget = next(w for w in dashboard["widgets"] if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == 7


def _emitted_metric_names(metrics, capsys) -> set:
    """The names in the documents the service's metric functions write (the Powertools provider, stdout)."""
    from types import SimpleNamespace

    from chalicelib.runs import records
    from tests.conftest import NOW
    run = SimpleNamespace(id="run_1", automation_id="aut_1", account_id="acc_1", trigger="api", attempt=1,
                          created_at="2026-11-23T09:59:00Z", scheduled_for=None, duration_ms=5, reason=None)
    capsys.readouterr()
    metrics.run_started(run, NOW, records.start_due(run))
    metrics.run_ended(run, "succeeded", None)
    metrics.tick_completed(NOW, 3, 0.2)
    metrics.rules_dispatched("slot", 5, 2)
    for status in ("sent", "failed", "retrying"):
        metrics.action_result(run, {"status": status, "type": "webhook", "index": 0, "outcome": "failed",
                                    "attempts": 1})
    metrics.event_ingested({"id": "e1", "event": "x.y"}, True, [])
    names = set()
    for line in capsys.readouterr().out.splitlines():
        doc = json.loads(line)
        if "_aws" in doc:
            names |= {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    return names


def test_the_stack_outputs_what_make_deploy_reads(packaged):
    outputs = packaged["template"]["Outputs"]
    assert outputs["BootstrapFunctionName"]["Value"] == {"Ref": "Bootstrap"}
    assert "EndpointURL" in outputs and "DashboardURL" in outputs
    makefile = (ROOT / "Makefile").read_text()
    for key in ("EndpointURL", "DashboardURL", "BootstrapFunctionName"):
        assert f"OutputKey=='{key}'" in makefile
