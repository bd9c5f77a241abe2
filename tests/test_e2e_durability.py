"""End to end: the local stack loses no acknowledged write. It is killed with
SIGKILL (the stack, chalice local and the sandbox at once) at random moments
under a steady load of triggers, events and saves, and restarted on the same
STACK_DIR; after each restart every run, event and automation it answered
2xx for is there. Three kills here; `bench/crash.py` runs ten."""
from bench.crash import crash_loop

KILLS = 3


def test_every_acknowledged_write_survives_sigkill_under_load(tmp_path):
    result = crash_loop(tmp_path, KILLS, seed=18, say=lambda _line: None)

    assert result["errors"] == [], result["errors"][:5]
    assert len(result["rounds"]) == KILLS
    for played in result["rounds"]:
        # each round wrote every kind of item before its kill, and lost none of them, nor any earlier one
        assert all(count > 0 for count in played["acknowledged_this_round"].values()), played
        assert {kind: found["lost"] for kind, found in played["found"].items()} == \
            {"runs": [], "events": [], "automations": []}, played
        assert all(found["found"] == found["acknowledged"] for found in played["found"].values()), played
    assert result["total"]["lost"] == 0 and result["total"]["found"] == result["total"]["acknowledged"] > 0
    log = (tmp_path / "stack.log").read_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000:][:6000]
