"""Soak: the fault scenarios of tests/e2e/test_faults_more.py with more submissions and more
cycles, several instances killed and restarted again and again (rebalances), and a stream of
randomly mutated messages through the real daemon. Exact accounting every time. Sizes:
OSSD_SOAK_N (submissions per scenario), OSSD_SOAK_CYCLES (faults per scenario),
OSSD_SOAK_KILLS (kills in the group scenario), OSSD_SOAK_MUTANTS (mutated messages)."""
import json
import os
import random
import re

import harness
import sample
import test_faults_more as fm

N = int(os.environ.get("OSSD_SOAK_N", "30000"))
CYCLES = int(os.environ.get("OSSD_SOAK_CYCLES", "10"))
KILLS = int(os.environ.get("OSSD_SOAK_KILLS", "12"))
MUTANTS = int(os.environ.get("OSSD_SOAK_MUTANTS", "30000"))


def test_soak_postgres_restarts(env):
    fm.run_pg_restarts(env, N, CYCLES)


def test_soak_read_only_system_wide(env):
    fm.run_read_only_system(env, N, hold_s=8.0)


def test_soak_read_only_new_sessions(env):
    fm.run_read_only_database(env, N, cycles=max(1, CYCLES // 2))


def test_soak_disk_full(env):
    fm.run_disk_full(env, N, cycles=max(1, CYCLES // 3))


def test_soak_brokers_down_while_killed(env):
    fm.run_broker_down_kills(env, N, CYCLES)


def test_soak_three_instances_killed_and_restarted(env):
    fm.run_group_kills(env, 2 * N, KILLS, members=3)


def mutate(rnd, value):
    """One random mutation of a message value (bytes)."""
    v = bytearray(value)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(7)
        i = rnd.randrange(len(v)) if v else 0
        if op == 0 and v:
            v[i] = rnd.randrange(256)                       # a byte
        elif op == 1:
            v[i:i] = bytes(rnd.choice([b"\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\\",
                                       b'"', b"[", b"{", b"}", b",", b"\\u0000", b"1e400",
                                       b"'; DROP TABLE submissions; --"]))
        elif op == 2:
            del v[i:i + rnd.randint(1, 16)]                 # a hole
        elif op == 3:
            v = v[:i]                                        # truncated
        elif op == 4:
            j = rnd.randrange(len(v)) if v else 0
            v[i:i] = v[j:j + rnd.randint(1, 64)]             # a copied run
        elif op == 5:
            v = bytearray(re.sub(rb'"(\d{16})"', b'"\\g<1>' + b"9" * rnd.randint(0, 2) + b'"',
                                 bytes(v), count=1))         # a NIK one or two digits longer
        else:
            v = bytearray(re.sub(rb":(\d+)", lambda m: b":" + str(
                int(m.group(1)) * rnd.choice([-1, 10**12, 10**20])).encode(), bytes(v),
                count=1))                                     # a number pushed out of range
    return bytes(v)


def test_soak_mutated_messages(env):
    """Randomly mutated submissions through the real daemon: each is decided, dead-lettered or
    recognised as a duplicate; the counts add up; the daemon never stops."""
    rnd = random.Random(1234)
    gen = sample.Generator(seed=99, invalid_ratio=0.05, prefix="mut")
    msgs = []
    for i in range(MUTANTS):
        v = sample.encode(gen.next())
        msgs.append((b"m%d" % (i % 97), mutate(rnd, v) if rnd.random() < 0.8 else v))
    d = env.daemon(batch_max=500)
    env.produce(msgs)

    def settled():
        n = env.sql("SELECT (SELECT count(*) FROM submissions) + "
                    "(SELECT count(*) FROM dead_letters)")[0][0]
        lag = env.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets")[0][0]
        return lag >= len(msgs) and n
    harness.wait_for(settled, 600, "every mutated message consumed", interval=1.0)
    assert d.alive()
    assert d.stop() == 0
    m = re.findall(r"stopped: (\d+) issued, (\d+) rejected, (\d+) dead letters, (\d+) duplicates",
                   d.log())
    issued, rejected, dead, dups = map(int, m[-1])
    assert issued + rejected + dead + dups == len(msgs)
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == issued + rejected
    assert env.sql("SELECT count(*) FROM dead_letters")[0][0] == dead
    nik = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda ms: len(ms) >= issued + rejected, 300, "every event")
    for x in col.messages:
        json.loads(x.value())
        assert not nik.search(re.sub(rb'"(submission_id|subject|partitionkey|name|phone|email)"'
                                     rb':"(?:[^"\\]|\\.)*"', b"", x.value())), x.value()[:300]
