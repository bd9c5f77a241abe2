"""Tool names as a model sees them: `<server>__<tool>`, sanitised to what every
backend accepts (OpenAI and Bedrock: letters, digits, `_` and `-`, at most 64
characters) and never colliding with another tool of the run. Imports nothing
of the MCP SDK."""
import hashlib
import re

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def clean(text: str) -> str:
    """`text` with every run of unsafe characters as one `_` (never empty)."""
    return _UNSAFE.sub("_", str(text or "")).strip("_") or "x"


def namespaced(server: str, tool: str, taken: set[str]) -> str:
    """The name a model is offered for `tool` of `server`, unique among
    `taken` (which it joins). A name cut to 64 characters, or one that is
    already taken, ends in a short hash of the original pair."""
    base = f"{clean(server)}__{clean(tool)}"
    name = base[:MAX_NAME]
    if name in taken or len(base) > MAX_NAME:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()
        for i in range(1000):
            suffix = "_" + digest[:6] + (str(i) if i else "")
            name = base[:MAX_NAME - len(suffix)] + suffix
            if name not in taken:
                break
    taken.add(name)
    return name


def allowed(tool: str, allowed_tools) -> bool:
    """Whether a tool may be called: every tool when there is no allow-list."""
    return allowed_tools is None or tool in allowed_tools
