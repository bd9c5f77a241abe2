"""`sre knowledge …` through click's CliRunner against the real app in process
(moto), as tests/test_cli_ops.py drives the operations commands."""
import json

import pytest
from click.testing import CliRunner

from sre_client.api import Api
from sre_client.cli import main
from sre_client.connection import Connection
from tests.knowledge_docs import CHECKOUT, PAYMENTS
from tests.test_cli import URL, Quiet


@pytest.fixture
def sre(transport, owner, tmp_path):
    """`sre ARGS…` as the account owner (`key=` another user's), with no saved login of the machine's."""
    def run(*args, input=None, key=None):
        obj = Connection(api=Api(URL, key or owner, http=Quiet(transport)))
        env = {"SRE_CONFIG_DIR": str(tmp_path), "SRE_API_URL": None, "SRE_API_KEY": None, "LANG": "en_US.UTF-8"}
        return CliRunner(env=env).invoke(main, list(args), obj=obj, prog_name="sre", input=input)
    return run


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_show_search_and_delete(sre, tmp_path, people):
    checkout, payments = tmp_path / "checkout.md", tmp_path / "payments-notes.md"
    checkout.write_text(CHECKOUT)
    payments.write_text(PAYMENTS.replace("# Payments service notes", "Notes without a title heading"))
    added = ok(sre("knowledge", "add", str(checkout), "--team-id", str(people["red"]), key=people["alice"]["key"]))
    assert added.startswith("added kb_") and "Checkout service runbook" in added and "3 sections" in added
    checkout_id = added.split()[1].rstrip(":")
    made = json.loads(ok(sre("knowledge", "add", str(payments), "--json")))["document"]
    assert made["title"] == "payments-notes" and made["team_id"] == 0  # no "# " heading: the file's name
    titled = json.loads(ok(sre("knowledge", "add", str(payments), "--title", "Payments", "--json")))["document"]
    listed = ok(sre("knowledge", "list")).splitlines()
    assert listed[0].split() == ["ID", "TITLE", "TEAM", "SIZE", "SECTIONS", "UPDATED"]
    assert [line.split()[0] for line in listed[1:]] == [titled["id"], made["id"], checkout_id]
    assert [line.split()[0] for line in ok(sre("knowledge", "list", "--scope", "team")).splitlines()[1:]] == \
        [checkout_id]
    paged = ok(sre("knowledge", "list", "--limit", "1"))
    assert "more: --cursor " in paged
    shown = ok(sre("knowledge", "show", checkout_id))
    assert "Checkout service runbook" in shown and "## CheckoutLatencyFlap" in shown
    found = ok(sre("knowledge", "search", "checkout", "latency", "flapping")).splitlines()
    assert found[0].split()[:3] == ["SCORE", "DOCUMENT", "SECTION"] and "CheckoutLatencyFlap" in found[1]
    as_carol = ok(sre("knowledge", "search", "checkout", "latency", key=people["carol"]["key"]))
    assert "Checkout service runbook" not in as_carol  # team red's
    assert ok(sre("knowledge", "search", "zebra")).strip() == "no section matches"
    refused = sre("knowledge", "add", str(checkout), "--team-id", "999")
    assert refused.exit_code == 1 and "--team-id" in refused.output
    assert sre("knowledge", "delete", checkout_id, input="n\n").exit_code == 1
    assert ok(sre("knowledge", "delete", checkout_id, "--yes")).strip() == f"{checkout_id} deleted"
    assert sre("knowledge", "show", checkout_id).exit_code == 1
