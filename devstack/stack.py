"""`make run`: moto in server mode, the tables and queues, the first owner, the
API under `chalice local`, and the engine (queue pollers and ticks), all in the
foreground until Ctrl-C."""
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_SECONDS = 5  # how often the journal is compacted into the snapshot, when something was written
# The local stack checks local URLs, starts runs at once, and logs for a person
# (LOG_FORMAT=json shows Lambda's), unless the environment says otherwise.
LOCAL_DEFAULTS = {"ALLOW_LOOPBACK": "true", "JITTER_SECONDS": "0", "LOG_FORMAT": "text",
                  "EMAIL_FROM": "automations@localhost.localdomain"}  # moto's SES: verify it to send


def stack_settings(environ, queues: dict, api_url: str):
    """The stack's settings: the local defaults, the environment over them,
    and the queues and URL of this stack (SettingError names a bad value;
    before the queues are made, `queues` is empty and their URLs too)."""
    from chalicelib import settings

    return settings.from_env({**LOCAL_DEFAULTS, **environ}, runs_queue_url=queues.get("runs", ""),
                             fanout_queue_url=queues.get("fanout", ""), runs_dlq_url=queues.get("runs_dlq", ""),
                             sandbox_queue_url=queues.get("sandbox", ""), public_base_url=api_url)


