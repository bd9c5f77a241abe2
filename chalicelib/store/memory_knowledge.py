"""The in-memory twin of the knowledge repository (see memory.py): the same
operations and conditions, on a dict."""
from dataclasses import replace

from chalicelib.store import ConditionFailed
from chalicelib.store.memory_paging import _copy, _page


def _summary(document):
    return replace(document, content=None)


class MemoryKnowledge:
    def __init__(self):
        self.items: dict[tuple, object] = {}
        self.versions: dict[str, int] = {}

    def _bump(self, account_id):
        self.versions[account_id] = self.versions.get(account_id, 0) + 1

    def version(self, account_id):
        return self.versions.get(account_id, 0)

    def add(self, document):
        if (document.account_id, document.id) in self.items:
            raise ConditionFailed(f"document {document.id} exists")
        self.items[(document.account_id, document.id)] = _copy(document)
        self._bump(document.account_id)

    def get(self, account_id, document_id):
        return _copy(self.items.get((account_id, document_id)))

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
        stored = self.items.get((document.account_id, document.id))
        if stored is None:
            raise ConditionFailed(f"document {document.id} is gone")
        for name, value in changes.items():
            setattr(stored, name, _copy(value))
            setattr(document, name, _copy(value))
        self._bump(document.account_id)

    def delete(self, document):
        self.items.pop((document.account_id, document.id), None)
        self._bump(document.account_id)
