#!/usr/bin/python3
"""valgrind memcheck over a demo-like run: a private dev stack, VALGRIND_N realistic
submissions (5% invalid) plus dead letters and duplicates, build/ossd under

    valgrind --error-exitcode=1 --leak-check=full

until everything is decided, then SIGTERM. Passes when ossd exits 0, memcheck reports no
error and no definitely or indirectly lost block; prints the figures (errors, leak summary,
decisions). Exit status: 0 clean, 1 not clean, 2 could not run. Run by `make soak`
(or alone: make && /usr/bin/python3 tests/soak/valgrind_demo.py)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "pylib"))

import harness  # noqa: E402
import psycopg2  # noqa: E402
import sample  # noqa: E402

N = int(os.environ.get("VALGRIND_N", "3000"))


def main():
    if not shutil.which("valgrind"):
        print("valgrind_demo: valgrind is not installed (make deps)")
        return 2
    stack = harness.Stack(prefix="ossd-vg-")
    run_dir = stack.run_dir
    proc = None
    clean = False
    try:
        stack.up()
        conf = os.path.join(run_dir, "ossd.conf")
        log_path = os.path.join(run_dir, "ossd.log")
        vg_path = os.path.join(run_dir, "valgrind.log")
        args = ["valgrind", "--error-exitcode=1", "--leak-check=full",
                "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
                "--track-origins=yes", "--num-callers=30", "--log-file=" + vg_path,
                harness.OSSD, "--config", conf, "--log-target", "stderr", "--log-level", "debug"]
        with open(log_path, "w") as logf:
            proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT)
            harness.wait_for(lambda: "started" in open(log_path).read() or proc.poll() is not None,
                             300, "ossd to start under valgrind", interval=0.5)
            if proc.poll() is not None:
                print(open(log_path).read()[-3000:])
                return 1
            gen = sample.Generator(seed=7, invalid_ratio=0.05, prefix="vg")
            msgs = []
            for _ in range(N):
                s = gen.next()
                msgs.append((sample.key_of(s), sample.encode(s)))
            dead = [(b"d1", b'{"schema":"oss.submission.v1","submission_id":"vg-dead-1"'),
                    (b"d2", b"\xff\xfe"), (b"d3", b"[1,2]"), (b"d4", b'{"schema":1}'),
                    (b"d5", b"{" + b" " * (256 * 1024) + b"}")]
            dup = [msgs[0], msgs[1]]  # the same bytes again: duplicates
            harness.produce(stack.brokers, msgs + dead + dup)
            pg = psycopg2.connect(stack.pg_url)
            pg.autocommit = True

            def count():
                with pg.cursor() as c:
                    c.execute("SELECT (SELECT count(*) FROM submissions), "
                              "(SELECT count(*) FROM dead_letters)")
                    return c.fetchone()
            t0 = time.monotonic()
            harness.wait_for(lambda: count() == (N, len(dead)) or proc.poll() is not None, 1800,
                             "every submission decided under valgrind", interval=1.0)
            elapsed = time.monotonic() - t0
            decided, dead_n = count()
            pg.close()
            time.sleep(3)  # let the outbox drain
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(600)
        vg = open(vg_path).read()
        errors = re.findall(r"ERROR SUMMARY: (\d+) errors from (\d+) contexts", vg)
        leaks = {k: v for k, v in re.findall(
            r"(definitely lost|indirectly lost|possibly lost|still reachable): ([\d,]+ bytes in "
            r"[\d,]+ blocks)", vg)}
        print("valgrind_demo: %d submissions decided, %d dead letters in %.0f s under memcheck"
              % (decided, dead_n, elapsed))
        print("valgrind_demo: ossd exit status %s; ERROR SUMMARY: %s errors from %s contexts"
              % (rc, *(errors[-1] if errors else ("?", "?"))))
        for k in ("definitely lost", "indirectly lost", "possibly lost", "still reachable"):
            print("valgrind_demo:   %-16s %s" % (k, leaks.get(k, "0 bytes in 0 blocks")))
        clean = (rc == 0 and errors and errors[-1][0] == "0"
                 and leaks.get("definitely lost", "0 ").startswith("0 ")
                 and leaks.get("indirectly lost", "0 ").startswith("0 "))
        if not clean:
            print(vg[-8000:])
            print("valgrind_demo: NOT clean; full report in " + vg_path)
            return 1
        print("valgrind_demo: clean")
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        stack.down()
        if clean:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
