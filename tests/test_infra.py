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
    assert set(functions) == {"api_handler", "hourly_tick", "minute_tick", "fan_out", "worker", "dead_letters",
                              "sandbox"}
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
    assert {r for r in resources if ":secretsmanager:" in r} == {
        "arn:aws:secretsmanager:*:*:secret:sre-automations-model/*"}
    sandbox = TEMPLATE["Resources"]["Sandbox"]["Properties"]["Environment"]["Variables"]
    assert set(sandbox) == {"SANDBOX_API_URL", "SANDBOX_SECONDS"}  # no table, queue or secret names
