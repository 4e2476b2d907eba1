"""A reload (SIGHUP) while the writer cannot commit (PostgreSQL read-only): no batch is given
up, the new chain takes over once the writer's batches are committed, and meanwhile the main
thread keeps serving the group and the watchdog. Exact accounting, both rebalance protocols."""
import os
import signal
import time

import pytest

import harness
import sample
from test_rebalance_outage import conf, read_only
from test_systemd import NotifySocket

WATCHDOG_USEC = 4000000  # keep-alives every 2 s


@pytest.mark.parametrize("strategy", ["eager", "cooperative"])
def test_reload_while_postgres_is_read_only(env, strategy):
    msgs, ids = sample.corpus(1200, 71, "reload-" + strategy[:4])
    path = os.path.join(env.workdir, "notify.sock")
    ns = NotifySocket(path)
    d = env.daemon(start=False, batch_max=100, extra=conf(strategy))
    try:
        envv = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_PID",)}
        d.start(env=dict(envv, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_USEC)))
        env.produce(msgs[:300])
        env.wait_decided(300)
        read_only(env, True)
        try:
            env.produce(msgs[300:1000])
            harness.wait_for(lambda: "read-only transaction" in d.log_since_start(), 60,
                             "a write refused")
            # a shorter backoff: the writer must use the reloaded value
            with open(d.conf) as f:
                text = f.read()
            with open(d.conf, "w") as f:
                f.write(text.replace("retry_backoff_max_ms = 1000", "retry_backoff_max_ms = 300"))
            t0 = time.monotonic()
            d.proc.send_signal(signal.SIGHUP)
            ns.wait("RELOADING", "1", after=t0)
            # longer than the 30 s the reload used to wait before it gave the batches up
            time.sleep(34)
            assert "reloaded:" not in d.log_since_start(), "swapped while the writer is full"
            assert d.alive()
        finally:
            read_only(env, False)
        harness.wait_for(lambda: "reloaded:" in d.log_since_start(), 60, "the swap")
        env.produce(msgs[1000:])
        decided, dead = env.check_offsets(len(msgs))
        assert (decided, dead) == (len(msgs), 0)
        env.check_exact(ids, daemons=[d])
        pings = [t for t, _, _ in ns.having("WATCHDOG", "1") if t > t0]
        gaps = [b - a for a, b in zip([t0] + pings, pings)]
        assert pings and max(gaps) < WATCHDOG_USEC / 1e6, "watchdog gap %.1f s" % max(gaps)
        assert "given up" not in d.log_since_start()
        assert "dropped" not in d.log_since_start()
    finally:
        ns.close()
