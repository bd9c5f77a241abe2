"""Rewrite the DynamoDB tables of infra/resources.json from the pynamodb models
(`.venv/bin/python infra/sync_tables.py`).
Other resources in the file are kept as they are; tests/test_infra.py checks
that the committed file and the models agree."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "sre-automations-prod"


def _hash_first(keys):
    return sorted(({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in keys),
                  key=lambda k: k["KeyType"] != "HASH")


def table_resource(model) -> tuple[str, dict]:
    """(logical id, CloudFormation resource) of a model's table."""
    from chalicelib.store.models import ttl_attribute
    schema, name = model._get_schema(), model.Meta.table_name
    logical = "".join(p.capitalize() for p in name.removeprefix(f"{PREFIX}-").split("-")) + "Table"
    props = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
             "AttributeDefinitions": [{"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
                                      for a in schema["attribute_definitions"]],
             "KeySchema": _hash_first(schema["key_schema"]),
             "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
             "SSESpecification": {"SSEEnabled": True}}
    if schema.get("global_secondary_indexes"):
        props["GlobalSecondaryIndexes"] = [{"IndexName": g["index_name"], "KeySchema": _hash_first(g["key_schema"]),
                                            "Projection": g["projection"]}
                                           for g in schema["global_secondary_indexes"]]
    if ttl_attribute(model):
        props["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute(model), "Enabled": True}
    return logical, {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                     "Properties": props}


def main() -> None:
    from chalicelib import store
    store.configure(PREFIX, "us-east-1")  # the production table names, whatever the environment says
    from chalicelib.store.models import ALL_MODELS
    path = ROOT / "infra" / "resources.json"
    doc = json.loads(path.read_text())
    for model in ALL_MODELS:
        logical, resource = table_resource(model)
        doc["Resources"][logical] = resource
    path.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
