"""The MCP servers repository: the MCP servers of an account (a few each),
read by account and by id within it."""
from chalicelib.store.dynamo import get, item_of, put, record_of, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.memory_paging import MemoryAccountItems
from chalicelib.store.records import McpServer


class DynamoMcpServers:
    """The `mcp-servers` table."""

    @staticmethod
    def _model():
        from chalicelib.store import models
        return models.McpServer

    def add(self, server: McpServer) -> None:
        """A new server; ConditionFailed when its id exists in the account."""
        put(item_of(server, self._model()), {"id": ABSENT})

    def get(self, account_id: str, server_id: str) -> McpServer | None:
        return record_of(get(self._model(), account_id, server_id), McpServer)

    def of_account(self, account_id: str) -> list[McpServer]:
        """The account's servers, by id."""
        return [record_of(item, McpServer) for item in self._model().query(account_id)]

    def change(self, server: McpServer, changes: dict) -> None:
        """Set fields (None removes one) of a server that exists; ConditionFailed when it is gone."""
        update(self._model()(server.account_id, server.id), changes, {"id": server.id})
        for name, value in changes.items():
            setattr(server, name, value)

    def delete(self, server: McpServer) -> None:
        self._model()(server.account_id, server.id).delete()


class MemoryMcpServers(MemoryAccountItems):
    """The in-memory twin (tests/test_store.py holds both to the same behaviour)."""
    what = "mcp server"
