"""make demo: the dev stack, a realistic day of submissions through ossd, a summary.

Starts a private dev stack (its own run directory), feeds DEMO_N submissions
(default 3,000) from the sectors of the Semarang study, some registered by
outreach officers, runs build/ossd until every one is decided, prints what was
decided, and stops everything.

Then the licence lifecycle (docs/lifecycle.md): agency status updates for a share of the permits
pending verification (progress codes, a stop and its resume, 50 issued, 52 provisional, 90
rejected, and a few an agency gets wrong: an unknown permit, a withdrawn code, one that fails the
schema, a verdict on a permit already decided), then a second ossd run 40 days later on a faked
clock (libfaketime with build/libcndshim.so) whose sweep deems the permits still pending approved
(code 57). The summary prints the permits by status and the deemed approvals.
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pylib"))

import harness  # noqa: E402
import psycopg2  # noqa: E402
import sample  # noqa: E402

N = int(os.environ.get("DEMO_N", "3000"))
STATUS_SHARE = float(os.environ.get("DEMO_STATUS_SHARE", "0.6"))  # of the pending permits
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
CNDSHIM = os.path.join(harness.BUILD, "libcndshim.so")
LICENSE_TOPIC = harness.LIFECYCLE_TOPICS[0]


def status_updates(pending, now):
    """The agency's status updates for a share of the pending permits [(permit_id, nib)], in a
    realistic mix, plus a few invalid ones. Returns [(key, value)] and how many are meant to be
    refused; the permits left pending keep their clock running (a stop is always resumed)."""
    docs, refused = [], 0
    ms = datetime.timedelta(milliseconds=1)
    take = pending[:int(len(pending) * STATUS_SHARE)]
    for i, (pid, nib) in enumerate(take):
        at = now + i * 10 * ms

        def up(code, k, **extra):
            d = {"schema": "oss.license-status.v1", "status_id": "demo-st-%d-%d" % (i, k),
                 "permit_id": pid, "nib": nib, "code": code,
                 "status_at": (at + k * ms).isoformat(timespec="milliseconds"),
                 "agency": "DINKES-3374"}
            d.update(extra)
            docs.append(d)

        kind = i % 6
        up("10", 0)  # received by the authority
        if kind == 0:
            up("30", 1)
            up("50", 2, permit_number="503/%05d/DPMPTSP" % i)
        elif kind == 1:
            up("52", 1)
        elif kind == 2:
            up("90", 1, note="persyaratan teknis tidak terpenuhi")
            if i % 12 == 2:
                up("50", 2)  # a verdict on a permit already rejected: TRANSITION_INVALID
                refused += 1
        elif kind == 3:
            up("41", 1)  # the clock stopped (documents requested) and resumed
            up("42", 2)
        elif kind == 4:
            up("20", 1)  # progress only: still pending
    if take:
        pid, nib = take[0]
        at = (now + len(take) * 10 * ms).isoformat(timespec="milliseconds")
        base = {"schema": "oss.license-status.v1", "nib": nib, "status_at": at,
                "agency": "DINKES-3374"}
        docs.append(dict(base, status_id="demo-st-unknown", permit_id=nib + "-99999-337401",
                         code="10"))  # PERMIT_UNKNOWN
        docs.append(dict(base, status_id="demo-st-withdrawn", permit_id=pid, code="91"))
        bad = dict(base, status_id="demo-st-schema", permit_id=pid, code="10")
        del bad["status_at"]
        docs.append(bad)  # SCHEMA_INVALID
        refused += 3
    return [(d["permit_id"].encode(), json.dumps(d, separators=(",", ":")).encode())
            for d in docs], refused


def table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, headers))
    out = ["  " + line, "  " + "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  " + "  ".join(("%*s" if isinstance(x, (int, float)) else "%-*s") % (w, x)
                                    for w, x in zip(widths, r)))
    return "\n".join(out)


def main():
    stack = harness.Stack(prefix="ossd-demo-")
    run_dir = stack.run_dir
    ossd = None
    rc = 1
    try:
        print("== starting the dev stack (PostgreSQL + Kafka-protocol broker) in %s" % run_dir)
        stack.up()
        conf = os.path.join(run_dir, "ossd.conf")
        log_path = os.path.join(run_dir, "ossd.log")
        logf = open(log_path, "w")
        ossd = subprocess.Popen([harness.OSSD, "--config", conf, "--log-target", "stderr"],
                                stdout=logf, stderr=subprocess.STDOUT)
        harness.wait_for(lambda: "started" in open(log_path).read() or ossd.poll() is not None,
                         60, "ossd to start")
        if ossd.poll() is not None:
            print(open(log_path).read())
            return 1

        gen = sample.Generator(seed=2026, invalid_ratio=0.05, prefix="demo")
        msgs = []
        for _ in range(N):
            s = gen.next()
            msgs.append((sample.key_of(s), sample.encode(s)))
        # a few messages no one can decide, and a re-delivery
        msgs.append((b"x", b'{"schema": "oss.submission.v1", "submission_id": "demo-trunc'))
        msgs.append((b"y", msgs[0][1]))
        print("== feeding %d submissions to %s" % (len(msgs), harness.TOPICS[0]))
        t0 = time.monotonic()
        harness.produce(stack.brokers, msgs)
        conn = psycopg2.connect(stack.pg_url)
        conn.autocommit = True
        cur = conn.cursor()

        def decided():
            cur.execute("SELECT (SELECT count(*) FROM submissions) + "
                        "(SELECT count(*) FROM dead_letters)")
            return cur.fetchone()[0]

        harness.wait_for(lambda: decided() >= N + 1, 300, "every submission decided", 0.1)
        elapsed = time.monotonic() - t0
        harness.wait_for(lambda: (cur.execute(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL") or cur.fetchone()[0] == 0),
            60, "every event published", 0.2)

        print("\n== decided %d submissions in %.1f s (%.0f per second, produce to commit)\n"
              % (N, elapsed, N / elapsed))
        cur.execute("SELECT status, count(*) FROM submissions GROUP BY 1 ORDER BY 1")
        print("by outcome:\n" + table(cur.fetchall(), ["outcome", "submissions"]) + "\n")
        cur.execute("SELECT coalesce(channel, '(unreadable)'), count(*) FILTER (WHERE status = 'issued'), "
                    "count(*) FILTER (WHERE status = 'rejected'), count(*) FROM submissions "
                    "GROUP BY 1 ORDER BY 4 DESC")
        print("by channel:\n" + table(cur.fetchall(), ["channel", "issued", "rejected", "total"])
              + "\n")
        cur.execute("SELECT CASE scale WHEN '01' THEN '01 mikro' WHEN '02' THEN '02 kecil' "
                    "WHEN '03' THEN '03 menengah' ELSE '04 besar' END, count(*) FROM submissions "
                    "WHERE status = 'issued' GROUP BY 1 ORDER BY 1")
        print("issued by business scale:\n" + table(cur.fetchall(), ["scale", "submissions"])
              + "\n")
        cur.execute("SELECT risk, permit, permit_status, count(*) FROM activities "
                    "GROUP BY 1, 2, 3 ORDER BY array_position(ARRAY['R','MR','MT','T'], risk)")
        print("activities by risk:\n" + table(cur.fetchall(),
                                              ["risk", "permit", "status", "activities"]) + "\n")
        cur.execute("SELECT r->>'code', count(*) FROM submissions, jsonb_array_elements(reasons) r "
                    "WHERE status = 'rejected' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10")
        print("most frequent rejection reasons:\n" + table(cur.fetchall(), ["reason", "count"])
              + "\n")
        cur.execute("SELECT count(*), count(*) FILTER (WHERE nib_new) FROM submissions "
                    "WHERE status = 'issued'")
        issued, new = cur.fetchone()
        print("NIB: %d issued submissions, %d new business actors, %d known actors gained "
              "activities\n" % (issued, new, issued - new))
        cur.execute("SELECT error_code, count(*) FROM dead_letters WHERE src_topic = %s "
                    "GROUP BY 1", (harness.TOPICS[0],))
        print("dead letters:\n" + table(cur.fetchall(), ["code", "count"]) + "\n")

        col = harness.Collector(stack.brokers, harness.TOPICS[1])
        col.wait(lambda m: len(m) >= N, 60, "the decision events")
        evs = harness.events(col.messages)
        col.close()
        print("sample decision events (as published on %s):" % harness.TOPICS[1])
        shown = 0
        for t in ("issued", "rejected"):
            for ev in [e for e in evs if e["type"].endswith(t + ".v1")][:2]:
                d = ev["data"]
                if t == "issued":
                    acts = ", ".join("%s %s (%s: %s %s)" % (a["kbli"], a["title"][:40], a["risk"],
                                                             a["permit"], a["status"])
                                     for a in d["activities"])
                    print("  %s  ISSUED  NIB %s%s  %s  scale %s  %s  authority %s\n      %s"
                          % (d["submission_id"], d["nib"], " (new)" if d["nib_new"] else "",
                             d["applicant"]["nik_masked"], d["scale"], d["channel"],
                             d["authority"], acts))
                else:
                    print("  %s  REJECTED  %s" % (d["submission_id"], "; ".join(
                        "%s at %s: %s" % (r["code"], r["path"], r["message"])
                        for r in d["reasons"])))
                shown += 1
        assert len({e["id"] for e in evs}) == N, "one event id per submission"

        # ---- the lifecycle: the agencies' status updates, then the deadline passes ----------
        cur.execute("SELECT permit_id, nib FROM permits WHERE status = 'pending_verification' "
                    "AND clock = 'running' ORDER BY permit_id")
        pending = [(p, nib.strip()) for p, nib in cur.fetchall()]
        updates, refused = status_updates(pending, datetime.datetime.now(datetime.timezone.utc))
        print("\n== feeding %d status updates for %d of the %d permits pending verification to %s"
              % (len(updates), int(len(pending) * STATUS_SHARE), len(pending), LICENSE_TOPIC))
        harness.produce(stack.brokers, updates, topic=LICENSE_TOPIC)

        def status_offsets():
            cur.execute("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets "
                        "WHERE topic = %s", (LICENSE_TOPIC,))
            return cur.fetchone()[0]

        harness.wait_for(lambda: status_offsets() >= len(updates), 300,
                         "every status update applied or refused", 0.2)
        cur.execute("SELECT count(*) FROM dead_letters WHERE src_topic = %s", (LICENSE_TOPIC,))
        status_dead = cur.fetchone()[0]
        assert status_dead == refused, (status_dead, refused)

        deemed_ran = False
        if os.path.exists(FAKETIME_LIB) and os.path.exists(CNDSHIM):
            print("== 40 days later: ossd restarted on a faked clock (libfaketime), its sweep "
                  "deems the permits still pending")
            ossd.send_signal(signal.SIGTERM)
            if ossd.wait(60) != 0:
                print(open(log_path).read())
                return 1
            conf2 = os.path.join(run_dir, "ossd-later.conf")
            with open(conf) as f, open(conf2, "w") as g:
                g.write(f.read() + "\n[sla]\nsweep_interval_s = 1\n")
            os.chmod(conf2, 0o600)
            logf.write("\n==== 40 days later ====\n")
            logf.flush()
            faked = dict(os.environ, FAKETIME="+40d", FAKETIME_DONT_RESET="1",
                         LD_PRELOAD=harness.preload(CNDSHIM, FAKETIME_LIB))
            ossd = subprocess.Popen([harness.OSSD, "--config", conf2, "--log-target", "stderr"],
                                    stdout=logf, stderr=subprocess.STDOUT, env=faked)

            def still_pending():
                cur.execute("SELECT count(*) FROM permits WHERE status = 'pending_verification' "
                            "AND clock = 'running'")
                return cur.fetchone()[0]

            harness.wait_for(lambda: still_pending() == 0 or ossd.poll() is not None, 180,
                             "the due permits deemed approved", 0.2)
            if ossd.poll() is not None:
                print(open(log_path).read())
                return 1
            harness.wait_for(lambda: (cur.execute(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                or cur.fetchone()[0] == 0), 60, "every event published", 0.2)
            deemed_ran = True
        else:
            print("== (libfaketime or build/libcndshim.so missing: no deemed approval shown)")

        cur.execute("SELECT status, count(*) FROM permits GROUP BY 1 ORDER BY 2 DESC, 1")
        by_status = cur.fetchall()
        print("\npermits by status:\n" + table(by_status, ["status", "permits"]) + "\n")
        cur.execute("SELECT count(*) FILTER (WHERE status_id IS NOT NULL "
                    "AND dead_letter_id IS NULL), "
                    "count(*) FILTER (WHERE code = '57' AND status_id IS NULL) FROM permit_history")
        applied, deemed = cur.fetchone()
        print("status updates: %d sent, %d applied, %d refused (dead letters); deemed approvals "
              "(code 57): %d\n" % (len(updates), applied, status_dead, deemed))
        cur.execute("SELECT error_code, count(*) FROM dead_letters WHERE src_topic = %s "
                    "GROUP BY 1 ORDER BY 1", (LICENSE_TOPIC,))
        print("status dead letters:\n" + table(cur.fetchall(), ["code", "count"]) + "\n")
        cur.execute("SELECT h.permit_id, p.sla_due FROM permit_history h JOIN permits p "
                    "USING (permit_id) WHERE h.code = '57' AND h.status_id IS NULL "
                    "ORDER BY h.permit_id LIMIT 1")
        row = cur.fetchone()
        if row:
            print("a deemed approval: permit %s, deadline %s passed with no verdict: "
                  "approved_deemed (fiktif positif)\n" % (row[0], row[1].isoformat()))
        if deemed_ran:
            assert deemed >= 1 and dict(by_status).get("approved_deemed", 0) == deemed
        rc = 0
    finally:
        if ossd and ossd.poll() is None:
            ossd.send_signal(signal.SIGTERM)
            code = ossd.wait(60)
            print("\n== ossd stopped (exit %d)" % code)
            if code != 0:
                rc = 1
        stack.down()
        print("== dev stack stopped")
        shutil.rmtree(run_dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
