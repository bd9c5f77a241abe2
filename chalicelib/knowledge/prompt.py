"""The knowledge a run starts with: the sections of its scope's documents
that best match its task (the rendered prompt, context included), put in
the model's system prompt within KNOWLEDGE_PROMPT_CHARS.

It is chosen when the work is built (runs/lifecycle.py `work_for`), where
the service reads its tables: an environment reads none, and every backend
of every environment (the cloud sandbox, a runner) gets the same text. The
work carries the text and its sources; the runtime appends the text to its
system prompt (sre_agent.agents.base.system_prompt_of)."""
from chalicelib import settings
from chalicelib.knowledge import documents, search

MAX_SECTIONS = 8
MIN_ROOM = 200  # a section is cut to fit the room left, unless less than this is left
HEADER = ("## Team knowledge\n\nThe sections of the team's runbooks and service notes that best match this task "
          "(search_knowledge finds more):")


def entry(hit: dict, room: int) -> str:
    """One section as the system prompt shows it, cut to `room` characters."""
    head = f"\n\n### {hit['title']}" + (f" › {hit['heading']}" if hit["heading"] != hit["title"] else "") + "\n"
    text = hit["text"]
    if len(head) + len(text) > room:
        text = text[:max(0, room - len(head) - 1)].rstrip() + "…"
    return head + text


def block(hits: list[dict], budget: int) -> tuple[str, list[dict]]:
    """The text (at most `budget` characters) and the sections it holds, best first."""
    if budget < len(HEADER) + MIN_ROOM or not hits:
        return "", []
    text, used = HEADER, []
    for hit in hits:
        room = budget - len(text)
        if room < MIN_ROOM:
            break
        text += entry(hit, room)
        used.append({"document_id": hit["document_id"], "title": hit["title"], "heading": hit["heading"],
                     "score": hit["score"]})
    return (text, used) if used else ("", [])


def for_run(rule, task_text: str, account=None) -> dict | None:
    """{"text", "sources"} for a run of `rule` whose task reads `task_text`,
    or None when nothing in its scope matches (or the budget is 0). With the
    run's `account` (as the worker read it), an account that never had a
    document is answered without a read."""
    budget = settings.current().knowledge_prompt_chars
    if budget <= 0 or (account is not None and not account.has_knowledge):
        return None
    index = search.index_for(rule.account_id, documents.run_reader(rule), {0, int(rule.team_id or 0)})
    text, sources = block(index.search(task_text, MAX_SECTIONS), budget)
    return {"text": text, "sources": sources} if sources else None
