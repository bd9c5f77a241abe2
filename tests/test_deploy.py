"""The first owner of a deployed stack (the bootstrap Lambda, against moto) and
what `make deploy` / `make destroy` would run (dry runs: no AWS account here)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chalice.local import LambdaContext

from chalicelib.identity import bootstrap, directory
from chalicelib.store import ConditionFailed, repos
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parent.parent


def _users():
    """Every user of the stack, of any account and role."""
    return [user for role in ("owner", "admin", "member") for user in repos.accounts.users_with_role(role)]


def _accounts():
    """The accounts of the stack (each is made with its owner)."""
    return {user.account_id for user in _users()}


def _invoke(payload):
    import app
    return app.bootstrap(payload, LambdaContext("sre-automations-prod-bootstrap", memory_size=128))


def test_bootstrap_creates_the_owner_once_and_their_key_works(api, capsys):
    answer = _invoke({"owner_email": " Owner@Example.com "})
    assert answer["created"] is True and answer["owner"]["email"] == "owner@example.com"
    assert answer["owner"]["role"] == "owner" and answer["api_key"].startswith("sreak_")
    me = api.ok("GET", "/me", answer["api_key"])["user"]
    assert me == {"id": answer["owner"]["id"], "email": "owner@example.com", "role": "owner"}
    assert answer["api_key"][-40:] not in capsys.readouterr().out  # shown to the caller, never logged
    again = _invoke({"owner_email": "someone@example.com"})
    assert again == {"created": False, "message": bootstrap.REFUSED}
    assert [u.email for u in _users()] == ["owner@example.com"]


def test_bootstrap_refuses_a_stack_that_has_an_account(aws, owner):
    assert _invoke({"owner_email": "second@example.com"})["created"] is False
    assert len(_accounts()) == 1 and repos.accounts.get(bootstrap.FIRST_ACCOUNT_ID) is None


@pytest.mark.parametrize("payload", [{}, {"owner_email": "not-an-email"}, {"owner_email": 42}, None,
                                     {"owner_email": "a@example.com", "account_name": ["x"]}])
def test_bootstrap_says_what_is_wrong_with_its_input(aws, payload):
    answer = _invoke(payload)
    assert answer["created"] is False and ("owner_email" in answer["message"] or "account_name" in answer["message"])
    assert not repos.accounts.any_exists()


def test_the_first_accounts_id_is_written_once(aws):
    """Two bootstraps at once: the second write of the fixed id fails, so only one owner exists."""
    directory.create_account("A", "a@example.com", NOW, account_id=bootstrap.FIRST_ACCOUNT_ID)
    with pytest.raises(ConditionFailed):
        directory.create_account("B", "b@example.com", NOW, account_id=bootstrap.FIRST_ACCOUNT_ID)
    assert [u.email for u in _users()] == ["a@example.com"]


def _make(*args, **env):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env})


def test_make_deploy_says_what_it_needs_before_doing_anything(tmp_path):
    env = {"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    result = _make("deploy", "ARTIFACTS_BUCKET=b", **env)
    assert result.returncode != 0 and "set AWS_REGION" in result.stderr
    result = _make("deploy", "AWS_REGION=eu-west-1", **env)
    assert result.returncode != 0 and "set ARTIFACTS_BUCKET" in result.stderr
    result = _make("deploy", "AWS_REGION=eu-west-1", "ARTIFACTS_BUCKET=b", f"AWS={tmp_path}/no-aws-cli", **env)
    assert result.returncode != 0 and "needs the AWS CLI" in result.stderr


def test_make_deploy_packages_deploys_prints_the_url_and_bootstraps_the_owner():
    result = _make("-n", "deploy", "AWS_REGION=eu-west-1", "ARTIFACTS_BUCKET=my-artifacts",
                   "OWNER_EMAIL=owner@example.com", "ALARM_EMAIL=oncall@example.com")
    assert result.returncode == 0, result.stderr
    lines = result.stdout
    order = ["infra/template.py", "chalice package --stage prod", "infra/slim_layer.py",
             "aws cloudformation package --region eu-west-1", "--s3-bucket my-artifacts",
             "aws cloudformation deploy --region eu-west-1", "--capabilities CAPABILITY_IAM",
             "--parameter-overrides AlarmEmail=oncall@example.com", "OutputKey=='EndpointURL'",
             "aws lambda invoke", "OutputKey=='BootstrapFunctionName'", '{"owner_email": "owner@example.com"}',
             "infra/bootstrap_answer.py build/bootstrap.json", "rm -f build/bootstrap.json"]
    positions = [lines.index(part) for part in order]
    assert positions == sorted(positions)
    assert "umask 077" in lines  # the answer holding the owner's key is private while it exists


def test_make_deploy_without_an_owner_email_does_not_bootstrap():
    result = _make("-n", "deploy", "AWS_REGION=eu-west-1", "ARTIFACTS_BUCKET=b")
    assert result.returncode == 0 and "lambda invoke" not in result.stdout
    assert "--parameter-overrides" not in result.stdout  # a redeploy keeps the alarm email it had


def test_make_deploy_passes_the_stack_parameters_it_is_given():
    result = _make("-n", "deploy", "AWS_REGION=eu-west-1", "ARTIFACTS_BUCKET=b", "EMAIL_FROM=sre-bot@acme.io",
                   "AGENT_API_KEY_SECRET=openai/prod", "PUBLIC_URL=https://sre.acme.io")
    assert result.returncode == 0, result.stderr
    assert ("--parameter-overrides EmailFrom=sre-bot@acme.io AgentApiKeySecret=openai/prod "
            "PublicBaseUrl=https://sre.acme.io") in result.stdout


def test_make_destroy_keeps_the_tables_unless_asked():
    kept = _make("-n", "destroy", "AWS_REGION=eu-west-1")
    assert "aws cloudformation delete-stack --region eu-west-1 --stack-name sre-automations" in kept.stdout
    assert "stack-delete-complete" in kept.stdout and "delete-table" not in kept.stdout
    assert "kept the tables" in kept.stdout
    gone = _make("-n", "destroy", "AWS_REGION=eu-west-1", "DELETE_DATA=1")
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    tables = [r["Properties"]["TableName"] for r in template["Resources"].values()
              if r.get("Type") == "AWS::DynamoDB::Table"]
    assert "delete-table" in gone.stdout and all(t in gone.stdout for t in tables)


@pytest.mark.parametrize("answer, code, shown", [
    ({"created": True, "owner": {"email": "o@example.com"}, "api_key": "sreak_x"}, 0, "API key:  sreak_x"),
    ({"created": False, "message": bootstrap.REFUSED}, 0, "not bootstrapped: This stack already has an account"),
    ({"created": False, "message": "owner_email: email must be a valid email address"}, 1, "owner_email"),
    ({"errorMessage": "Task timed out"}, 1, "bootstrap failed: Task timed out"),
])
def test_the_bootstrap_answer_is_shown_plainly(tmp_path, answer, code, shown):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    result = subprocess.run([sys.executable, str(ROOT / "infra" / "bootstrap_answer.py"), str(path)],
                            capture_output=True, text=True)
    assert result.returncode == code and shown in result.stdout + result.stderr
