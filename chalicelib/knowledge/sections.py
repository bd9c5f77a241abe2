"""A Markdown document as its sections: the unit the search ranks and cites.

A section starts at an ATX heading (`#` to `######` and a space) and runs
to the next heading of any level; the text before the first heading is a
section without a heading. Lines inside fenced code blocks (``` or ~~~)
are never headings. A section with no text under its heading is left out
(it is only a parent of the sections that follow)."""
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    """One section: its heading ("" before the first heading), level (0 for
    that one) and its text under the heading."""
    heading: str
    level: int
    text: str


def split(markdown: str) -> list[Section]:
    """The sections of a Markdown document, in order."""
    out, heading, level, lines, fence = [], "", 0, [], None
    for line in (markdown or "").splitlines():
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            found = _HEADING.match(line)
            if found:
                _close(out, heading, level, lines)
                heading, level, lines = found.group(2).strip(), len(found.group(1)), []
                continue
        lines.append(line)
    _close(out, heading, level, lines)
    return out


def _close(out: list, heading: str, level: int, lines: list) -> None:
    text = "\n".join(lines).strip()
    if text:
        out.append(Section(heading, level, text))
