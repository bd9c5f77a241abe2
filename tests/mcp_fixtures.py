"""Real MCP servers for the tests and the bench, made with the official SDK
(`mcp`): a streamable-HTTP server on a free loopback port (uvicorn in a
thread), and a stdio server script (tests/fixtures/mcp_stdio_server.py).

Each server has the same tools: `echo` (says back its text), `slow` (sleeps
`seconds` first), `fail` (raises: the SDK answers an error result) and
`secret_dump` (kept off allow-lists by the tests). Every call is recorded in
`calls`, and the headers of every HTTP request in `headers`, so a test can
tell what reached the server."""
import asyncio
import socket
import threading
import time
from contextlib import contextmanager


def make_server(name: str = "ops", calls: list | None = None):
    """An MCPServer with the test tools."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(name)
    calls = calls if calls is not None else []

    @server.tool(description="Say the text back")
    def echo(text: str) -> str:
        calls.append(("echo", text))
        return f"echo: {text}"

    @server.tool(description="Wait, then answer")
    async def slow(seconds: float) -> str:
        calls.append(("slow", seconds))
        await asyncio.sleep(seconds)
        return "done"

    @server.tool(description="Always fails")
    def fail(why: str = "boom") -> str:
        calls.append(("fail", why))
        raise RuntimeError(f"the tool failed: {why}")

    @server.tool(description="Must never be called by an automation that did not allow it")
    def secret_dump() -> str:
        calls.append(("secret_dump", None))
        return "the secrets"

    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_http(name: str = "ops", calls: list | None = None, headers: list | None = None, port: int | None = None):
    """A streamable-HTTP MCP server on 127.0.0.1; yields its URL (…/mcp)."""
    import uvicorn

    server = make_server(name, calls)
    app = server.streamable_http_app()
    seen = headers if headers is not None else []

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            seen.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
        await app(scope, receive, send)

    port = port or free_port()
    config = uvicorn.Config(recording, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    for _ in range(500):
        if web.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        web.should_exit = True
        thread.join(10)
