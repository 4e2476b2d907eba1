"""An independent model of the licence lifecycle of one permit (docs/lifecycle.md): the status
table of PIA Lampiran 10 codes, the working-day calendar of Asia/Jakarta, the deadline clock
(41/42/43/44) and deemed approval. Written apart from daemon/permit.c and lib/base/calendar.c so
the two can be compared (tests/e2e/test_lifecycle_oracle.py); the choices where the rules are
silent are the ones daemon/permit.h states:
- checks in this order: CODE_UNKNOWN, the NIB revoked, status_at before the last applied one,
  then the table (the last two are TRANSITION_INVALID);
- a deemed approval counts as an applied status change (its status_at = sla_due, unless a later
  status_at was applied before the sweep);
- sla_due of a change is the deadline while the clock runs, else None.

Instants are epoch milliseconds; dates are datetime.date (Jakarta calendar dates)."""
import datetime

JAKARTA = datetime.timezone(datetime.timedelta(hours=7))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

PROGRESS = {"05", "09", "10", "11", "12", "20", "30", "31", "32", "33", "34", "40", "45", "49"}
KNOWN = PROGRESS | {"41", "42", "43", "44", "50", "52", "60", "70", "80", "90", "93"}
GRANTED = {"issued", "approved_deemed", "provisional"}
STATUSES = ("pending_verification", "provisional", "issued", "approved_deemed", "suspended",
            "rejected")


def parse_instant(s):
    """RFC 3339 with offset -> epoch ms (milliseconds kept, finer digits dropped)."""
    t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("no offset: %r" % s)
    d = t - EPOCH
    return (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000


def jakarta_date(ms):
    return (EPOCH + datetime.timedelta(milliseconds=ms)).astimezone(JAKARTA).date()


def jakarta_midnight(day):
    t = datetime.datetime(day.year, day.month, day.day, tzinfo=JAKARTA)
    return parse_instant(t.isoformat())


class Calendar:
    def __init__(self, holidays=()):
        self.holidays = {datetime.date.fromisoformat(h) if isinstance(h, str) else h
                         for h in holidays}

    def working(self, day):
        return day.isoweekday() <= 5 and day not in self.holidays

    def add(self, day, n):
        """The nth working day after day (day itself never counts)."""
        while n > 0:
            day += datetime.timedelta(days=1)
            if self.working(day):
                n -= 1
        return day

    def between(self, a, b):
        """Working days d with a <= d < b."""
        k, d = 0, a
        while d < b:
            k += self.working(d)
            d += datetime.timedelta(days=1)
        return k

    def deadline(self, start_ms, n):
        """(L, sla_due ms) of n working days from the instant start_ms."""
        last = self.add(jakarta_date(start_ms), n)
        return last, jakarta_midnight(last + datetime.timedelta(days=1))


class Permit:
    """One permit; apply() and sweep() return the outcome dicts test_permit --cli prints."""

    def __init__(self, risk, decided_ms, n, calendar):
        self.cal, self.n = calendar, n
        self.nib = "01"
        self.last_at = None
        self.stopped_at = None
        if risk in ("MT", "T"):
            self.status, self.clock = "pending_verification", "running"
            self.last_day, self.due = calendar.deadline(decided_ms, n)
        else:
            self.status, self.clock = "issued", "none"
            self.last_day = self.due = None

    def _target(self, code):
        """(status, clock) after code, or None when the table refuses it."""
        s, clock = self.status, self.clock
        pend = s == "pending_verification"
        if code in PROGRESS:
            return (s, clock) if pend else None
        if code in ("41", "43"):
            return (s, "stopped_" + code) if pend and clock == "running" else None
        if code == "42":
            return (s, "running") if pend and clock == "stopped_41" else None
        if code == "44":
            return (s, "running") if pend and clock == "stopped_43" else None
        if code == "50":
            ok = s in ("pending_verification", "provisional", "approved_deemed", "suspended")
            return ("issued", "none") if ok else None
        if code == "52":
            return ("provisional", "none") if pend else None
        if code in ("60", "80"):
            return (s, "none") if s in GRANTED else None
        if code == "70":
            return ("suspended", "none") if s in GRANTED else None
        if code in ("90", "93"):
            return ("rejected", "none") if s in ("pending_verification", "provisional") else None
        return None

    def _change(self, prev, code, at):
        running = self.status == "pending_verification" and self.clock == "running"
        return {"outcome": "applied", "status": self.status, "previous_status": prev,
                "code": code, "status_at": at, "sla_due": self.due if running else None}

    def apply(self, code, at_ms):
        if code not in KNOWN:
            return {"outcome": "refused", "error": "CODE_UNKNOWN"}
        if self.nib == "06" or (self.last_at is not None and at_ms < self.last_at):
            return {"outcome": "refused", "error": "TRANSITION_INVALID"}
        target = self._target(code)
        if target is None:
            return {"outcome": "refused", "error": "TRANSITION_INVALID"}
        prev = self.status
        if code in ("41", "43"):
            self.stopped_at = at_ms
        elif code == "42":
            k = self.cal.between(jakarta_date(self.stopped_at), jakarta_date(at_ms))
            self.last_day = self.cal.add(self.last_day, k)
            self.due = jakarta_midnight(self.last_day + datetime.timedelta(days=1))
        elif code == "44":
            self.last_day, self.due = self.cal.deadline(at_ms, self.n)
        self.status, self.clock = target
        if self.clock == "none":
            self.last_day = self.due = None
        self.last_at = at_ms
        return self._change(prev, code, at_ms)

    def deemed_due(self, now_ms):
        return (self.status == "pending_verification" and self.clock == "running"
                and self.nib == "01" and now_ms >= self.due)

    def sweep(self, now_ms):
        if not self.deemed_due(now_ms):
            return {"outcome": "not_due"}
        at = self.due
        self.status, self.clock = "approved_deemed", "none"
        self.last_day = self.due = None
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        return self._change("pending_verification", "57", at)

    def final(self):
        return {"status": self.status, "clock": self.clock,
                "last_day": self.last_day.isoformat() if self.last_day else None,
                "sla_due": self.due}


def run_case(case):
    """A case (the JSON object test_permit --cli reads) -> its result object."""
    p = Permit(case["risk"], parse_instant(case["decided_at"]), case["n"],
               Calendar(case.get("holidays", ())))
    results = []
    for step in case["steps"]:
        if "code" in step:
            results.append(p.apply(step["code"], parse_instant(step["status_at"])))
        elif "sweep" in step:
            results.append(p.sweep(parse_instant(step["sweep"])))
        else:
            assert step["nib"] in ("01", "05", "06"), step
            p.nib = step["nib"]
            results.append({"outcome": "nib"})
    return {"name": case["name"], "results": results, "final": p.final()}


def short(result):
    """A result in the corpus's short form: the error code, "not_due", "nib", or the status
    of an applied change."""
    if result["outcome"] == "refused":
        return result["error"]
    if result["outcome"] in ("not_due", "nib"):
        return result["outcome"]
    return result["status"]
