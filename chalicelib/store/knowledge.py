"""The knowledge repository: an account's Markdown documents (runbooks,
service notes). Listings and the search's freshness check read every field
but the content; a search reads the content of the documents of its teams."""
from chalicelib.store.dynamo import decode_cursor, get, item_of, put, record_of, take, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Document

SUMMARY = ("account_id", "id", "title", "team_id", "owner_id", "created_at", "updated_at", "updated_by", "size",
           "sections")  # every field but the content


class DynamoKnowledge:
    """The `knowledge` table: account_id, id (newest first: the id starts with the creation time)."""

    @staticmethod
    def _model():
        from chalicelib.store import models
        return models.Document

    def add(self, document: Document) -> None:
        """A new document; ConditionFailed when its id exists in the account."""
        put(item_of(document, self._model()), {"id": ABSENT})

    def get(self, account_id: str, document_id: str) -> Document | None:
        """One document with its content."""
        return record_of(get(self._model(), account_id, document_id), Document)

    def count(self, account_id: str) -> int:
        """How many documents the account has (a COUNT query: no item is returned)."""
        return self._model().count(account_id)

    def listing(self, account_id: str, limit: int, cursor: str | None, keep) -> tuple[list[Document], str | None]:
        """One page of the account's documents without their content, newest
        first, those `keep(document)` holds for; and the next page's cursor."""
        model = self._model()
        results = model.query(account_id, scan_index_forward=False, page_size=limit, attributes_to_get=list(SUMMARY),
                              last_evaluated_key=decode_cursor(cursor, {"account_id", "id"},
                                                               {"account_id": account_id}))
        page, next_cursor = take(results, lambda item: keep(record_of(item, Document)), limit,
                                 lambda item: {"account_id": item.account_id, "id": item.id})
        return [record_of(item, Document) for item in page], next_cursor

    def of_teams(self, account_id: str, team_ids, content: bool) -> list[Document]:
        """The account's documents of these teams (0: personal; None: every
        team), newest first; without their content unless `content`."""
        model = self._model()
        wanted = None if team_ids is None else model.team_id.is_in(*sorted({int(t) for t in team_ids}))
        items = model.query(account_id, scan_index_forward=False, filter_condition=wanted,
                            attributes_to_get=None if content else list(SUMMARY))
        return [record_of(item, Document) for item in items]

    def change(self, document: Document, changes: dict) -> None:
        """Set fields of a document that exists; ConditionFailed when it is gone."""
        update(self._model()(document.account_id, document.id), changes, {"id": document.id})
        for name, value in changes.items():
            setattr(document, name, value)

    def delete(self, document: Document) -> None:
        self._model()(document.account_id, document.id).delete()
