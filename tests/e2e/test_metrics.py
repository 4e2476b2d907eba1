"""The Prometheus endpoint ([ossd] metrics_listen): figures after decisions,
a rejection, a dead letter and a duplicate; HTTP behaviour; a bad address."""
import re
import urllib.error
import urllib.request

import harness
import sample

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def submission(sid):
    sub = sample.Generator(seed=hash(sid) & 0xffff, invalid_ratio=0).valid()
    sub["submission_id"] = sid
    return sub


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    figures, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, "not in the text format: %r" % line
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        assert (m.group(1), labels) not in figures, "a series twice: %r" % line
        figures[(m.group(1), labels)] = float(m.group(3))
    return figures, types


def get(figures, name, **labels):
    return figures.get((name, frozenset(labels.items())))


def test_figures_after_decisions_and_dead_letter(env):
    port = harness.free_port()
    d = env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    assert "metrics at http://127.0.0.1:%d/metrics" % port in d.log_since_start()
    ok1, ok2, bad = submission("m-ok-1"), submission("m-ok-2"), submission("m-bad-1")
    bad["business"]["activities"][0]["kbli"] = "99999"
    env.produce([(sample.key_of(s), sample.encode(s)) for s in (ok1, ok2, bad)] +
                [(b"m-broken", b'{"schema": "oss.submission.v1", "submission_id": "tru')])
    env.wait_decided(3)

    def settled():
        f, _ = scrape(port)
        return f if get(f, "ossd_dead_letters_total", code="PARSE_ERROR") == 1 else None
    f = harness.wait_for(settled, 30, "the dead letter in /metrics")
    assert get(f, "ossd_decisions_total", outcome="issued") == 2
    assert get(f, "ossd_decisions_total", outcome="rejected") == 1
    assert get(f, "ossd_rejections_by_reason_total", code="KBLI_UNKNOWN") == 1
    assert get(f, "ossd_duplicates_total") == 0
    batches = get(f, "ossd_batches_total")
    assert batches >= 1
    # every consumed message is in exactly one committed batch
    assert get(f, "ossd_batch_size_sum") == 4
    assert get(f, "ossd_batch_size_count") == batches
    assert get(f, "ossd_batch_size_bucket", le="+Inf") == batches
    assert get(f, "ossd_batch_commit_seconds_count") == batches
    assert 0 < get(f, "ossd_batch_commit_seconds_sum") < 30
    assert get(f, "ossd_build_info", version=open(harness.REPO + "/VERSION").read().strip()) == 1

    # the same bytes again: a duplicate, nothing else changes
    env.produce([(sample.key_of(ok1), sample.encode(ok1))])

    def gauges_settled():
        f, _ = scrape(port)
        lags = [v for (n, _), v in f.items() if n == "ossd_consumer_lag"]
        ok = (get(f, "ossd_duplicates_total") == 1 and get(f, "ossd_postgres_up") == 1 and
              lags and all(v == 0 for v in lags) and get(f, "ossd_outbox_in_flight") == 0 and
              get(f, "ossd_events_delivered_total") == 4 and
              get(f, "ossd_outbox_backlog") is not None)
        return (f, lags) if ok else None
    f, lags = harness.wait_for(gauges_settled, 30, "duplicate, lag and outbox figures")
    assert get(f, "ossd_decisions_total", outcome="issued") == 2
    assert get(f, "ossd_batch_size_sum") == 5
    # the one member owns every partition of the three input topics; the status topic's
    # series are the status-update lag
    status, nib = harness.lifecycle_topics()[0], harness.lifecycle_topics()[2]
    series = {(dict(k[1])["topic"], dict(k[1])["partition"]) for k in f
              if k[0] == "ossd_consumer_lag"}
    assert len(series) == len(lags)
    by_topic = {}
    for topic, part in series:
        by_topic.setdefault(topic, set()).add(part)
    assert by_topic == {harness.TOPICS[0]: {str(p) for p in range(16)},
                        status: {str(p) for p in range(harness.LIFECYCLE_PARTITIONS)},
                        nib: {str(p) for p in range(harness.LIFECYCLE_PARTITIONS)}}

    _, types = scrape(port)
    assert types["ossd_decisions_total"] == "counter"
    assert types["ossd_batch_commit_seconds"] == "histogram"
    assert types["ossd_consumer_lag"] == "gauge"

    for path, code in (("/nope", 404),):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5)
            raise AssertionError("expected HTTP %d" % code)
        except urllib.error.HTTPError as e:
            assert e.code == code
    try:
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/metrics" % port, data=b"x", method="POST"), timeout=5)
        raise AssertionError("expected HTTP 405")
    except urllib.error.HTTPError as e:
        assert e.code == 405
    assert d.stop() == 0


def test_bare_port_is_loopback_and_bad_address_refused(env):
    port = harness.free_port()
    d = env.daemon(extra_ossd="metrics_listen = :%d" % port)
    assert "metrics at http://127.0.0.1:%d/metrics" % port in d.log_since_start()
    f, _ = scrape(port)
    assert get(f, "ossd_decisions_total", outcome="issued") == 0
    # a second instance on the same port cannot start, and says why
    bad = env.daemon(start=False, extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    bad.start(wait=False)
    assert bad.proc.wait(30) == 1
    assert "metrics_listen 127.0.0.1:%d: Address already in use" % port in bad.log()
    nonsense = env.daemon(start=False, extra_ossd="metrics_listen = 127.0.0.1:http")
    nonsense.start(wait=False)
    assert nonsense.proc.wait(30) == 1
    assert "expected host:port" in nonsense.log()
    for x in (bad, nonsense):  # exited as expected: not a failure for the fixture
        x.logf.close()
        env.daemons.remove(x)