def _configure_libraries(moto_port: int) -> str:
    """Point the AWS SDK of this process (and its children) at moto, and keep
    Powertools' EMF documents off unless asked for: both libraries read their
    configuration from the environment (our code reads the Settings object only)."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    endpoint = f"http://127.0.0.1:{moto_port}"
    # Fixed fake credentials: nothing here can reach a real AWS account.
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_ENDPOINT_URL": endpoint,
    })
    os.environ.pop("AWS_PROFILE", None)
    return endpoint


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:.0f}s") from exc
            time.sleep(0.2)


def _owner_key(saved: str | None) -> str:
    """The owner's API key: reuse the saved one while it still works, else
    bootstrap the account (first start) or issue the owner a new key."""
    from chalicelib.clock import utcnow
    from chalicelib.identity import directory, tokens
    from chalicelib.store import repos

    key_id = tokens.api_key_id(saved) if saved else None
    key = repos.accounts.key(key_id) if key_id else None
    if key is not None and tokens.matches(saved, key.key_hash):
        return saved
    owner = next(iter(repos.accounts.users_with_role("owner")), None)
    if owner is None:
        email = os.environ.get("OWNER_EMAIL", "owner@localhost.localdomain")
        _, key = directory.create_account("Local account", email, utcnow())
        print(f"bootstrapped the account owner {email}")
        return key
    return directory.issue_api_key(owner, utcnow())


def _rebuild_schedule_index() -> None:
    """File every rule where this version's tick looks for it (a snapshot may
    come from a version that filed daily and weekly rules by UTC cron)."""
    from chalicelib.rules import schedule_index
    from chalicelib.store import repos

    schedule_index.rebuild(repos.rules.every())


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds the owner's API key),
    whole or not at all: written beside it, then renamed over it, so a reader
    (make tick, sre, a test waiting for the stack) never sees it half written."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(partial, path)


def _model_key(name: str) -> str | None:
    """The model key the sandbox may read (the only secret it may read), read
    for it because it has no AWS access of its own."""
    if not name:
        return None
    import boto3
    try:
        return boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except Exception as exc:  # no such secret yet: the sandbox's runs will say the key is missing
        print(f"the model key secret {name!r} cannot be read: {exc}", flush=True)
        return None


def main() -> None:
    """Start everything, print the API URL and key, and run until interrupted."""
    moto_port = int(os.environ.get("MOTO_PORT", "5001"))
    port = int(os.environ.get("PORT", "8000"))
    state_dir = Path(os.environ.get("STACK_DIR", ROOT / ".local"))
    state_dir.mkdir(parents=True, exist_ok=True)
    endpoint = _configure_libraries(moto_port)
    from chalicelib import settings

    settings.install(stack_settings(os.environ, {}, ""))  # the tables' names, before they are made

    from moto.server import ThreadedMotoServer

    from devstack import atomic, journal, journaled

    atomic.serialise_dynamodb_writes()  # conditional writes race as on DynamoDB
    journaled.install()  # every write on disk before moto answers it (once the journal starts, below)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log: one line per AWS call

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    _wait_http(f"{endpoint}/moto-api/", 30)

    from chalicelib.store import tables
    from devstack import persist

    tables.ensure_tables()
    queues = tables.ensure_queues()
    restored = persist.restore(state_dir, queues)  # the snapshot, then the journal's writes since it
    if os.environ.get("STACK_JOURNAL", "1") != "0":  # 0: no journal (to measure what it costs)
        journal.start(state_dir)
    persist.snapshot(state_dir, queues)  # the replayed writes into the snapshot; the old journal goes
    _rebuild_schedule_index()
    stack_file, key_file = state_dir / "stack.json", state_dir / "owner-key"
    api_key = _owner_key(key_file.read_text().strip() if key_file.exists() else None)
    _write_private(key_file, api_key)  # kept across restarts; stack.json only while running

    api_url = f"http://127.0.0.1:{port}"
    local = settings.install(stack_settings(os.environ, queues, api_url))
    # The API process reads the same settings from its environment.
    child_env = {**os.environ, **local.as_env()}
    api = subprocess.Popen([sys.executable, "-m", "devstack.api", "--stage", "local", "--host", "127.0.0.1",
                            "--port", str(port), "--no-autoreload"], cwd=ROOT, env=child_env)
    from devstack import sandbox as local_sandbox

    # The cloud sandbox: its own process, with no AWS access (the model key, if any, read for it here).
    sandbox = subprocess.Popen([sys.executable, "-m", "devstack.sandbox"], cwd=ROOT, stdin=subprocess.PIPE,
                               env=local_sandbox.environment(local, api_url, _model_key(
                                   local.agent.openai_api_key_secret)))
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from devstack.engine import Engine

    engine = Engine(queues, sandbox=sandbox)
    if os.environ.get("STACK_ENGINE", "1") != "0":  # 0: API only (benchmarks of the API alone)
        engine.start()
    try:
        _wait_http(f"{api_url}/health", 60)
        _write_private(stack_file, json.dumps({"api_url": api_url, "api_key": api_key, "aws_endpoint": endpoint,
                                               "console_url": f"{api_url}/ai-sre/automations",
                                               "pid": os.getpid()}, indent=2))
        print(f"\nAPI:      {api_url}\nAPI key:  {api_key}\n"
              f"Console:  {api_url}/ai-sre/automations#key={api_key}\n"
              f"          (the link signs you in as the owner once; the key then lives in the tab's sessionStorage)\n"
              f"AWS:      {endpoint} (moto)\n"
              f"restored: {restored['items']} items, {restored['secrets']} secrets, {restored['messages']} "
              f"queued messages from {state_dir}, then {restored['replayed']} journaled writes\n"
              f"written:  {stack_file}\n"
              f"sre:      {ROOT / '.venv' / 'bin' / 'sre'} login --url {api_url} --key {api_key}\n"
              "Ctrl-C stops everything.\n", flush=True)
        last, saved_after = time.monotonic(), None
        while not stopping:
            if api.poll() is not None:
                raise RuntimeError(f"chalice local exited with {api.returncode}")
            if sandbox.poll() is not None:
                raise RuntimeError(f"the sandbox process exited with {sandbox.returncode}")
            time.sleep(0.2)
            if time.monotonic() - last >= SNAPSHOT_SECONDS:
                if atomic.write_count() != saved_after:  # something was written since the last snapshot
                    saved_after = atomic.write_count()
                    persist.snapshot(state_dir, queues)
                last = time.monotonic()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        engine.stop()
        if sandbox.poll() is None:
            sandbox.stdin.close()  # it finishes what it has within a moment; a longer run's lease will expire
            try:
                sandbox.wait(3)
            except subprocess.TimeoutExpired:
                sandbox.kill()
        if api.poll() is None:
            api.terminate()
            try:
                api.wait(10)
            except subprocess.TimeoutExpired:
                api.kill()
        saved = persist.snapshot(state_dir, queues)  # every message too, those in flight or delayed
        journal.stop()
        stack_file.unlink(missing_ok=True)  # nothing answers there any more
        moto.stop()
        print(f"stopped; {saved['items']} items, {saved['secrets']} secrets and {saved['messages']} queued "
              f"messages saved to {state_dir}", flush=True)
