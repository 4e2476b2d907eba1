"""One SCHEMA_INVALID reason per violation, even two at one JSON Pointer (a birth_date that
breaks its pattern and its format; a channel that is neither a string nor one of the values;
a capital that is neither an integer nor >= 0), in the rejected event and in PostgreSQL."""
import collections
import json

import oracle
from oracle import encode, submission


def test_two_violations_at_one_pointer_are_two_reasons(env):
    env.daemon()
    channel = submission("two-channel", serial=2)
    channel["channel"] = 5
    birth = submission("two-birth")
    birth["applicant"]["birth_date"] = "1990-13-45x"
    one = submission("one-birth", serial=4)
    one["applicant"]["birth_date"] = "1990-02-30"
    subs = [birth, channel,
            submission("two-capital", capital=-1.5, serial=3), one]
    o = oracle.Oracle()
    msgs, dlq = oracle.run_corpus(env, [(s["submission_id"].encode(), encode(s)) for s in subs],
                                  o)
    problems = oracle.compare(o, msgs, dlq)
    assert problems == [], "\n".join(problems)
    ev = {json.loads(m.value())["data"]["submission_id"]: json.loads(m.value())["data"]
          for m in msgs}
    want = {"two-birth": {"/applicant/birth_date": 2}, "two-channel": {"/channel": 2},
            "two-capital": {"/business/capital_idr": 2}, "one-birth": {"/applicant/birth_date": 1}}
    for sid, paths in want.items():
        got = collections.Counter(r["path"] for r in ev[sid]["reasons"])
        assert dict(got) == paths, (sid, ev[sid]["reasons"])
        assert len({r["message"] for r in ev[sid]["reasons"]}) == len(ev[sid]["reasons"])
    stored = dict(env.sql("SELECT submission_id, jsonb_array_length(reasons) FROM submissions"))
    assert stored["two-birth"] == 2 and stored["one-birth"] == 1
