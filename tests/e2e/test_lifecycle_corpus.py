"""The lifecycle end to end against the independent model (tests/pylib/lifecycle.py): a seeded
random corpus of status updates and NIB actions over permits made by real decisions, plus a few
tricky sequences (a stop across a weekend and a holiday, status_at out of order, duplicates with
the same and with other bytes, an update naming no permit or another NIB, updates after a revoke,
a freeze then updates), run through build/ossd. The corpus goes in phases: status updates (keyed
by permit_id, so in order per permit), then NIB actions (keyed by NIB), each phase waited for
through the stored offsets, so the order ossd applies them in is the order the model does. Then
every permit's status/clock/last_day/sla_due/last_status_at, every history row's status and
code, every dead letter's code, every status-changed and nib-status-changed event's data and
the offsets stored per topic (= applied + skipped + dead letters) are compared with the model."""
import collections
import datetime
import json
import random
import threading
import time

import harness
import lifecycle
import sample
from test_nib_actions import action, nib_topic, wait_offsets
from test_status_intake import encode, make_permits, update

SEED = 20261202
T0 = datetime.datetime(2026, 12, 21, 9, 0, 0,
                       tzinfo=datetime.timezone(datetime.timedelta(hours=7)))  # a Monday
H = datetime.timedelta(hours=1)
# mostly what keeps a permit pending (progress, the clock), now and then a verdict or a bad code
CODES = (["10", "11", "20", "30", "40", "49"] * 4 + ["41", "42", "43", "44"] * 6 +
         ["50", "52", "60", "70", "80", "90", "93", "57", "91", "99"])
STATUS_EV = "id.go.oss.permit.status-changed.v1"
NIB_EV = "id.go.oss.nib.status-changed.v1"
NIB_NEXT = {("freeze", "01"): "05", ("unfreeze", "05"): "01", ("revoke", "01"): "06",
            ("revoke", "05"): "06"}


def ms(t):
    return lifecycle.parse_instant(t.isoformat(timespec="milliseconds"))


def ts_ms(env_value):
    """A timestamptz from psycopg (datetime) or None -> epoch ms or None."""
    return None if env_value is None else ms(env_value)


class Model:
    """The expected effect of every message, applied in the order ossd applies them."""

    def __init__(self, permits, cal, rows):
        self.permits = {}
        for pid, nib in permits:
            decided, n = rows[pid]
            self.permits[pid] = (nib, lifecycle.Permit("MT", decided, n, cal))
        # the permit row keeps the last deadline the clock had once the clock is none
        # (daemon/store_lifecycle.c update_permit): (last_day, sla_due) per permit
        self.kept = {pid: (p.last_day, p.due) for pid, (_, p) in self.permits.items()}
        self.nibs = {nib: "01" for _, nib in permits}
        self.seen = {}        # status_id / action_id -> bytes of its recorded row
        self.history = {}     # permit_id -> [(status_id, error_code, status)]
        self.dead = []        # (id, code)
        self.status_events = {}  # status_id -> the model's change
        self.nib_events = {}  # action_id -> (nib, status, previous_status, action, acted_at ms)
        self.applied = self.skipped = 0
        self.outcomes = {}    # id -> the outcomes of its messages, in order

    def status(self, doc, raw):
        r = self._status(doc, raw)
        self.outcomes.setdefault(doc["status_id"], []).append(r)
        return r

    def action(self, doc, raw):
        r = self._action(doc, raw)
        self.outcomes.setdefault(doc["action_id"], []).append(r)
        return r

    def _status(self, doc, raw):
        sid, pid = doc["status_id"], doc["permit_id"]
        if sid in self.seen:
            if self.seen[sid] == raw:
                self.skipped += 1
                return "skipped"
            self.history.setdefault(pid, []).append((sid, "DUPLICATE_CONFLICT", None))
            self.dead.append((sid, "DUPLICATE_CONFLICT"))
            return "DUPLICATE_CONFLICT"
        if pid not in self.permits or self.permits[pid][0] != doc["nib"]:
            self.dead.append((sid, "PERMIT_UNKNOWN"))
            return "PERMIT_UNKNOWN"
        nib, p = self.permits[pid]
        p.nib = self.nibs[nib]
        r = p.apply(doc["code"], lifecycle.parse_instant(doc["status_at"]))
        self.seen[sid] = raw
        if r["outcome"] == "refused":
            self.history.setdefault(pid, []).append((sid, r["error"], None))
            self.dead.append((sid, r["error"]))
            return r["error"]
        self.applied += 1
        if p.clock != "none":
            self.kept[pid] = (p.last_day, p.due)
        self.history.setdefault(pid, []).append((sid, None, r["status"]))
        self.status_events[sid] = r
        return r["status"]

    def _action(self, doc, raw):
        aid, nib = doc["action_id"], doc["nib"]
        if aid in self.seen:
            if self.seen[aid] == raw:
                self.skipped += 1
                return "skipped"
            self.dead.append((aid, "DUPLICATE_CONFLICT"))
            return "DUPLICATE_CONFLICT"
        if nib not in self.nibs:
            self.dead.append((aid, "NIB_UNKNOWN"))
            return "NIB_UNKNOWN"
        self.seen[aid] = raw
        nxt = NIB_NEXT.get((doc["action"], self.nibs[nib]))
        if nxt is None:
            self.dead.append((aid, "TRANSITION_INVALID"))
            return "TRANSITION_INVALID"
        self.applied += 1
        self.nib_events[aid] = (nib, nxt, self.nibs[nib], doc["action"],
                                lifecycle.parse_instant(doc["acted_at"]))
        self.nibs[nib] = nxt
        return nxt


