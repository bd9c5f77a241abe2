"""The cloud sandbox on the local stack: its own process, as the sandbox
Lambda is its own function. Its environment has no AWS credentials, no AWS
endpoint, no table or queue name: only where the API is, the agent and guard
settings, and the model key if one is configured. The engine polls the
sandbox queue (as Lambda's event source mapping does) and writes each batch
to this process's stdin as one JSON line; each is handed, on a thread of its
own, to the same handler the Lambda calls, which reports to the API with the
run's lease token."""
import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor

PASSED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "TMPDIR")
PASSED_PREFIXES = ("AGENT_", "OPENAI_", "BEDROCK_", "ALLOW_", "LEASE_", "SANDBOX_", "HEARTBEAT_", "LOG_")


def environment(stack, api_url: str, model_key: str | None) -> dict:
    """The sandbox process's whole environment, built from nothing: the
    stack's settings (`stack`) that a sandbox has, and where the API is."""
    env = {k: v for k, v in os.environ.items() if k in PASSED}
    env.update({k: v for k, v in stack.as_env().items() if k.startswith(PASSED_PREFIXES)})
    env.pop("OPENAI_API_KEY_SECRET", None)  # the name of a secret it could not read anyway
    env.pop("SANDBOX_QUEUE_URL", None)
    env.update(SANDBOX_API_URL=api_url, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true", PYTHONUNBUFFERED="1")
    if model_key:
        env["OPENAI_API_KEY"] = model_key
    return env


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="sandbox %(levelname)s %(name)s: %(message)s")
    leaked = sorted(k for k in os.environ if k.startswith("AWS_") and k not in (
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"))
    if leaked:
        sys.exit(f"the sandbox must not have AWS settings; found {', '.join(leaked)}")
    from chalicelib.environments.sandbox import handle

    with ThreadPoolExecutor(max_workers=8) as pool:  # concurrent runs, as concurrent Lambda invocations
        for line in sys.stdin:
            if line.strip():
                pool.submit(handle, json.loads(line)["Records"])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the stack stops the sandbox itself
        pass
