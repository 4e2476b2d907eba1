"""A reload (SIGHUP) and the config table's reload flags: a changed key a reload cannot apply is
named, with the others like it, in ONE log line and keeps its running value until a restart;
a changed reloadable key is applied (the events' source and dataschema from the next batch on,
the log level). Events decided before the reload keep what they were built with. Exact
accounting."""
import json
import signal
import urllib.request

import harness
import sample

RESTART_LINE = "wait for a restart"


def edit(path, *pairs):
    with open(path) as f:
        text = f.read()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)


def metrics_answer(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def test_reload_names_the_keys_that_wait_and_applies_the_rest(env):
    first, ids1 = sample.corpus(60, 131, "rk-a")
    second, ids2 = sample.corpus(60, 132, "rk-b")
    port1, port2 = harness.free_port(), harness.free_port()
    d = env.daemon(batch_max=20, extra_ossd="source = urn:ossd:test-a\n"
                   "schema_base = urn:ossd:schemas-a\nstart_offset = earliest\n"
                   "metrics_listen = 127.0.0.1:%d\n" % port1)
    env.produce(first)
    env.check_exact(ids1, daemons=[d])
    assert metrics_answer(port1)

    edit(d.conf,
         # reloadable
         ("source = urn:ossd:test-a", "source = urn:ossd:test-b"),
         ("schema_base = urn:ossd:schemas-a", "schema_base = urn:ossd:schemas-b"),
         ("log_level = info", "log_level = debug"),
         # wait for a restart
         ("start_offset = earliest", "start_offset = latest"),
         ("metrics_listen = 127.0.0.1:%d" % port1, "metrics_listen = 127.0.0.1:%d" % port2),
         ("session.timeout.ms = 6000", "session.timeout.ms = 7000"))
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the reload")

    lines = [ln for ln in d.log_since_start().splitlines() if RESTART_LINE in ln]
    assert len(lines) == 1, lines
    named = lines[0].split(RESTART_LINE, 1)[1]
    for key in ("[ossd] start_offset", "[ossd] metrics_listen", "[kafka] session.timeout.ms"):
        assert key in named, (key, lines[0])
    for key in ("source", "schema_base", "log_level", "batch_max", "[postgres]", "[topics]"):
        assert key not in named, (key, lines[0])
    assert "7000" not in lines[0] and "latest" not in lines[0], "a value in the line"

    # the no-reload key keeps its running value: the endpoint stays where it was
    assert metrics_answer(port1)
    assert not metrics_answer(port2)

    env.produce(second)
    col = env.check_exact(ids1 | ids2, daemons=[d])
    built = {}
    for m in col.messages:
        ev = json.loads(m.value())
        built[ev["data"]["submission_id"]] = (ev["source"], ev["dataschema"])
    for sid in ids1:
        assert built[sid][0] == "urn:ossd:test-a", built[sid]
        assert built[sid][1].startswith("urn:ossd:schemas-a/events/"), built[sid]
    for sid in ids2:
        assert built[sid][0] == "urn:ossd:test-b", built[sid]
        assert built[sid][1].startswith("urn:ossd:schemas-b/events/"), built[sid]
    # log_level = debug is applied: decisions are logged at debug from now on
    assert any(sid in d.log_since_start() for sid in ids2)
    assert not any(sid in d.log_since_start() for sid in ids1)
    assert d.alive()


def test_reload_that_changes_nothing_waiting_says_nothing_about_a_restart(env):
    msgs, ids = sample.corpus(20, 133, "rk-c")
    d = env.daemon(batch_max=20)
    edit(d.conf, ("batch_ms = 20", "batch_ms = 30"))
    d.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the reload")
    env.produce(msgs)
    env.check_exact(ids, daemons=[d])
    assert RESTART_LINE not in d.log_since_start()
    assert "next restart" not in d.log_since_start()
