"""The sessions repository: one item per message, tool call or artifact of a
hidden session (or one part of a large one), so a session can grow without
limit; batches are written with BatchWriteItem (25 a call)."""
from chalicelib.store.dynamo import possible_key
from chalicelib.store.records import SessionItem


class DynamoSessions:
    """The `sessions` table."""

    @staticmethod
    def _model():
        from chalicelib.store.models import SessionEntry
        return SessionEntry

    def write(self, session_id: str, items: list[SessionItem], expires_at) -> int:
        """Write items (unprocessed ones are retried); returns how many."""
        model = self._model()
        with model.batch_write() as batch:
            for item in items:
                batch.save(model(session_id, item.seq, kind=item.kind, data=item.data, part=item.part,
                                 parts=item.parts, expires_at=expires_at))
        return len(items)

    def items(self, session_id: str):
        """The session's items in order of `seq` (none for an id no session can have)."""
        if not possible_key(session_id):
            return
        for item in self._model().query(session_id):
            yield SessionItem(seq=int(item.seq), kind=item.kind, data=item.data, part=int(item.part),
                              parts=int(item.parts))
