"""The docs stay true to the server and to the repository: docs/http.md has a
`### METHOD /path` heading for every route of GET /openapi.json and for
nothing else, and README.md and docs/*.md link only to files inside the
repository."""
import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^### (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/\S*)\s*$", re.M)
# [text](target) and [text]: target; images too. Code spans and fenced blocks are left out first.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.M)
CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.S | re.M)


def documented_routes(markdown: str) -> set[tuple[str, str]]:
    """(path, method) of each `### METHOD /path` heading."""
    return {(path, method.lower()) for method, path in HEADING.findall(markdown)}


def test_every_served_route_has_its_heading_and_no_other(api):
    _, doc = api.call("GET", "/openapi.json")
    served = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    documented = documented_routes((ROOT / "docs" / "http.md").read_text())
    assert not served - documented, f"routes without a '### METHOD /path' heading: {sorted(served - documented)}"
    assert not documented - served, f"documented routes the server does not serve: {sorted(documented - served)}"


def test_the_heading_check_sees_headings_and_only_headings():
    text = "### GET /runs/{run_id}\n#### POST /x\ntext ### PUT /y\n### DELETE /teams/{team_id}\n"
    assert documented_routes(text) == {("/runs/{run_id}", "get"), ("/teams/{team_id}", "delete")}


def links(markdown: str) -> list[str]:
    """The link targets of a Markdown text, outside code."""
    return [a or b for a, b in LINK.findall(CODE.sub("", markdown))]


def test_links_in_readme_and_docs_resolve_inside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) >= 3
    for page in pages:
        text = page.read_text()
        assert "../shared" not in text, f"{page.name} points outside the repository"
        for target in links(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … (a public address, not a file)
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / unquote(path_part)).resolve() if path_part else page
            assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
            assert resolved.exists(), f"{page.name}: {target} does not exist"
            if anchor and resolved.suffix == ".md":
                assert anchor in anchors(resolved.read_text()), f"{page.name}: {target}: no such heading"


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for title in re.findall(r"^#{1,6} (.+?)\s*$", CODE.sub("", markdown), re.M):
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").lower()).replace(" ", "-")
        base, n = slug, 1
        while slug in found:
            slug, n = f"{base}-{n}", n + 1
        found.add(slug)
    return found


def test_the_link_check_finds_links_and_anchors():
    text = "See [a](docs/x.md#y), ![i](img.png), `[no](code.md)` and\n[ref]: ../out.md\n"
    assert links(text) == ["docs/x.md#y", "img.png", "../out.md"]
    assert anchors("## GET /runs/{run_id}\n## Runs and sessions\n## Runs and sessions\n") == {
        "get-runsrun_id", "runs-and-sessions", "runs-and-sessions-1"}
