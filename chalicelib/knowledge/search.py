"""Ranked full-text search over knowledge sections, with BM25 (bm25s).

Every section of every document in the searched set is one entry of a BM25
index (the document's title, the section's heading and its text). Words
are lower-cased and split at punctuation and camelCase
(`CheckoutLatencyFlap` is also `checkout`, `latency`, `flap`); a plural `s`
is dropped; English stop words are left out; Chinese, Japanese and Korean
text, written without spaces, is indexed as single characters and
character pairs. A result carries the document (id, title), the section's
heading, a snippet around the query's words and the BM25 score; only
entries that share a word with the query are results.

bm25s and numpy are imported here, on the first search of a process, never
at a cold start: functions that do not search do not pay for them
(bench/knowledge.py measures both). An index is kept per account, reader and
set of teams, and used again while none of the account's documents changed
(one GetItem of the account's write count tells)."""
import functools
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from chalicelib.errors import Invalid
from chalicelib.identity.directory import parse_team_id
from chalicelib.knowledge import documents
from chalicelib.knowledge.sections import split
from chalicelib.store import repos

CACHED_INDEXES = 16
MAX_INDEX_AGE = 300  # seconds: a write whose count was lost (a crash between the two) is seen by then
SNIPPET_CHARS = 240
FULL_TEXT_CHARS = 4000
MAX_QUERY_CHARS = 2000
_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_cache: OrderedDict = OrderedDict()


def _stop_words() -> frozenset:
    from bm25s.stopwords import STOPWORDS_EN
    return frozenset(STOPWORDS_EN)


def _light_stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


@functools.lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    """The index words of one word of the text (cached: a corpus repeats its words)."""
    out = []
    for run in _CJK.findall(word):
        out += list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
    for part in _CJK.sub(" ", word).split():
        parts = {part.lower(), *(p.lower() for p in _CAMEL.findall(part))}
        out += [_light_stem(p) for p in sorted(parts) if len(p) > 1 or p.isdigit()]
    return tuple(out)


def tokens(text: str, stop: frozenset = frozenset()) -> list[str]:
    """The index words of a text (see the module's docstring)."""
    return [token for word in _WORD.findall(unicodedata.normalize("NFKC", text or ""))
            for token in _word_tokens(word) if token not in stop]


@dataclass(frozen=True)
class Entry:
    """One indexed section."""
    document_id: str
    title: str
    team_id: int
    heading: str
    text: str


