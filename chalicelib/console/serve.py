"""Serving the console: one HTML shell for every console route (the browser
code routes on the path) and the built assets, with a strict
Content-Security-Policy (no inline script, no inline style, nothing from
another origin) and caching headers (assets are content-hashed, so immutable;
the shell always revalidates, so a new build is picked up at once)."""
import html
import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Response

DIST = Path(__file__).resolve().parent / "dist"
PREFIX = "/ai-sre"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".map": "application/json; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=4)
def _read_manifest(mtime_ns: int) -> dict | None:
    try:
        return json.loads((DIST / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def manifest() -> dict | None:
    """The build's {"js", "css", "files"}, or None when the console is not built
    (read again when a new build replaces it, so `make console` needs no restart)."""
    try:
        return _read_manifest((DIST / "manifest.json").stat().st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=16)
def _asset_text(name: str) -> str | None:
    try:
        return (DIST / name).read_text(encoding="utf-8")
    except OSError:
        return None


def shell(base_url: str) -> Response:
    """The HTML page every console route answers with."""
    built = manifest()
    if built is None:
        return Response("The console is not built: run `make console` (make run and make test build it).",
                        status_code=503, headers={"Content-Type": "text/plain; charset=utf-8",
                                                  "Cache-Control": "no-store", **SECURITY_HEADERS})
    base = urlsplit(base_url).path.rstrip("/")
    assets = html.escape(f"{base}{PREFIX}/assets/", quote=True)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="api-base" content="{html.escape(base, quote=True)}">'
        '<title>AI SRE · Automations</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{assets}{built["css"]}">'
        f'<script type="module" src="{assets}{built["js"]}"></script>'
        '</head><body><div id="app"><p class="boot">Loading…</p></div>'
        '<noscript>The console needs JavaScript.</noscript></body></html>')
    return Response(page, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **SECURITY_HEADERS})


def asset(name: str) -> Response:
    """A built asset by its hashed file name; only names the build made are served."""
    built = manifest() or {}
    body = _asset_text(name) if name in built.get("files", []) else None  # hashed names: content never changes
    if body is None:
        return Response(f"No console asset {name!r}.", status_code=404,
                        headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store",
                                 **SECURITY_HEADERS})
    return Response(body, status_code=200, headers={
        "Content-Type": TYPES[Path(name).suffix], "Cache-Control": IMMUTABLE, **SECURITY_HEADERS})
