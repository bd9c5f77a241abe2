"""The MCP client side of a run, on the official MCP Python SDK (`mcp`).

Only imported when a run uses MCP servers (sre_agent.mcp_tools.McpTools
imports it then): a function that uses none pays nothing for the SDK.

The SDK is asynchronous and a server's session must stay open from the
run's start to its end, while the toolbox calls tools synchronously; so each
run gets one private event loop in a thread (`Connections`), with one task
per server that opens its client, lists its tools and holds the session
until the run closes them. A call is a coroutine sent to that loop and
waited for with a deadline; a call past it is cancelled.

Streamable-HTTP servers are reached through the outbound guard: every
request of the session (not only the first) is checked by
`guard.check_url` and sent to the address that was checked, TLS still
verifying the real host name (`sni_hostname`), so a DNS answer that changes
mid-session cannot reach an internal address. Proxies of the environment
are not used (a proxy would decide where the connection goes)."""
import asyncio
import concurrent.futures
import threading

import anyio.to_thread
import httpx2
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from sre_agent.net import guard
from sre_agent.settings import Outbound

MAX_PAGES = 20  # a server that pages its tool listing forever cannot hold up a run's start


class GuardedTransport(httpx2.AsyncBaseTransport):
    """httpx2's transport with every request checked by the outbound guard
    and pinned to the checked address."""

    def __init__(self, policy: Outbound):
        self.policy, self.inner = policy, httpx2.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host, _, ip = await anyio.to_thread.run_sync(guard.check_url, str(request.url), self.policy)
        request.url = request.url.copy_with(host=ip)  # the Host header keeps the name
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def reason(exc: BaseException) -> str:
    """A failure in words a model and a user can read (the first cause of a group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, httpx2.ConnectError):
        return f"cannot connect: {exc}".rstrip(": ") or "cannot connect"
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from the server (is it an MCP streamable-HTTP endpoint?)"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Connections:
    """The open MCP sessions of one run, on a private event loop in a thread."""

    def __init__(self, policy: Outbound):
        self.policy, self.clients, self.holders = policy, {}, []
        self.loop = asyncio.new_event_loop()
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, name="mcp", daemon=True)
        self.thread.start()

    def _transport(self, server: dict):
        if server.get("command"):
            return stdio_client(StdioServerParameters(command=server["command"], args=list(server.get("args") or []),
                                                      env=dict(server.get("env") or {}) or None))
        http = httpx2.AsyncClient(headers=dict(server.get("headers") or {}), transport=GuardedTransport(self.policy),
                                  trust_env=False, timeout=httpx2.Timeout(30.0, read=300.0))
        return streamable_http_client(server["url"], http_client=http), http

    async def _hold(self, key: str, server: dict, ready: asyncio.Future) -> None:
        """Open the server's session, list its tools, keep it open until the run closes."""
        transport, http = self._transport(server), None
        if isinstance(transport, tuple):
            transport, http = transport
        try:
            async with Client(transport, cache=None, client_info=None) as client:
                tools, cursor = [], None
                for _ in range(MAX_PAGES):
                    page = await client.list_tools(cursor=cursor)
                    tools += [{"name": t.name, "description": t.description or "", "input_schema": t.input_schema}
                              for t in page.tools]
                    cursor = page.next_cursor
                    if not cursor:
                        break
                self.clients[key] = client
                ready.set_result(tools)
                await self.stop.wait()
        except Exception as exc:  # noqa: BLE001 - any failure of a server is that server's, told in words
            if not ready.done():
                ready.set_exception(exc)
        finally:
            self.clients.pop(key, None)
            if http is not None:
                await http.aclose()

    async def _open_all(self, servers: dict[str, dict], timeout: float) -> dict:
        self.stop = asyncio.Event()

        async def one(key, server):
            ready = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(self._hold(key, server, ready))
            self.holders.append(task)
            try:
                return key, await asyncio.wait_for(asyncio.shield(ready), timeout)
            except TimeoutError:
                task.cancel()
                return key, TimeoutError(f"no answer within {timeout:g} s")
            except Exception as exc:  # noqa: BLE001
                return key, exc

        return dict(await asyncio.gather(*(one(k, s) for k, s in servers.items())))

    def open(self, servers: dict[str, dict], timeout: float) -> dict:
        """Connect to every server at once: {key: its tools, or the exception that stopped it}."""
        future = asyncio.run_coroutine_threadsafe(self._open_all(servers, timeout), self.loop)
        return future.result(timeout + 10)

    def call(self, key: str, tool: str, args: dict, timeout: float):
        """One tool call (a CallToolResult); TimeoutError past `timeout` (the call is cancelled)."""
        client = self.clients.get(key)
        if client is None:
            raise ConnectionError("the server's session is closed")
        future = asyncio.run_coroutine_threadsafe(client.call_tool(tool, args), self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout:g} s") from None

    def close(self, timeout: float = 5.0) -> None:
        """End every session (stdio servers are stopped) and the loop."""
        async def shut():
            if self.stop is not None:
                self.stop.set()
            if self.holders:
                done, pending = await asyncio.wait(self.holders, timeout=timeout)
                for task in pending:
                    task.cancel()
        try:
            asyncio.run_coroutine_threadsafe(shut(), self.loop).result(timeout + 2)
        except Exception:  # noqa: BLE001 - closing is best effort: the run's outcome does not wait on it
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
