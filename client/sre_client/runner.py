"""The self-hosted runner: `sre runner start --token srert_…`.

It long-polls the API for work of its pool (`POST /runners/{id}/claim`,
waiting up to 20 s: an idle runner makes 3 requests a minute, and a claim
counts as its heartbeat), works each claimed run here with the service's own
agent runtime (the same backends and tools as the cloud sandbox: the
`sre-agent` package, `sre_agent.executor`), streams the session back in batches and
reports the outcome with the run's lease token, renewing the lease while it
works. While a run keeps it busy it sends a heartbeat every 30 s. Its
config file (`--config`) may declare local stdio MCP servers that only this
runner offers to its runs (`mcp_servers`, see docs/mcp.md). Its
outbound HTTP may reach the networks the runner allows (by default loopback
and private addresses: reaching your own network is the point; never
link-local or a cloud metadata address). The runner token lets it do nothing
else: no rule, no secret, no other run."""
import ipaddress
import json
import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

from sre_agent.executor import execute
from sre_agent.remote import LeaseReporter
from sre_agent.settings import AgentSettings, Outbound, agent_settings
from sre_client.api import Api, ApiError

log = logging.getLogger("sre.runner")
HEARTBEAT_SECONDS = 30
BACKOFF = (1, 2, 5, 10, 30)


def runner_settings(allow_networks: tuple[str, ...] = (), environ=None) -> AgentSettings:
    """The runner's own agent settings: AGENT_*, OPENAI_*, BEDROCK_* and
    ALLOW_* of its environment, and its allow-list. With `--allow-network`
    ranges, only those (and global addresses) are reachable; without, loopback
    and private networks are too (reaching your own network is the point).
    Set ALLOW_* variables win over both. A bad value (or CIDR) is refused
    before anything starts: SettingError or ValueError naming it."""
    environ = os.environ if environ is None else environ
    networks = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allow_networks)
    wide = not networks
    base = Outbound(allow_loopback=wide, allow_private_networks=wide, allow_networks=networks)
    given = agent_settings({k: v for k, v in environ.items() if k.startswith("ALLOW_")}).outbound
    outbound = replace(base, **{name: getattr(given, name) for name, env in (
        ("allow_loopback", "ALLOW_LOOPBACK"), ("allow_private_networks", "ALLOW_PRIVATE_NETWORKS"),
        ("allow_networks", "ALLOW_NETWORKS")) if env in environ})
    return agent_settings(environ, outbound=outbound)


LOCAL_MCP_KEYS = {"name", "command", "args", "env", "allowed_tools"}


def _strings(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return value


def local_mcp_servers(config: dict) -> list[dict]:
    """The stdio MCP servers a runner's config file declares (`mcp_servers`:
    each {"name", "command", "args", "env", "allowed_tools"}), checked: a bad
    entry is a ValueError naming it, before the runner starts."""
    found = config.get("mcp_servers") or []
    if not isinstance(found, list):
        raise ValueError("mcp_servers must be a list")
    out, names = [], set()
    for i, entry in enumerate(found):
        where = f"mcp_servers[{i}]"
        if not isinstance(entry, dict) or set(entry) - LOCAL_MCP_KEYS:
            raise ValueError(f"{where} must be an object with the keys {', '.join(sorted(LOCAL_MCP_KEYS))}")
        name, command = entry.get("name"), entry.get("command")
        if not isinstance(name, str) or not name.strip() or name in names:
            raise ValueError(f"{where}.name must be a name of its own")
        if not isinstance(command, str) or not command.strip():
            raise ValueError(f"{where}.command must be the program that starts the server")
        env = entry.get("env") or {}
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise ValueError(f"{where}.env must map names to strings")
        allowed = entry.get("allowed_tools")
        names.add(name)
        out.append({"name": name, "command": command, "args": _strings(entry.get("args") or [], f"{where}.args"),
                    "env": env, "allowed_tools": None if allowed is None else
                    _strings(allowed, f"{where}.allowed_tools")})
    return out


def read_config(path: str) -> dict:
    """A runner's config file: JSON, or YAML (.yaml/.yml); ValueError when unreadable."""
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold one object")
    return data


class Runner:
    """Claims, works and reports runs until stopped."""

    def __init__(self, api_url: str, token: str, runner_id: str, poll_seconds: int = 20, agent=None, http=None,
                 settings: AgentSettings | None = None, mcp_servers=()):
        self.api = Api(api_url, token, timeout=poll_seconds + 15, http=http)
        self.runner_id, self.token, self.poll, self.agent = runner_id, token, poll_seconds, agent
        self.settings = settings or runner_settings()
        self.mcp_servers = list(mcp_servers)  # this runner's own stdio MCP servers (its config file)
        self.stopping, self.busy = threading.Event(), threading.Event()
        self.worked = 0

    def _heartbeats(self) -> None:
        """While a run keeps the runner from claiming, its heartbeat goes on."""
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            if self.busy.is_set():
                try:
                    self.api.call("POST", f"/runners/{self.runner_id}/heartbeat", {})
                except ApiError as exc:
                    log.warning("heartbeat failed: %s", exc)

    def claim(self) -> dict | None:
        body = {"wait": self.poll, **({"own_agent": True} if self.settings.own_agent else {})}
        answer = self.api.call("POST", f"/runners/{self.runner_id}/claim", body)
        return answer.get("run")

    def work(self, work: dict) -> dict:
        """Work one claimed run here and report it."""
        self.busy.set()
        started = time.monotonic()
        try:
            log.info("claimed %s (attempt %s) of %r", work["run_id"], work["attempt"], work["automation"]["name"])
            reporter = LeaseReporter(self.api.url, work["run_id"], work["lease"]["token"], http=self.api.http)
            result = execute(work, reporter, self.settings, agent=self.agent,
                             renew_seconds=work["lease"]["renew_seconds"], background=True,
                             local_mcp_servers=self.mcp_servers)
            self.api.requests += reporter.requests
            log.info("%s %s in %.1f s%s", work["run_id"], result["status"], time.monotonic() - started,
                     f": {result['reason']}" if result.get("reason") else "")
            self.worked += 1
            return result
        finally:
            self.busy.clear()

    def run(self, once: bool = False) -> None:
        """Claim and work until `stop()` (or, with `once`, after one run)."""
        threading.Thread(target=self._heartbeats, daemon=True).start()
        failures = 0
        while not self.stopping.is_set():
            try:
                work = self.claim()
                failures = 0
            except ApiError as exc:
                if exc.status == 401:
                    raise  # a wrong or rotated token: retrying cannot help
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("claim failed: %s; trying again in %s s", exc, delay)
                self.stopping.wait(delay)
                continue
            if work:
                self.work(work)
                if once:
                    break

    def stop(self) -> None:
        """Stop claiming; say so, so that Auto stops picking this runner at once."""
        self.stopping.set()
        try:
            self.api.call("POST", f"/runners/{self.runner_id}/heartbeat", {"state": "offline"}, timeout=10)
        except ApiError as exc:
            log.warning("could not say the runner is offline: %s", exc)
