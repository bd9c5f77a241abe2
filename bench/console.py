"""Benchmark of the web console on the local stack, in headless Chromium.

    .venv/bin/python bench/console.py [--automations 1000] [--loads 5]

It starts its own local stack (temporary STACK_DIR, free ports on 127.0.0.1),
creates `--automations` automations through the API, and opens the console as
the account owner in Debian's Chromium (`make browser` installs it). Printed:

- first load: bytes transferred (compressed, as sent on the wire: the stack
  gzips as API Gateway does with minimum_compression_size) for the page and its
  assets, and for the API calls the first screen makes; the same uncompressed;
- time to the first rendered list (navigation start to the list's first page
  on screen), the median and worst of `--loads` cold loads (fresh browser
  context, empty cache);
- with every automation loaded through "Load more" (pages of 50): the time
  from each page's answer to its rows on screen, the last one (the list at
  its full length) and the worst, and the wall time to load them all.

Everything stays on 127.0.0.1; every loop is bounded.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import Client, chromium, new_page  # noqa: E402
from tests.test_e2e_stack import Stack  # noqa: E402

PAGE = 50


def seed(api: Client, info: dict, count: int) -> None:
    """`count` automations in the owner's account: a few made through the API,
    the rest copies of them written straight into the stack's tables (batch
    writes; through the API this takes minutes on moto, and the list reads only
    the automations table)."""
    made = [api.automation(name=f"Automation {i:04d}", triggers=[
        {"type": "schedule", "mode": "weekly", "hour": i % 24, "weekday": i % 7, "timezone": "Europe/Berlin"},
        {"type": "api"}])["automation"]["id"] for i in range(min(count, 10))]
    # before chalicelib's settings are first read (here): the stack's moto, its default table names
    os.environ.update(AWS_ENDPOINT_URL=info["aws_endpoint"], AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
                      AWS_SESSION_TOKEN="local", AWS_DEFAULT_REGION="us-east-1")
    from chalicelib.clock import iso_ms, utcnow
    from chalicelib.store import repos

    originals = [repos.rules.get(rule_id) for rule_id in made]
    start = utcnow()
    repos.rules.put_many([  # batch writes of the rule items alone
        replace(originals[i % len(originals)], id=f"aut_bench{i:05d}", name=f"Automation {i:04d}",
                created_at=iso_ms(start + timedelta(milliseconds=i)))
        for i in range(len(made), count)])


def first_load(browser, info) -> dict:
    page = new_page(browser, info["api_url"], info["api_key"])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen, sizes = {}, {}
    cdp.on("Network.responseReceived", lambda e: seen.__setitem__(e["requestId"], (e["type"], e["response"]["url"])))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto("/ai-sre/automations")
    page.wait_for_selector("tbody tr")
    page.wait_for_load_state("networkidle")
    if os.environ.get("BENCH_VERBOSE"):
        print(page.evaluate("""() => performance.getEntriesByType('resource').map(e =>
            `${e.name.split('/').slice(3).join('/').slice(0, 60)} start ${e.startTime.toFixed(0)}`
            + ` end ${e.responseEnd.toFixed(0)}`).join('\\n')"""))
    shown = page.evaluate("""n => {
        const mark = performance.getEntriesByName('automations-rendered-' + n)[0];
        return mark ? mark.startTime : null; }""", PAGE)
    decoded = page.evaluate("""() => performance.getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation')).reduce((sum, e) => sum + (e.decodedBodySize || 0), 0)""")
    phases = page.evaluate("""() => {
        const res = performance.getEntriesByType('resource');
        const end = (test) => Math.max(0, ...res.filter(test).map(e => e.responseEnd));
        return {assets: end(e => e.initiatorType === 'script' || e.initiatorType === 'link'),
                api: end(e => e.name.includes('/automations?'))}; }""")
    assets = sum(n for rid, n in sizes.items() if seen.get(rid, ("",))[0] in ("Document", "Script", "Stylesheet"))
    api_bytes = sum(n for rid, n in sizes.items() if seen.get(rid, ("",))[0] in ("Fetch", "XHR"))
    page.context.close()
    return {"assets": assets, "api": api_bytes, "decoded": decoded, "first_list_ms": shown,
            "assets_ms": phases["assets"], "api_ms": phases["api"]}


def load_all(browser, info, count: int) -> dict:
    page = new_page(browser, info["api_url"], info["api_key"])
    page.goto("/ai-sre/automations")
    page.wait_for_selector("tbody tr")
    started = time.perf_counter()
    deadline = time.monotonic() + 300
    while (shown := page.locator("tbody tr").count()) < count:
        assert time.monotonic() < deadline, "loading every automation took over 5 minutes"
        page.get_by_role("button", name="Load more").click()
        page.wait_for_function("n => document.querySelectorAll('tbody tr').length >= n",
                               arg=min(count, shown + PAGE), timeout=60000)
    wall = time.perf_counter() - started
    renders = page.evaluate("""() => {
        // each page's answer (automations-received) and its rows on screen (automations-rendered-<rows>), in order
        const got = performance.getEntriesByName('automations-received');
        const shown = performance.getEntriesByType('mark').filter(m => m.name.startsWith('automations-rendered-'));
        return got.map((r, i) => [Number(shown[i].name.split('-').pop()), shown[i].startTime - r.startTime]); }""")
    page.context.close()
    return {"wall_s": wall, "renders": renders}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--automations", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    stack = Stack(Path(tempfile.mkdtemp(prefix="bench-console-")))
    info = stack.start()
    try:
        started = time.perf_counter()
        seed(Client(info["api_url"], info["api_key"]), info, args.automations)
        print(f"seeded {args.automations} automations in {time.perf_counter() - started:.1f} s")
        with chromium() as browser:
            loads = [first_load(browser, info) for _ in range(args.loads)]
            cold = loads[-1]
            times = [x["first_list_ms"] for x in loads]
            print(f"first load, transferred (compressed): page + assets {cold['assets'] / 1024:.1f} KB, "
                  f"API calls {cold['api'] / 1024:.1f} KB (uncompressed, all: {cold['decoded'] / 1024:.1f} KB)")
            print(f"time to the first rendered list ({PAGE} of {args.automations} automations): "
                  f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms over {args.loads} cold loads "
                  f"(assets in by {statistics.median(x['assets_ms'] for x in loads):.0f} ms, the list's API answer "
                  f"by {statistics.median(x['api_ms'] for x in loads):.0f} ms: moto's Query reads the whole table)")
            full = load_all(browser, info, args.automations)
            last_n, last_ms = full["renders"][-1]
            worst = max(ms for _, ms in full["renders"])
            print(f"all {last_n} automations through Load more: {full['wall_s']:.1f} s wall; answer to rows on "
                  f"screen: {last_ms:.0f} ms for the last page (list at {last_n} rows), worst {worst:.0f} ms")
    finally:
        stack.stop()


if __name__ == "__main__":
    from tests import loopback_only
    loopback_only.install(report_at_exit=True)  # no packet leaves loopback, even by mistake
    main()
