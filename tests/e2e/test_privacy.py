"""Identity numbers never travel in decision events through a contact field: a NIK typed into
`email` (which fails the email format) or into `phone` (which the schema accepts), and a phone
or email that fails the schema at its own pointer, are left out of the event."""
import json

import oracle
from oracle import encode, submission

NIK = "3374014509900001"


def _events(env, subs):
    env.daemon()
    o = oracle.Oracle()
    msgs, dlq = oracle.run_corpus(env, [(s["submission_id"].encode(), encode(s)) for s in subs],
                                  o)
    problems = oracle.compare(o, msgs, dlq) + oracle.privacy_problems(o, msgs)
    assert problems == [], "\n".join(problems)
    return {json.loads(m.value())["data"]["submission_id"]: json.loads(m.value()) for m in msgs}


def test_contact_fields_never_carry_an_id_number(env):
    subs = [
        # the finding: a NIK typed into email fails the format; the rejected event carried it
        submission("nik-in-email", email=NIK),
        # a NIK typed into phone passes the schema (a phone is free text): issued, no phone
        submission("nik-in-phone", phone="3374 0145 0990 0001", serial=2),
        # an NPWP as the local part of a valid email: issued, no email
        submission("npwp-in-email", email="012345678901234@contoh.id", serial=3),
        # a phone too long for the schema: rejected, no phone in the event
        submission("phone-too-long", phone="0812 3456 7890 / 0812 3456 7890 / 1", serial=4),
        # ordinary contacts travel as given
        submission("plain", phone="+62 812-3456-7890", email="siti.rahayu@contoh.id", serial=5),
    ]
    ev = _events(env, subs)
    raw = {sid: json.dumps(e) for sid, e in ev.items()}

    e = ev["nik-in-email"]
    assert e["type"].endswith("rejected.v1")
    assert [(r["code"], r["path"]) for r in e["data"]["reasons"]] == \
        [("SCHEMA_INVALID", "/applicant/email")]
    assert "email" not in e["data"]["applicant"]
    assert e["data"]["applicant"]["phone"] == "081234567890"
    assert NIK not in raw["nik-in-email"]

    e = ev["nik-in-phone"]
    assert e["type"].endswith("issued.v1")
    assert "phone" not in e["data"]["applicant"]
    assert "0145 0990" not in raw["nik-in-phone"]

    e = ev["npwp-in-email"]
    assert e["type"].endswith("issued.v1")
    assert "email" not in e["data"]["applicant"]

    e = ev["phone-too-long"]
    assert e["type"].endswith("rejected.v1")
    assert "phone" not in e["data"]["applicant"]

    app = ev["plain"]["data"]["applicant"]
    assert app["phone"] == "+62 812-3456-7890" and app["email"] == "siti.rahayu@contoh.id"
