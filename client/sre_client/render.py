"""Output for people (aligned tables, a readable session) and for scripts (--json)."""
import json

import click


def as_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(rows: list[dict], columns: list[tuple[str, str]], empty: str = "(none)") -> None:
    """Rows as an aligned table; columns are (heading, key)."""
    if not rows:
        click.echo(empty)
        return
    cells = [[_cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (h, _) in enumerate(columns)]
    click.echo("  ".join(h.ljust(w) for (h, _), w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def more(found: dict) -> None:
    """The cursor of the next page of a list answer, when there is one."""
    if found.get("next_cursor"):
        click.echo(f"more: --cursor {found['next_cursor']}")


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def environment(env: dict | None) -> str:
    """Where a run ran (or an automation runs), in a few words."""
    if not env:
        return "-"
    if env.get("type") == "runner":
        name = env.get("runner_name") or env.get("runner_id")
        return f"runner {name}" if name else f"runner pool {env.get('pool')}"
    return env.get("type", "-")


def fields(pairs: list[tuple[str, object]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for key, value in pairs:
        click.echo(f"{key.ljust(width)}  {'-' if value in (None, '') else value}")


def session(data: dict) -> None:
    """A hidden session, readable in a terminal: messages and tool calls in order, then artifacts."""
    click.secho(f"session {data['id']}  run {data.get('run_id')}  automation {data.get('automation_id')}  "
                f"environment {environment(data.get('environment'))}", bold=True)
    events = [("message", m) for m in data.get("messages", [])] + [("tool", t) for t in data.get("tool_calls", [])]
    events.sort(key=lambda e: (e[1].get("seq") is None, e[1].get("seq") or 0, e[1].get("at") or ""))
    for kind, item in events:
        click.echo()
        if kind == "message":
            click.secho(f"[{item.get('at')}] {item['role']}", fg="cyan", bold=True)
            click.echo(item["content"])
        else:
            output = item.get("output")
            failed = isinstance(output, dict) and output.get("ok") is False
            click.secho(f"[{item.get('at')}] tool {item['tool']}({json.dumps(item.get('input'), ensure_ascii=False)})",
                        fg="red" if failed else "yellow", bold=True)
            click.echo("  -> " + json.dumps(output, ensure_ascii=False)[:2000])
    for artifact in data.get("artifacts", []):
        click.echo()
        click.secho(f"artifact {artifact['name']} ({artifact['media_type']})", fg="green", bold=True)
        click.echo(artifact["content"])
