"""Markdown pieces of the reports: table cells that cannot break a table,
and tables."""


def cell(value) -> str:
    """A value as one table cell: pipes escaped, line breaks flattened, "—" for nothing."""
    if value is None or value == "":
        return "—"
    return " ".join(str(value).split()).replace("|", "\\|")


def table(head: list[str], rows: list[list]) -> list[str]:
    """The lines of a Markdown table."""
    lines = ["| " + " | ".join(cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def code(value) -> str:
    """A name in backticks (alert names, keys), with backticks in it dropped."""
    return f"`{str(value).replace('`', '')}`" if value else "—"
