"""Knowledge documents: a team's runbooks and service notes, in Markdown,
with the automations' scope rules (chalicelib/identity/permissions.py):
personal documents (team 0) are seen by everyone of the account and changed
by their owner (and owners and admins); a team's documents are seen and
changed by its members (and owners and admins).

A run reads the documents of its scope: those a member of exactly its
automation's team would see, i.e. the account's personal documents (team 0)
and its team's (`run_reader`)."""
from chalicelib import settings
from chalicelib.clock import iso
from chalicelib.errors import Forbidden, Invalid, NotFound, TooLarge
from chalicelib.identity import permissions, tokens
from chalicelib.identity.caller import Caller
from chalicelib.identity.directory import existing_team_id, parse_team_id
from chalicelib.knowledge import sections
from chalicelib.store import BadCursor, ConditionFailed, repos
from chalicelib.store.records import Document
from chalicelib.validation import bad_cursor, page_size
from chalicelib.validation import name as checked_name

MAX_PER_ACCOUNT = 1000
FIELDS = ("title", "team_id", "content")
SCOPES = ("all", "personal", "team")


def document_json(document: Document, caller, content: bool = True) -> dict:
    """A document as the API shows it (the content only when asked: not in listings)."""
    out = {"id": document.id, "title": document.title, "team_id": int(document.team_id or 0),
           "owner_id": document.owner_id, "size": int(document.size or 0), "sections": int(document.sections or 0),
           "created_at": document.created_at, "updated_at": document.updated_at, "updated_by": document.updated_by,
           "can_edit": permissions.can_edit(caller, document)}
    if content:
        out["content"] = document.content or ""
    return out


def run_reader(rule) -> Caller:
    """Who a run of `rule` reads knowledge as: a member of exactly the
    automation's team (none for a personal automation), so `can_view` gives
    the personal documents and that team's."""
    team = int(rule.team_id or 0)
    return Caller(user_id=rule.owner_id, account_id=rule.account_id, role="member", email="",
                  _team_ids=frozenset({team} - {0}))


def visible_teams(caller) -> set[int] | None:
    """The team ids whose documents the caller may see (None: every team, for owners and admins)."""
    return None if caller.is_admin else {0, *caller.team_ids}


def get(caller, document_id: str) -> Document:
    """A document the caller may see, or 404."""
    return permissions.visible(caller, repos.knowledge.get(caller.account_id, document_id),
                               f"No document {document_id} in this account.")


def _content(value) -> str:
    if not isinstance(value, str):
        raise Invalid("content must be the document's Markdown text (a string)", field="content")
    size, limit = len(value.encode("utf-8")), settings.current().knowledge_max_bytes
    if size > limit:
        raise TooLarge(f"content is {size} bytes; a document may have at most {limit} bytes (KNOWLEDGE_MAX_BYTES): "
                       "split it into several documents")
    if not value.strip():
        raise Invalid("content must not be empty", field="content")
    return value


def _team(caller, value, owner_id: str) -> int:
    team_id = existing_team_id(caller.account_id, value)
    if team_id and not repos.accounts.is_member(owner_id, team_id):
        raise Invalid(f"team_id: the document's owner is not a member of team {team_id}; add them to the team "
                      "first or choose another scope", field="team_id")
    return team_id


def _unknown(body: dict) -> None:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}; a document has {', '.join(FIELDS)}", field=unknown[0])


def _measure(changes: dict) -> dict:
    content = changes["content"]
    return {**changes, "size": len(content.encode("utf-8")), "sections": len(sections.split(content))}


def new_id(now) -> str:
    """A document id that sorts by creation time (the account's listing reads newest first)."""
    return f"kb_{int(now.timestamp() * 1000):012x}{tokens.new_id(4)}"


def create(caller, body: dict, now) -> Document:
    """POST /knowledge: a new document owned by the caller, personal or in one of their teams."""
    _unknown(body)
    if repos.knowledge.count(caller.account_id) >= MAX_PER_ACCOUNT:
        raise Invalid(f"An account may have at most {MAX_PER_ACCOUNT} documents; delete one first.", field="title")
    fields = _measure({"title": checked_name(body.get("title"), "title"),
                       "team_id": _team(caller, body.get("team_id"), caller.user_id),
                       "content": _content(body.get("content"))})
    document = Document(account_id=caller.account_id, id=new_id(now), owner_id=caller.user_id, created_at=iso(now),
                        updated_at=iso(now), updated_by=caller.user_id, **fields)
    repos.knowledge.add(document)
    repos.accounts.mark_has_knowledge(caller.account_id)
    return document


def update(caller, document_id: str, body: dict, now) -> Document:
    """PUT /knowledge/{id}: any of title, team_id, content (403 when read-only;
    the new scope must be one the caller can still edit)."""
    _unknown(body)
    document = get(caller, document_id)
    permissions.require_edit(caller, document)
    changes = {"updated_at": iso(now), "updated_by": caller.user_id}
    if "title" in body:
        changes["title"] = checked_name(body["title"], "title")
    if "team_id" in body:
        changes["team_id"] = _team(caller, body["team_id"], document.owner_id)
        moved = Document(**{**document.__dict__, "team_id": changes["team_id"]})
        if not permissions.can_edit(caller, moved):
            raise Forbidden("You can only move a document into a scope where you can still edit it.")
    if "content" in body:
        changes = _measure({**changes, "content": _content(body["content"])})
    try:
        repos.knowledge.change(document, changes)
    except ConditionFailed:
        raise NotFound(f"No document {document_id} in this account.") from None
    return document


def delete(caller, document_id: str) -> None:
    """DELETE /knowledge/{id} (403 when read-only)."""
    document = get(caller, document_id)
    permissions.require_edit(caller, document)
    repos.knowledge.delete(document)


def listing(caller, query: dict, team_ids: list[str]) -> tuple[list[Document], str | None]:
    """GET /knowledge: one page of the documents the caller may see, newest
    first, without their content; `scope` all | personal | team, `team_id`
    (repeatable: those teams), `q` (words the title must contain), `limit`, `cursor`."""
    scope = query.get("scope", "all")
    if scope not in SCOPES:
        raise Invalid(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}", field="scope")
    wanted = {parse_team_id(t) for t in team_ids}
    words = str(query.get("q") or "").lower().split()
    limit = page_size(query)

    def keep(document: Document) -> bool:
        team_id = int(document.team_id or 0)
        return permissions.can_view(caller, document) and (scope != "personal" or team_id == 0) and \
            (scope != "team" or team_id != 0) and (not wanted or team_id in wanted) and \
            all(word in document.title.lower() for word in words)

    try:
        return repos.knowledge.listing(caller.account_id, limit, query.get("cursor"), keep)
    except BadCursor as exc:
        raise bad_cursor() from exc


def readable(account_id: str, reader, team_ids: set[int] | None, content: bool) -> list[Document]:
    """The documents of `team_ids` (None: every team) that `reader` may see, newest first."""
    found = repos.knowledge.of_teams(account_id, team_ids, content)
    return [d for d in found if permissions.can_view(reader, d)]