class Index:
    """A BM25 index over the sections of some documents."""

    def __init__(self, docs: list):
        self.entries = [Entry(d.id, d.title, int(d.team_id or 0), s.heading, s.text)
                        for d in docs for s in split(d.content or "")]
        self.retriever, self.stop = None, frozenset()
        if self.entries:
            import bm25s  # here, not at the top: see the module's docstring
            logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
            self.stop = _stop_words()
            corpus = [tokens(f"{e.title}\n{e.heading}\n{e.text}", self.stop) or [""] for e in self.entries]
            self.retriever = bm25s.BM25()
            self.retriever.index(corpus, show_progress=False)

    def search(self, query: str, limit: int) -> list[dict]:
        """The best `limit` sections for the query, best first (a score > 0 each)."""
        if self.retriever is None:
            return []
        vocab = self.retriever.vocab_dict
        words = [w for w in tokens(query[:MAX_QUERY_CHARS], self.stop) if w in vocab and w]
        if not words:
            return []
        scores = self.retriever.get_scores(words)
        best = sorted((i for i in scores.nonzero()[0]), key=lambda i: (-float(scores[i]), int(i)))[:limit]
        return [self._hit(self.entries[i], float(scores[i]), query) for i in best]

    def _hit(self, entry: Entry, score: float, query: str) -> dict:
        return {"document_id": entry.document_id, "title": entry.title, "team_id": entry.team_id,
                "heading": entry.heading or entry.title, "snippet": snippet(entry.text, query),
                "score": round(score, 4), "text": entry.text}


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the text around the spot where most of the
    query's words are near each other (the start, when none is found), on one line."""
    flat = " ".join(text.split())
    lower = flat.lower()
    words = {w for w in (p.lower() for p in _WORD.findall(query or "")) if len(w) > 1}
    hits = sorted((m.start(), w) for w in list(words)[:30] for m in re.finditer(re.escape(w), lower))[:500]
    start = 0
    if hits:
        start = max(hits, key=lambda hit: (len({w for p, w in hits if hit[0] <= p < hit[0] + width}), -hit[0]))[0]
        start = max(0, start - width // 4)
    cut = flat[start:start + width]
    return ("…" if start else "") + cut + ("…" if start + width < len(flat) else "")


def index_for(account_id: str, reader, team_ids: set[int] | None, now: float | None = None) -> Index:
    """The index of the documents of `team_ids` that `reader` may see: the
    cached one while the account's documents are unchanged (one small read
    of their write count says so) and younger than MAX_INDEX_AGE seconds,
    else built again from the documents (none read while the account never
    had one: a run of an account without knowledge pays one GetItem)."""
    now = time.monotonic() if now is None else now
    version = repos.knowledge.version(account_id)
    key = (account_id, frozenset(reader.team_ids), reader.is_admin, None if team_ids is None else frozenset(team_ids))
    cached = _cache.get(key)
    if cached and cached[0] == version and now - cached[1] < MAX_INDEX_AGE:
        _cache.move_to_end(key)
        return cached[2]
    index = Index(documents.readable(account_id, reader, team_ids, content=True) if version else [])
    _cache[key] = (version, now, index)
    while len(_cache) > CACHED_INDEXES:
        _cache.popitem(last=False)
    return index


def results(index: Index, query: str, limit: int, full: bool = False) -> list[dict]:
    """Search answers: the section's text (at most FULL_TEXT_CHARS) only when `full`."""
    hits = index.search(query, limit)
    for hit in hits:
        text = hit.pop("text")
        if full:
            hit["text"] = text[:FULL_TEXT_CHARS]
    return hits


def _limit(value, default: int, most: int) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise Invalid(f"limit must be an integer 1-{most}", field="limit")
    return value


def _query(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field} must be a non-empty string: the words to look for", field=field)
    return value


def for_caller(caller, params: dict) -> dict:
    """GET /knowledge/search: `q`, `limit` (1-50, default 10) and
    `team_id` (what a run of that team's automations would search: the
    personal documents and that team's), among what the caller may see."""
    query, limit = _query(params.get("q"), "q"), _limit(params.get("limit"), 10, 50)
    teams = documents.visible_teams(caller)
    if params.get("team_id") not in (None, ""):
        team = parse_team_id(params["team_id"])
        teams = {0, team} if teams is None else {0, team} & teams
    return {"query": query, "results": results(index_for(caller.account_id, caller, teams), query, limit)}


SPEC = {
    "name": "search_knowledge",
    "description": "Search the team's knowledge: runbooks and service notes (Markdown documents of this "
                   "automation's team and the account's personal ones), ranked by BM25. Each result is one "
                   "section: the document's id and title, the section's heading, a snippet and a score. Ask "
                   "for `full` to get the sections' text (up to 4,000 characters each).",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string", "description": "Words to look for: a service, an alert, a symptom"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10, "description": "Results (default 5)"},
        "full": {"type": "boolean", "description": "Also return each section's text"}},
        "required": ["query"]},
}


def tool(rule, args: dict) -> dict:
    """The search_knowledge tool for a run of `rule`: its scope's documents
    (documents.run_reader); bad arguments answer {"ok": false, "error"}."""
    try:
        query, limit = _query(args.get("query"), "query"), _limit(args.get("limit"), 5, 10)
    except Invalid as exc:
        return {"ok": False, "error": str(exc)}
    reader = documents.run_reader(rule)
    index = index_for(rule.account_id, reader, {0, int(rule.team_id or 0)})
    return {"query": query, "results": results(index, query, limit, full=args.get("full") is True)}
