"""Report pieces every analysis ends with."""


def gaps_section(reader, tr) -> list[str]:
    """A "Data gaps" section naming each failed or cut-short tool read (none: no lines)."""
    if not reader.gaps:
        return []
    lines = ["", f"## {tr('gaps.title')}", "", tr("gaps.intro"), ""]
    for gap in reader.gaps:
        lines.append("- " + (tr("gaps.failed", tool=gap.tool, error=gap.error) if gap.error is not None
                             else tr("gaps.pages", tool=gap.tool, pages=gap.pages)))
    return lines