def tricky(permits):
    """Phases of fixed sequences on the first permits: [[(kind, doc)]] per phase."""
    (p0, n0), (p1, n1), (p2, n2), (p3, n3) = permits[:4]
    thu = T0 + 3 * 24 * H          # Thu 2026-12-24; the 25th is a holiday, then a weekend
    st = []
    st.append(update("tr-stop", p0, n0, "41", thu))
    st.append(update("tr-resume", p0, n0, "42", thu + 4 * 24 * H))   # Mon the 28th
    st.append(update("tr-back", p0, n0, "10", thu))                  # earlier: refused
    st.append(update("tr-equal", p0, n0, "11", thu + 4 * 24 * H))    # equal: applied
    dup = update("tr-dup", p1, n1, "43", T0)
    st += [dup, dict(dup), dict(dup, code="41")]                    # same bytes; other bytes
    st.append(update("tr-44", p1, n1, "44", T0 + 10 * 24 * H))       # Thu the 31st: a restart
    st.append(update("tr-44-10", p1, n1, "10", T0 + 10 * 24 * H))    # whose N spans 2027-01-01
    st.append(update("tr-nopermit", "8129999999999-56290-337401", "8129999999999", "10", T0))
    st.append(update("tr-othernib", p2, n3, "10", T0))
    acts = [action("tr-freeze", n2, "freeze", T0), action("tr-revoke", n3, "revoke", T0)]
    fa = action("tr-freeze-dup", n1, "freeze", T0)
    acts += [fa, dict(fa), dict(fa, authority="OTHER")]
    acts.append(action("tr-nonib", "8129999999999", "freeze", T0))
    after = [update("tr-frozen", p2, n2, "50", T0 + 2 * H),          # frozen: still applies
             update("tr-revoked", p3, n3, "10", T0 + 2 * H)]         # revoked: refused
    return [[("s", d) for d in st], [("a", d) for d in acts], [("s", d) for d in after]]


def random_phases(rng, permits, nphases=4):
    phases = []
    cursor = {pid: T0 + rng.randrange(0, 48) * H for pid, _ in permits}
    for k in range(nphases):
        lists = []
        for pid, nib in permits:
            one = []
            for i in range(rng.randrange(2, 6)):
                step = rng.choice([-30, 0, 1, 3, 20, 26, 50, 75, 100, 170]) * H
                cursor[pid] += step
                one.append(update("rs-%d-%s-%d" % (k, pid, i), pid, nib,
                                  rng.choice(CODES), cursor[pid]))
                if rng.random() < 0.06:  # a redelivery of the same bytes
                    one.append(dict(one[-1]))
            lists.append(one)
        st = []  # the permits interleaved at random, each permit's own order kept
        while any(lists):
            st.append(rng.choice([x for x in lists if x]).pop(0))
        phases.append([("s", d) for d in st])
        acts = []
        for pid, nib in permits:
            if rng.random() < 0.4:
                what = rng.choice(["freeze", "unfreeze", "freeze", "unfreeze", "revoke"])
                acts.append(("a", action("ra-%d-%s" % (k, nib), nib, what, cursor[pid])))
        phases.append(acts)
    return phases


