"""The watchdog under a black-holed PostgreSQL: a TCP port on 127.0.0.1 that accepts and
never answers. Every connect is bounded (connect_timeout), so WATCHDOG=1 keep-alives keep
coming while ossd waits for PostgreSQL, and SIGTERM still stops it."""
import os
import socket
import threading
import time

import harness
from test_systemd import NotifySocket

WATCHDOG_USEC = 16000000  # keep-alives every 8 s; a connect attempt is bounded by 5 s


class BlackHole:
    """Accepts TCP connections and never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except socket.timeout:
                continue

    def close(self):
        self.done = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


def test_watchdog_keeps_coming_while_postgres_is_black_holed(env):
    hole = BlackHole()
    path = os.path.join(env.workdir, "notify.sock")
    ns = NotifySocket(path)
    try:
        if env.broker is None:
            env.start_broker()
        url = "postgresql://ossd@127.0.0.1:%d/ossd" % hole.port
        d = harness.Daemon(env.workdir, url, env.broker.bootstrap, name="ossd-bh")
        env.daemons.append(d)
        envv = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_PID",)}
        t0 = time.monotonic()
        d.start(wait=False, env=dict(envv, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_USEC)))
        time.sleep(40)
        assert d.alive()
        assert len(hole.conns) >= 2, "connect attempts: %d" % len(hole.conns)
        pings = [t for t, _, _ in ns.having("WATCHDOG", "1")]
        gaps = [b - a for a, b in zip([t0] + pings, pings + [time.monotonic()])]
        assert pings and max(gaps) < WATCHDOG_USEC / 1e6, \
            "%d keep-alives, longest gap %.1f s" % (len(pings), max(gaps))
        assert "PostgreSQL unavailable at start" in d.log_since_start()
        assert d.stop(timeout=30) == 0
    finally:
        ns.close()
        hole.close()
