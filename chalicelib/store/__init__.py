"""Storage, behind one small repository per aggregate. The core asks a
repository for records (store/records.py) and changes them only through its
named operations; pynamodb and the table models never leave this package.

    accounts    accounts, users, API keys, teams and memberships
    runners     self-hosted runners
    rules       automation rules with their trigger tokens and index entries
    runs        runs and their status changes (each a conditional write)
    sessions    the items of hidden sessions
    events      events, the event-trigger index and trigger windows
    schedule    the schedule index and the scheduler's own records
    queues      the SQS queues (runs, fan-out, sandbox)
    integrations    the monitoring tools' webhooks and what each received
    operations      alerts (with their firings and days), incidents and changes
    mcp_servers     the MCP servers an account registered
    knowledge       Markdown documents (runbooks, service notes) of teams and people
    agents      agent profiles (model backend, endpoint, key secret name, limits)

Two kinds of each: DynamoDB and SQS (the default), and in-memory twins for
fast unit tests of the core (`use(memory_repositories())`); tests/test_store.py holds both
to the same behaviour.

A conditional write whose condition does not hold raises `ConditionFailed`,
whatever the repository; a cursor that is not one the store made raises
`BadCursor`. The core decides what either means.
"""
from dataclasses import dataclass


class ConditionFailed(Exception):
    """A conditional write found the item not as it expected (someone else changed it first)."""


class BadCursor(ValueError):
    """A page cursor this store did not make (or made for another listing)."""


@dataclass
class Repositories:
    """One of each repository."""
    accounts: object
    runners: object
    rules: object
    runs: object
    sessions: object
    events: object
    schedule: object
    queues: object
    integrations: object
    operations: object
    mcp_servers: object
    knowledge: object
    agents: object


_config = {"table_prefix": "sre-automations-local", "region": "us-east-1", "queues": {}}
_active: Repositories | None = None


def configure(table_prefix: str, region: str, queues: dict | None = None) -> None:
    """Where the tables and queues are: `<table_prefix>-<table>` in `region`,
    and the queue URLs by name (`runs`, `fanout`, `sandbox`, `runs_dlq`)."""
    _config.update(table_prefix=table_prefix, region=region, queues=dict(queues or {}))
    import sys
    if "chalicelib.store.models" in sys.modules:  # not imported yet: done when it is
        sys.modules["chalicelib.store.models"].configure(table_prefix, region)
    from chalicelib import aws
    aws.configure(region)


def config() -> dict:
    """The configured table prefix, region and queue URLs."""
    return _config


def dynamo_repositories() -> Repositories:
    """The DynamoDB and SQS repositories (what the service runs on)."""
    from chalicelib.store import (
        accounts,
        agents,
        events,
        integrations,
        knowledge,
        mcp_servers,
        operations,
        queues,
        rules,
        runners,
        runs,
        schedule,
        sessions,
    )
    return Repositories(accounts=accounts.DynamoAccounts(), runners=runners.DynamoRunners(),
                        rules=rules.DynamoRules(), runs=runs.DynamoRuns(), sessions=sessions.DynamoSessions(),
                        events=events.DynamoEvents(), schedule=schedule.DynamoSchedule(),
                        queues=queues.SqsQueues(_config), integrations=integrations.DynamoIntegrations(),
                        operations=operations.DynamoOperations(), mcp_servers=mcp_servers.DynamoMcpServers(),
                        knowledge=knowledge.DynamoKnowledge(), agents=agents.DynamoAgents())


def memory_repositories() -> Repositories:
    """Fresh, empty in-memory twins of every repository."""
    from chalicelib.store import memory as twins
    return twins.repositories()


def use(repositories: Repositories) -> Repositories | None:
    """Make these the repositories the core uses; returns the ones used before."""
    global _active
    before, _active = _active, repositories
    return before


def active() -> Repositories:
    """The repositories in use (DynamoDB unless `use` said otherwise)."""
    global _active
    if _active is None:
        _active = dynamo_repositories()
    return _active


class _Active:
    """The repositories in use, whichever set that is: `repos.runs.get(...)`."""

    def __getattr__(self, name):
        return getattr(active(), name)

    def __repr__(self):
        return f"<the active repositories: {active()!r}>"


repos = _Active()
