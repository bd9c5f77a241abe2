"""Pagination: page sizes, and opaque cursors (a DynamoDB key, base64url-encoded,
checked on the way back in so a forged or foreign cursor is a 400, never a 500)."""
import base64
import json

from chalicelib.errors import BadRequest


def encode(key: dict[str, str]) -> str:
    """A cursor for a last-read key given as {attribute: string value}."""
    raw = {name: {"S": value} for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def decode(value: str | None, names: set[str], pinned: dict[str, str]) -> dict | None:
    """The DynamoDB key of a cursor, which must have exactly `names` (all
    strings) and the `pinned` values (the same automation or account)."""
    if not value:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        if (not isinstance(key, dict) or set(key) != names
                or not all(isinstance(v, dict) and len(v) == 1 and isinstance(v.get("S"), str) for v in key.values())
                or any(key[name]["S"] != wanted for name, wanted in pinned.items())):
            raise ValueError
        return key
    except (ValueError, TypeError):
        raise BadRequest("cursor is not valid here; pass next_cursor from the previous page")


DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def page_size(query: dict) -> int:
    """`?limit=`: 1-200, default 50."""
    raw = query.get("limit") or str(DEFAULT_LIMIT)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer 1-{MAX_LIMIT}")
    return int(raw)


def take(results, keep, limit: int, key_of) -> tuple[list, str | None]:
    """Up to `limit` items of a pynamodb query (`results`, asked for with
    page_size=limit) for which `keep(item)` holds, and the cursor after the
    last one (None when the results ran out first)."""
    results.page_iter = _WideningPages(results.page_iter)
    page = []
    for item in results:
        if not keep(item):
            continue
        page.append(item)
        if len(page) == limit:
            return page, encode(key_of(item))
    return page, None


WIDEST_PAGE = 1000  # items read per call at most (DynamoDB stops at 1 MB anyway)


class _WideningPages:
    """A query's pages, each asked for four times as large as the one before.
    DynamoDB filters a page after reading it, so a listing whose filter few
    items pass would otherwise cost one call per `limit` items read; the first
    page is still `limit` items, so a listing that finds its page at once reads
    no more than before."""

    def __init__(self, pages):
        self.pages = pages

    def __iter__(self):
        return self

    def __next__(self):
        page = next(self.pages)
        self.pages.page_size = min(self.pages.page_size * 4, WIDEST_PAGE)
        return page

    def __getattr__(self, name):  # last_evaluated_key, key_names, …: the query's own
        return getattr(self.pages, name)
