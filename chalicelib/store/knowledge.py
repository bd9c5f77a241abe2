"""The knowledge repository: an account's Markdown documents (runbooks,
service notes), and a count of the account's document writes (`version`),
so a search knows its index is fresh with one small read. Listings read
every field but the content; a search reads the content of its teams'."""
from chalicelib.store.dynamo import decode_cursor, get, item_of, put, record_of, take, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Document

SUMMARY = ("account_id", "id", "title", "team_id", "owner_id", "created_at", "updated_at", "updated_by", "size",
           "sections")  # every field but the content
PREFIX = "kb_"  # every document's id; the version marker's ("~version") sorts apart and is never listed
VERSION = "~version"


class DynamoKnowledge:
    """The `knowledge` table: account_id, id (newest first: the id starts with the creation time)."""

    @staticmethod
    def _model():
        from chalicelib.store import models
        return models.Document

    def _documents(self, account_id: str, **options):
        model = self._model()
        return model.query(account_id, model.id.startswith(PREFIX), scan_index_forward=False, **options)

    def _bump(self, account_id: str) -> None:
        model = self._model()
        model(account_id, VERSION).update(actions=[model.version.add(1)])

    def version(self, account_id: str) -> int:
        """How many document writes the account has had (0: none yet): one GetItem of the marker."""
        found = get(self._model(), account_id, VERSION)
        return int(found.version or 0) if found is not None else 0

    def add(self, document: Document) -> None:
        """A new document; ConditionFailed when its id exists in the account."""
        put(item_of(document, self._model()), {"id": ABSENT})
        self._bump(document.account_id)

    def get(self, account_id: str, document_id: str) -> Document | None:
        """One document with its content."""
        if not str(document_id).startswith(PREFIX):
            return None
        return record_of(get(self._model(), account_id, document_id), Document)

    def count(self, account_id: str) -> int:
        """How many documents the account has (a COUNT query: no item is returned)."""
        model = self._model()
        return model.count(account_id, model.id.startswith(PREFIX))

    def listing(self, account_id: str, limit: int, cursor: str | None, keep) -> tuple[list[Document], str | None]:
        """One page of the account's documents without their content, newest
        first, those `keep(document)` holds for; and the next page's cursor."""
        results = self._documents(account_id, page_size=limit, attributes_to_get=list(SUMMARY),
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
        items = self._documents(account_id, filter_condition=wanted,
                                attributes_to_get=None if content else list(SUMMARY))
        return [record_of(item, Document) for item in items]

    def change(self, document: Document, changes: dict) -> None:
        """Set fields of a document that exists; ConditionFailed when it is gone."""
        update(self._model()(document.account_id, document.id), changes, {"id": document.id})
        for name, value in changes.items():
            setattr(document, name, value)
        self._bump(document.account_id)

    def delete(self, document: Document) -> None:
        self._model()(document.account_id, document.id).delete()
        self._bump(document.account_id)
