"""infra/resources.json against the pynamodb models, and the packaged
CloudFormation template against cfn-lint."""
import json
import os
import subprocess
import sys
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
    assert set(functions) == {"api_handler", "hourly_tick", "minute_tick", "fan_out", "worker", "dead_letters"}
    for name, settings in functions.items():
        policy = json.loads((ROOT / ".chalice" / settings["iam_policy_file"]).read_text())
        for statement in policy["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"]), name
            assert all(r != "*" for r in statement["Resource"]), name
    api = json.loads((ROOT / ".chalice" / "policy-api.json").read_text())
    resources = [r for s in api["Statement"] for r in s["Resource"]]
    assert "arn:aws:dynamodb:*:*:table/sre-automations-prod-*" in resources
    queue = TEMPLATE["Resources"]["RunsQueue"]["Properties"]["QueueName"]
    assert any(r.endswith(f":{queue}") for r in resources)


def test_packaged_template_passes_cfn_lint(tmp_path):
    out = tmp_path / "package"
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "chalice"), "package", "--stage", "prod", "--merge-template",
                    "infra/resources.json", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
    template = json.loads((out / "sam.json").read_text())
    assert template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["RUNS_QUEUE_URL"] == \
        {"Ref": "RunsQueue"}
    assert "RunsTable" in template["Resources"]
    for function, source in (("Worker", "WorkerSqsEventSource"), ("FanOut", "FanOutSqsEventSource")):
        events = template["Resources"][function]["Properties"]["Events"]
        assert events[source]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert events[source]["Type"] == "SQS"
    lint = subprocess.run([str(bin_dir / "cfn-lint"), str(out / "sam.json")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_worker_reads_the_agent_key_secret_named_as_the_deployer_names_it():
    """OPENAI_API_KEY_SECRET comes from the AgentApiKeySecret parameter, and a
    policy on the worker's role lets it read exactly that secret (the account
    secrets stay under sre-automations/); EMAIL_FROM is a required parameter."""
    params, resources = TEMPLATE["Parameters"], TEMPLATE["Resources"]
    assert "Default" not in params["EmailFrom"] and params["AgentApiKeySecret"]["Default"] == ""
    worker_env = resources["Worker"]["Properties"]["Environment"]["Variables"]
    assert worker_env["OPENAI_API_KEY_SECRET"] == {"Ref": "AgentApiKeySecret"}
    assert all(resources[f]["Properties"]["Environment"]["Variables"]["EMAIL_FROM"] == {"Ref": "EmailFrom"}
               for f in ("APIHandler", "Worker", "HourlyTick", "MinuteTick", "FanOut", "DeadLetters"))
    policy = resources["WorkerAgentApiKeyPolicy"]
    assert policy["Condition"] == "HasAgentApiKeySecret" and policy["Properties"]["Roles"] == [{"Ref": "WorkerRole"}]
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
