"""The in-memory twin of the knowledge repository (see memory.py): the same
operations and conditions, on a dict."""
from dataclasses import replace

from chalicelib.store.memory_paging import MemoryAccountItems, _copy, _page


def _summary(document):
    return replace(document, content=None)


class MemoryKnowledge(MemoryAccountItems):
    what = "document"

    def __init__(self):
        super().__init__()
        self.versions: dict[str, int] = {}

    def _bump(self, account_id):
        self.versions[account_id] = self.versions.get(account_id, 0) + 1

    def version(self, account_id):
        return self.versions.get(account_id, 0)

    def add(self, document):
        super().add(document)
        self._bump(document.account_id)

    def count(self, account_id):
        return sum(1 for a, _ in self.items if a == account_id)

    def _newest_first(self, account_id):
        return [d for (a, _), d in sorted(self.items.items(), reverse=True) if a == account_id]

    def listing(self, account_id, limit, cursor, keep):
        return _page([_summary(d) for d in self._newest_first(account_id)], lambda d: d.id, "knowledge", limit,
                     cursor, keep)

    def of_teams(self, account_id, team_ids, content):
        wanted = None if team_ids is None else {int(t) for t in team_ids}
        return [_copy(d) if content else _summary(d) for d in self._newest_first(account_id)
                if wanted is None or int(d.team_id) in wanted]

    def change(self, document, changes):
        super().change(document, changes)
        self._bump(document.account_id)

    def delete(self, document):
        super().delete(document)
        self._bump(document.account_id)
