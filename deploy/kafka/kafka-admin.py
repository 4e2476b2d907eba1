#!/usr/bin/python3
"""deploy/kafka/kafka-admin.py: the few AdminClient calls deploy/devstack makes on its Apache
Kafka broker (python3-confluent-kafka, the same librdkafka as ossd).

  kafka-admin.py wait BOOTSTRAP PID TIMEOUT_S
        until the broker answers metadata requests; exit 2 if process PID dies first,
        3 on timeout
  kafka-admin.py create BOOTSTRAP NAME:PARTITIONS...
        creates the topics that do not exist (replication 1), then waits until every
        partition of each has a leader
  kafka-admin.py list BOOTSTRAP
        prints the topic names, one a line
"""
import logging
import sys
import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def admin(bootstrap):
    # librdkafka's own log (its "connection refused" while the broker starts) is dropped;
    # errors that matter come back from the calls
    quiet = logging.getLogger("kafka-admin")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return AdminClient({"bootstrap.servers": bootstrap, "logger": quiet})


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def wait(bootstrap, pid, timeout):
    a = admin(bootstrap)
    deadline = time.monotonic() + timeout
    while True:
        if not alive(pid):
            return 2
        try:
            if a.list_topics(timeout=1).brokers:
                return 0
        except KafkaException:
            pass
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.2)


def create(bootstrap, specs, timeout=60):
    a = admin(bootstrap)
    want = {}
    for spec in specs:
        name, _, parts = spec.rpartition(":")
        want[name] = int(parts)
    have = a.list_topics(timeout=10).topics
    new = [NewTopic(n, p, 1) for n, p in want.items() if n not in have]
    if new:
        for name, fut in a.create_topics(new, operation_timeout=30, request_timeout=30).items():
            try:
                fut.result()
            except KafkaException as e:
                if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    deadline = time.monotonic() + timeout
    while True:
        md = a.list_topics(timeout=10).topics
        if all(n in md and md[n].error is None and len(md[n].partitions) == p
               and all(x.leader >= 0 for x in md[n].partitions.values())
               for n, p in want.items()):
            return [n.topic for n in new]
        if time.monotonic() > deadline:
            raise SystemExit("kafka-admin: the topics have no leaders after %d s" % timeout)
        time.sleep(0.2)


def main(argv):
    if len(argv) >= 5 and argv[1] == "wait":
        return wait(argv[2], int(argv[3]), float(argv[4]))
    if len(argv) >= 4 and argv[1] == "create":
        for name in create(argv[2], argv[3:]):
            print("created topic %s" % name)
        return 0
    if len(argv) == 3 and argv[1] == "list":
        for name in sorted(admin(argv[2]).list_topics(timeout=10).topics):
            print(name)
        return 0
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
