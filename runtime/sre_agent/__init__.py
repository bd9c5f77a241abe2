"""The agent runtime: what works a run's session, the same code in the cloud
sandbox (the service deploys it) and on a self-hosted runner (the `sre`
client depends on it). It knows nothing of the service's tables, queues or
rules: it gets a run's work, streams the session and reports the outcome
through a reporter, under its own settings (sre_agent/settings.py).

    settings   AgentSettings, Outbound (where outbound HTTP may go)
    executor   execute(work, reporter, settings): one run's session, start to end
    remote     LeaseReporter: the session and outcome to the API, with the run's lease
    session    SessionWriter: entries as items, streamed in batches
    agents/    the backends (builtin, openai, bedrock) and the tools they are offered
    analyses/  the builtin agent's five template analyses (docs/analyses.md)
    i18n/      the builtin agent's words per locale (en-US, zh-CN)
    net/       the outbound guard and guarded HTTP
"""

__version__ = "0.2.0"
