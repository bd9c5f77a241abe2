"""`sre knowledge …`: the teams' runbooks and service notes (add, list, show, delete, search)."""
from pathlib import Path

import click

from sre_client import render
from sre_client.commands.base import Group, delete_after_asking, json_flag, yes_flag
from sre_client.connection import Connection

FLAGS = {"title": "--title", "team_id": "--team-id", "content": "FILE"}
COLUMNS = [("ID", "id"), ("TITLE", "title"), ("TEAM", "team_id"), ("SIZE", "size"), ("SECTIONS", "sections"),
           ("UPDATED", "updated_at")]
HITS = [("SCORE", "score"), ("DOCUMENT", "title"), ("SECTION", "heading"), ("ID", "document_id"),
        ("SNIPPET", "snippet")]


@click.group(cls=Group)
def knowledge():
    """Markdown runbooks and service notes that runs of your team's automations search."""


def _title_of(path: Path, content: str) -> str:
    """The first Markdown heading, else the file's name without its extension."""
    for line in content.splitlines():
        if line.startswith("# ") and line[2:].strip():
            return line[2:].strip()[:255]
    return path.stem


@knowledge.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="Default: the file's first '# ' heading, else its name")
@click.option("--team-id", "--team", "team_id", type=int, default=0, show_default=True,
              help="0 for personal (everyone of the account sees it), or one of your teams")
@json_flag
@click.pass_obj
def knowledge_add(conn: Connection, file: Path, title, team_id, as_json):
    """Add a Markdown FILE (a runbook, service notes) to your personal or a team's knowledge."""
    try:
        content = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{file} is not UTF-8 text: {exc}", param_hint="FILE") from exc
    body = {"title": title or _title_of(file, content), "team_id": team_id, "content": content}
    answer = conn.call("POST", "/knowledge", body, flags=FLAGS)
    if as_json:
        return render.as_json(answer)
    document = answer["document"]
    click.echo(f"added {document['id']}: {document['title']} ({document['size']} bytes, "
               f"{document['sections']} sections, {'team ' + str(team_id) if team_id else 'personal'})")


@knowledge.command("list")
@click.option("--scope", type=click.Choice(["all", "personal", "team"]), default="all", show_default=True)
@click.option("--team-id", "--team", "team_ids", type=int, multiple=True, help="Only these teams' (repeatable)")
@click.option("--title", "words", help="Words the title must contain")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--cursor", help="next_cursor of the previous page")
@json_flag
@click.pass_obj
def knowledge_list(conn: Connection, scope, team_ids, words, limit, cursor, as_json):
    """The documents you can see, newest first."""
    params = {"scope": scope, "team_id": list(team_ids), "limit": limit}
    params.update({k: v for k, v in (("q", words), ("cursor", cursor)) if v})
    found = conn.call("GET", "/knowledge", params=params)
    if as_json:
        return render.as_json(found)
    render.table(found["documents"], COLUMNS, empty="no documents")
    if found.get("next_cursor"):
        click.echo(f"more: --cursor {found['next_cursor']}")


@knowledge.command("show")
@click.argument("document_id")
@json_flag
@click.pass_obj
def knowledge_show(conn: Connection, document_id, as_json):
    """One document: its fields, then its Markdown."""
    found = conn.call("GET", f"/knowledge/{document_id}")
    if as_json:
        return render.as_json(found)
    d = found["document"]
    render.fields([("id", d["id"]), ("title", d["title"]), ("team", d["team_id"] or "personal"),
                   ("owner", d["owner_id"]), ("size", f"{d['size']} bytes, {d['sections']} sections"),
                   ("updated", f"{d['updated_at']} by {d.get('updated_by')}"), ("can edit", d["can_edit"])])
    click.echo("")
    click.echo(d["content"].rstrip("\n"))


@knowledge.command("delete")
@click.argument("document_id")
@yes_flag
@click.pass_obj
def knowledge_delete(conn: Connection, document_id, yes):
    """Delete a document: runs stop finding it at once."""
    delete_after_asking(conn, f"/knowledge/{document_id}", document_id, "Runs will no longer find it", yes)


@knowledge.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--team-id", "--team", "team_id", type=int,
              help="Search as a run of this team's automations would (personal documents and the team's)")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@json_flag
@click.pass_obj
def knowledge_search(conn: Connection, query, team_id, limit, as_json):
    """Ranked full-text search (BM25): the best sections for QUERY."""
    params = {"q": " ".join(query), "limit": limit, **({"team_id": team_id} if team_id is not None else {})}
    found = conn.call("GET", "/knowledge/search", params=params, flags={"q": "QUERY", "team_id": "--team-id"})
    if as_json:
        return render.as_json(found)
    render.table(found["results"], HITS, empty="no section matches")
