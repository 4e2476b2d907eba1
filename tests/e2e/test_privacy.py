"""Identity numbers never travel in decision events through a contact field: a NIK typed into
`email` (which fails the email format) or into `phone` (which the schema accepts), and a phone
or email that fails the schema at its own pointer, are left out of the event. `ossctl dlq show`
masks them in what it prints."""
import json
import subprocess

import harness
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


def _show(env, letter_id):
    r = subprocess.run([harness.OSSCTL, "--pg-url", env.pg_url, "dlq", "show", str(letter_id)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_dlq_show_masks_identity_fields(env):
    """`ossctl dlq show` masks NIK, NPWP, phone and email in what it prints (key, value,
    message); the stored letter keeps its bytes."""
    npwp = "012345678901234"
    doc = submission("dlq-show", nik=NIK, npwp=npwp, email="siti.rahayu@contoh.id",
                     phone="081234567890")
    whole = encode(doc)
    letters = [
        # a duplicate key: a PARSE_ERROR letter whose value is otherwise a whole submission
        (NIK.encode(), whole[:-1] + b',"channel":"online"}'),
        # broken JSON: the NIK is in the bytes, not in a field ossctl could parse
        (b"k", b'{"applicant": {"nik": 3374014509900001, "x": "' + NIK.encode() + b'"'),
    ]
    ids = []
    for i, (key, value) in enumerate(letters):
        ids.append(env.sql(
            "INSERT INTO dead_letters (error_code, error_message, submission_id, src_topic, "
            "src_partition, src_offset, msg_key, msg_value, failed_at) "
            "VALUES ('PARSE_ERROR', %s, NULL, 'oss.submissions.v1', 0, %s, %s, %s, now()) "
            "RETURNING id", "not valid JSON near " + NIK, i, key, value)[0][0])
    out = _show(env, ids[0])
    for secret in (NIK, npwp, "081234567890", "siti.rahayu@"):
        assert secret not in out, "%r printed in\n%s" % (secret, out)
    assert '"nik":"3374************"' in out
    assert '"npwp":"0123***********"' in out
    assert '"phone":"0812********"' in out
    assert '"email":"s**********@contoh.id"' in out
    assert "key            3374************" in out
    assert '"name":"Siti Rahayu"' in out  # the rest stays readable
    out = _show(env, ids[1])
    assert NIK not in out, out
    assert '"nik": 3374************' in out and '"x": "3374************"' in out
    # stored as is
    assert bytes(env.sql("SELECT msg_value FROM dead_letters WHERE id = %s", ids[0])[0][0]) == \
        letters[0][1]
