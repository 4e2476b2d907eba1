"""make demo: the dev stack, a realistic day of submissions through ossd, a summary.

Starts a private dev stack (its own run directory), feeds DEMO_N submissions
(default 3,000) from the sectors of the Semarang study, some registered by
outreach officers, runs build/ossd until every one is decided, prints what was
decided, and stops everything.
"""
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
        cur.execute("SELECT error_code, count(*) FROM dead_letters GROUP BY 1")
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