def produce_phase(env, model, phase, sent):
    msgs = {"s": [], "a": []}
    for kind, doc in phase:
        raw = encode(doc)
        if kind == "s":
            model.status(doc, raw)
            msgs["s"].append((doc["permit_id"].encode(), raw))
        else:
            model.action(doc, raw)
            msgs["a"].append((doc["nib"].encode(), raw))
    topics = {"s": harness.lifecycle_topics()[0], "a": nib_topic()}
    for kind, batch in msgs.items():
        if batch:
            env.produce(batch, topics[kind])
            sent[kind] += len(batch)
            wait_offsets(env, topics[kind], sent[kind])


class Flow:
    """Status updates and NIB actions flowing alongside a fault (tests/e2e/test_faults.py):
    made over permits of real decisions (start() needs a running ossd), produced in chunks in a
    thread, then checked with exact accounting per topic by check()."""

    def __init__(self, env, n=16, prefix="flow", seed=7):
        self.env = env
        self.permits = make_permits(env, n, prefix="lc" + prefix)  # ids of its own
        self.ids = {r[0] for r in env.sql("SELECT submission_id FROM submissions")}
        rnd = random.Random(seed)
        self.st, self.na = [], []
        for i, (pid, nib) in enumerate(self.permits):
            for j in range(10):  # mostly progress, some refused, a few verdicts and duplicates
                code = rnd.choice(["10", "11", "20", "41", "42", "43", "44", "60", "57", "50"])
                doc = update("fl-%s-%d-%d" % (prefix, i, j), pid, nib, code, T0 + j * H)
                self.st.append((pid.encode(), encode(doc)))
                if rnd.random() < 0.1:
                    self.st.append((pid.encode(), encode(doc)))  # a redelivery: skipped
            if i % 3 == 0:
                for j, what in enumerate(["freeze", "unfreeze", "freeze", "revoke", "unfreeze"]):
                    doc = action("fa-%s-%d-%d" % (prefix, i, j), nib, what, T0 + j * H)
                    self.na.append((nib.encode(), encode(doc)))
        self.thread = None

    def chunk(self, c, chunks=8):
        """Produces part c (0 to chunks) of the status updates: chunks parts of equal size, then
        the rest; the NIB actions with part chunks // 2. start() produces every part in a
        thread; a test may produce them itself, each at the moment it chooses."""
        k = max(1, len(self.st) // chunks)
        self.env.produce(self.st[c * k:(c + 1) * k] if c < chunks else self.st[c * k:],
                         harness.lifecycle_topics()[0])
        if c == chunks // 2:
            self.env.produce(self.na, nib_topic())

    def start(self, chunks=8, pause=0.5):
        def run():
            for c in range(chunks + 1):
                self.chunk(c, chunks)
                time.sleep(pause)
        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        if self.thread:
            self.thread.join()

    def check(self, timeout=300):
        """Per topic: offsets stored = applied + skipped + dead letters; every message recorded
        once (a permit's history: applied + refused, all permits being known); one event id per
        applied message, every one published."""
        env, status_topic = self.env, harness.lifecycle_topics()[0]
        self.join()
        wait_offsets(env, status_topic, len(self.st), timeout=timeout)
        wait_offsets(env, nib_topic(), len(self.na), timeout=timeout)
        distinct = {json.loads(v)["status_id"] for _, v in self.st}
        hist = env.sql("SELECT status_id, error_code, event_id::text FROM permit_history")
        assert sorted(r[0] for r in hist) == sorted(distinct)
        dead_st = env.sql("SELECT count(*) FROM dead_letters WHERE src_topic = %s",
                          status_topic)[0][0]
        applied_st = [r for r in hist if r[1] is None]
        assert len(applied_st) + (len(self.st) - len(distinct)) + dead_st == len(self.st)
        assert dead_st == len(hist) - len(applied_st)
        acts = env.sql("SELECT action_id, applied, event_id::text FROM nib_actions")
        assert sorted(r[0] for r in acts) == sorted(json.loads(v)["action_id"] for _, v in self.na)
        dead_na = env.sql("SELECT count(*) FROM dead_letters WHERE src_topic = %s",
                          nib_topic())[0][0]
        applied_na = [r for r in acts if r[1]]
        assert len(applied_na) + dead_na == len(self.na)
        want = {r[2] for r in applied_st} | {r[2] for r in applied_na}
        assert len(want) == len(applied_st) + len(applied_na)
        events = env.collector(harness.TOPICS[1])

        def ours(m):
            return {e["id"] for e in harness.events(m) if e["type"] in (STATUS_EV, NIB_EV)}
        events.wait(lambda m: ours(m) >= want, timeout, "an event per applied message")
        events.poll(1.0)
        assert ours(events.messages) == want


def test_lifecycle_corpus(env):
    env.daemon()
    permits = make_permits(env, 20, prefix="corp")
    events = env.collector(harness.TOPICS[1])
    cal = lifecycle.Calendar(r[0] for r in env.sql(
        "SELECT h.day FROM ref_holidays h JOIN ref_versions v ON v.version = h.version "
        "AND v.kind = 'holidays' AND v.active"))
    rows = {r[0]: (ts_ms(r[1]), r[2]) for r in env.sql(
        "SELECT permit_id, decided_at, sla_days FROM permits")}
    model = Model(permits, cal, rows)
    # the deadline at the decision agrees before anything is applied
    for pid, due in env.sql("SELECT permit_id, sla_due FROM permits"):
        assert model.permits[pid][1].due == ts_ms(due), pid

    rng = random.Random(SEED)
    sent = {"s": 0, "a": 0}
    # an update for a permit that does not exist yet: PERMIT_UNKNOWN; the permit is made by a
    # later decision (the first actor's second submission, NIB reused), then an update applies
    first = sample.Generator(seed=11, invalid_ratio=0, repeat_ratio=0, prefix="corp").valid()
    (p0, n0), = env.sql("SELECT permit_id, nib FROM permits WHERE submission_id = %s",
                        first["submission_id"])
    late_kbli = "56102"
    late = "%s-%s-%s" % (n0, late_kbli, p0.split("-")[2])
    produce_phase(env, model, [("s", update("tr-early", late, n0, "10", T0))], sent)
    first["applicant"]["type"] = "02"
    first["applicant"].pop("npwp", None)
    first["submission_id"] = "corp-late-1"
    first["business"]["activities"] = [{"kbli": late_kbli}]
    env.produce([(sample.key_of(first), sample.encode(first))])
    env.wait_decided(len(permits) + 1)
    got = env.sql("SELECT permit_id, risk, decided_at, sla_days, sla_due FROM permits "
                  "WHERE submission_id = 'corp-late-1'")
    assert [r[0] for r in got] == [late], (got, env.sql(
        "SELECT status, reasons::text FROM submissions WHERE submission_id = 'corp-late-1'"))
    (_, risk, decided, n, due), = got
    model.permits[late] = (n0, lifecycle.Permit(risk, ts_ms(decided), n, cal))
    model.kept[late] = (model.permits[late][1].last_day, model.permits[late][1].due)
    assert model.permits[late][1].due == ts_ms(due)
    late_code = "10" if risk in ("MT", "T") else "60"
    produce_phase(env, model, [("s", update("tr-late", late, n0, late_code, T0))], sent)
    for phase in tricky(permits) + random_phases(rng, permits[4:], nphases=6):
        produce_phase(env, model, phase, sent)

    # the tricky sequences did what they are for (the model agreeing is checked below)
    want_tricky = {"tr-stop": ["pending_verification"], "tr-resume": ["pending_verification"],
                   "tr-back": ["TRANSITION_INVALID"], "tr-equal": ["pending_verification"],
                   "tr-dup": ["pending_verification", "skipped", "DUPLICATE_CONFLICT"],
                   "tr-44": ["pending_verification"], "tr-44-10": ["pending_verification"],
                   "tr-nopermit": ["PERMIT_UNKNOWN"], "tr-othernib": ["PERMIT_UNKNOWN"],
                   "tr-freeze": ["05"], "tr-revoke": ["06"],
                   "tr-freeze-dup": ["05", "skipped", "DUPLICATE_CONFLICT"],
                   "tr-frozen": ["issued"], "tr-revoked": ["TRANSITION_INVALID"],
                   "tr-nonib": ["NIB_UNKNOWN"], "tr-early": ["PERMIT_UNKNOWN"],
                   "tr-late": [model.permits[late][1].status]}
    assert {k: v for k, v in model.outcomes.items() if k.startswith("tr-")} == want_tricky
    # 41 Thu the 24th, 42 Mon the 28th: of the 24th to the 27th only the 24th is a working day
    # (the 25th is a holiday, then a weekend), so the deadline moved by one working day
    p0 = permits[0][0]
    first = cal.deadline(*rows[p0])[0]
    assert env.sql("SELECT last_day FROM permits WHERE permit_id = %s", p0)[0][0] == \
        cal.add(first, 1) == model.permits[p0][1].last_day
    # each permit: its final state
    for pid, status, clock, last_day, due, last_at in env.sql(
            "SELECT permit_id, status, clock, last_day, sla_due, last_status_at FROM permits"):
        p = model.permits[pid][1]
        assert (status, clock) == (p.status, p.clock), pid
        want = (p.last_day, p.due) if p.clock != "none" else model.kept[pid]
        assert (last_day, ts_ms(due)) == want, (pid, p.clock)
        assert ts_ms(last_at) == p.last_at, pid
    # each history row, in the order applied
    got = {}
    for pid, sid, err, status in env.sql(
            "SELECT permit_id, status_id, error_code, status FROM permit_history ORDER BY id"):
        got.setdefault(pid, []).append((sid, err, status))
    assert got == model.history
    # each dead letter
    dead = sorted(env.sql("SELECT submission_id, error_code FROM dead_letters "
                          "WHERE src_topic <> %s", harness.TOPICS[0]))
    assert dead == sorted(model.dead)
    # per topic: offsets stored = applied + skipped + dead letters
    assert sent["s"] + sent["a"] == model.applied + model.skipped + len(model.dead)

    # every event: one id per applied message, data as the model says
    n = len(model.status_events) + len(model.nib_events)

    def ours(m):
        return [e for e in harness.events(m) if e["type"] in (STATUS_EV, NIB_EV)]
    col = events.wait(lambda m: len({e["id"] for e in ours(m)}) >= n, 180, "%d events" % n)
    events.poll(1.0)
    by_id = {e["id"]: e for e in ours(col)}
    assert len(by_id) == n
    ids = {r[0]: r[1] for r in env.sql(
        "SELECT event_id::text, status_id FROM permit_history WHERE event_id IS NOT NULL")}
    ids.update({r[0]: r[1] for r in env.sql(
        "SELECT event_id::text, action_id FROM nib_actions WHERE event_id IS NOT NULL")})
    assert set(ids) == set(by_id)
    for eid, e in by_id.items():
        d, key = e["data"], ids[eid]
        if e["type"] == STATUS_EV:
            r = model.status_events[key]
            assert (d["status"], d["previous_status"], d["code"]) == \
                (r["status"], r["previous_status"], r["code"]), key
            assert lifecycle.parse_instant(d["status_at"]) == r["status_at"], key
            want_due = r["sla_due"]
            assert (None if d["sla_due"] is None else lifecycle.parse_instant(d["sla_due"])) \
                == want_due, key
        else:
            nib, status, prev, what, at = model.nib_events[key]
            assert (d["nib"], d["status"], d["previous_status"], d["action"]) == \
                (nib, status, prev, what), key
            assert lifecycle.parse_instant(d["acted_at"]) == at, key
    # the corpus reached what it is for
    print("corpus: %d applied, %d skipped, %d dead letters %s" % (
        model.applied, model.skipped, len(model.dead), sorted(collections.Counter(
            c for _, c in model.dead).items())))
    codes = {c for _, c in model.dead}
    assert codes >= {"TRANSITION_INVALID", "CODE_UNKNOWN", "DUPLICATE_CONFLICT", "PERMIT_UNKNOWN",
                     "NIB_UNKNOWN"}, codes
    assert model.skipped >= 2 and len(model.status_events) >= 20 and model.nib_events
    assert {p.status for _, p in model.permits.values()} >= {"pending_verification", "issued"}
