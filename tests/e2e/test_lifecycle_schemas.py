"""The JSON Schemas of the licence lifecycle, checked with `build/ossctl validate`: the inputs
schemas/license-status.v1.json and schemas/nib-action.v1.json, and the events
schemas/events/permit-status-changed.v1.json and nib-status-changed.v1.json. Valid examples
(minimal, full, at every length limit, with unknown fields) must pass; each invalid one must fail,
where a field rule is broken with a violation at that field's JSON Pointer."""
import copy
import json
import os
import tempfile

import pytest

import harness
from test_event_schemas import validate

SCHEMAS = os.path.join(harness.REPO, "schemas")
LICENSE_STATUS = os.path.join(SCHEMAS, "license-status.v1.json")
NIB_ACTION = os.path.join(SCHEMAS, "nib-action.v1.json")
PERMIT_EVENT = os.path.join(SCHEMAS, "events", "permit-status-changed.v1.json")
NIB_EVENT = os.path.join(SCHEMAS, "events", "nib-status-changed.v1.json")

MISSING = object()  # a field removed


def variant(doc, path, value):
    """A deep copy of doc with the field at path ("a/b") set to value, or removed (MISSING)."""
    d = copy.deepcopy(doc)
    keys = path.split("/")
    node = d
    for k in keys[:-1]:
        node = node[k]
    if value is MISSING:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return d


def check(schema, valid, invalid):
    """valid: [doc]; invalid: [(doc, pointer or None)]: each must fail, with a violation line at
    pointer (or under it) when one is given."""
    with tempfile.TemporaryDirectory(prefix="ossd-lc-") as tmp:
        rc, out, files = validate(schema, valid, tmp, "valid")
        bad = {i: out[p] for i, p in enumerate(files) if out[p]}
        assert rc == 0 and not bad, "valid examples refused by %s: %r" % (schema, bad)
        rc, out, files = validate(schema, [d for d, _ in invalid], tmp, "invalid")
        assert rc == 1
        for (doc, pointer), p in zip(invalid, files):
            assert out[p], "accepted by %s: %s" % (schema, json.dumps(doc)[:300])
            if pointer is not None:
                assert any(v == pointer or v.startswith(pointer + ":") or
                           v.startswith(pointer + "/") for v in out[p]), (pointer, out[p])


# ---- oss.license-status.v1 ---------------------------------------------------------------------

STATUS = {
    "schema": "oss.license-status.v1",
    "status_id": "dinkes-3374:2026-12-01:0001",
    "permit_id": "8120000000017-56102-337401",
    "nib": "8120000000017",
    "code": "50",
    "status_at": "2026-12-01T10:00:00+07:00",
    "agency": "DINKES-3374",
}


def test_license_status_schema():
    full = dict(STATUS, officer={"id": "198501012010011001", "name": "Siti Rahayu"},
                note="Dokumen lengkap, izin diterbitkan.", permit_number="503/123/DINKES/2026",
                kd_izin="IZ-01", extra={"any": ["thing"]})
    limits = dict(STATUS, status_id="a" * 64, agency="A" * 64, note="é" * 2000,
                  permit_number="N" * 50, officer={"id": "9" * 50, "name": "Ñ" * 200})
    valid = [
        STATUS, full, limits,
        dict(STATUS, code="41", status_at="2026-12-01T03:00:00Z", officer={}),
        dict(STATUS, code="57"),  # schema-valid: CODE_UNKNOWN is a later check
        dict(STATUS, code="99", permit_number=""),
        dict(STATUS, status_id="A.b_c:d-1", status_at="2026-12-31T23:59:59.999-05:00"),
    ]
    invalid = [(variant(STATUS, f, MISSING), "/" + f) for f in STATUS]
    invalid += [
        (variant(STATUS, "schema", "oss.license-status.v2"), "/schema"),
        (variant(STATUS, "status_id", ""), "/status_id"),
        (variant(STATUS, "status_id", "a" * 65), "/status_id"),
        (variant(STATUS, "status_id", "a b"), "/status_id"),
        (variant(STATUS, "status_id", 17), "/status_id"),
        (variant(STATUS, "permit_id", "8120000000017-56102-33740"), "/permit_id"),
        (variant(STATUS, "permit_id", "8120000000017-56102-33.74.01"), "/permit_id"),
        (variant(STATUS, "permit_id", "812000000001-56102-337401"), "/permit_id"),
        (variant(STATUS, "permit_id", "8120000000017-5610-337401"), "/permit_id"),
        (variant(STATUS, "nib", "812000000001"), "/nib"),
        (variant(STATUS, "nib", "81200000000170"), "/nib"),
        (variant(STATUS, "code", "5"), "/code"),
        (variant(STATUS, "code", "050"), "/code"),
        (variant(STATUS, "code", 50), "/code"),
        (variant(STATUS, "code", "5a"), "/code"),
        (variant(STATUS, "status_at", "2026-12-01T10:00:00"), "/status_at"),
        (variant(STATUS, "status_at", "2026-12-01"), "/status_at"),
        (variant(STATUS, "status_at", "2026-02-30T10:00:00+07:00"), "/status_at"),
        (variant(STATUS, "agency", ""), "/agency"),
        (variant(STATUS, "agency", "A" * 65), "/agency"),
        (dict(STATUS, officer="Siti Rahayu"), "/officer"),
        (dict(STATUS, officer={"id": "9" * 51}), "/officer/id"),
        (dict(STATUS, officer={"name": "N" * 201}), "/officer/name"),
        (dict(STATUS, officer={"id": 198501012010011001}), "/officer/id"),
        (dict(STATUS, note="n" * 2001), "/note"),
        (dict(STATUS, note=None), "/note"),
        (dict(STATUS, permit_number="N" * 51), "/permit_number"),
        ([STATUS], None),
        ("oss.license-status.v1", None),
    ]
    check(LICENSE_STATUS, valid, invalid)


# ---- oss.nib-action.v1 -------------------------------------------------------------------------

ACTION = {
    "schema": "oss.nib-action.v1",
    "action_id": "dpmptsp-3374:freeze:0001",
    "nib": "8120000000017",
    "action": "freeze",
    "acted_at": "2026-12-02T09:00:00+07:00",
    "authority": "DPMPTSP Kota Semarang",
    "legal_basis": "Keputusan Kepala DPMPTSP No. 503/45/2026",
}


def test_nib_action_schema():
    valid = [
        ACTION,
        dict(ACTION, action="unfreeze", reason="Kewajiban telah dipenuhi.", extra=1),
        dict(ACTION, action="revoke", acted_at="2026-12-02T02:00:00Z"),
        dict(ACTION, action_id="x" * 64, authority="A" * 64, legal_basis="L" * 500,
             reason="r" * 2000),
    ]
    invalid = [(variant(ACTION, f, MISSING), "/" + f) for f in ACTION]
    invalid += [
        (variant(ACTION, "schema", "oss.nib-actions.v1"), "/schema"),
        (variant(ACTION, "action_id", "x" * 65), "/action_id"),
        (variant(ACTION, "action_id", "a/b"), "/action_id"),
        (variant(ACTION, "nib", "812000000001x"), "/nib"),
        (variant(ACTION, "action", "suspend"), "/action"),
        (variant(ACTION, "action", "Freeze"), "/action"),
        (variant(ACTION, "acted_at", "02/12/2026"), "/acted_at"),
        (variant(ACTION, "authority", ""), "/authority"),
        (variant(ACTION, "authority", "A" * 65), "/authority"),
        (variant(ACTION, "legal_basis", ""), "/legal_basis"),
        (variant(ACTION, "legal_basis", "L" * 501), "/legal_basis"),
        (dict(ACTION, reason="r" * 2001), "/reason"),
        (dict(ACTION, reason=["r"]), "/reason"),
        ({}, None),
    ]
    check(NIB_ACTION, valid, invalid)


# ---- the events --------------------------------------------------------------------------------

def envelope(type_, schema_file, key, data):
    with open(schema_file) as f:
        schema_id = json.load(f)["$id"]
    return {"specversion": "1.0", "id": "0f8fad5b-d9cb-569b-a9f4-3d2f2b7e6a10",
            "source": "urn:ossd", "type": type_, "subject": key,
            "time": "2026-12-01T03:00:01.123Z", "datacontenttype": "application/json",
            "dataschema": schema_id, "partitionkey": key, "data": data}


PERMIT_ID = "8120000000017-56102-337401"
PERMIT = envelope("id.go.oss.permit.status-changed.v1", PERMIT_EVENT, PERMIT_ID, {
    "permit_id": PERMIT_ID, "nib": "8120000000017", "kbli": "56102", "status": "issued",
    "previous_status": "pending_verification", "code": "50",
    "status_at": "2026-12-01T10:00:00+07:00", "sla_due": None, "agency": "DINKES-3374",
    "permit_number": "503/123/DINKES/2026", "decided_at": "2026-12-01T03:00:01.123Z"})


def permit(**data):
    e = copy.deepcopy(PERMIT)
    e["data"].update(data)
    return e


def test_permit_status_changed_schema():
    valid = [
        PERMIT,
        permit(status="pending_verification", code="10", sla_due="2026-12-08T00:00:00+07:00",
               permit_number=None),
        permit(status="pending_verification", code="41", sla_due=None, permit_number=None),
        permit(status="approved_deemed", code="57", agency=None, permit_number=None,
               status_at="2026-12-08T00:00:00+07:00", sla_due=None),
        permit(status="issued", previous_status="approved_deemed", code="50"),
        permit(status="suspended", previous_status="issued", code="70", permit_number=None),
        permit(status="rejected", previous_status="provisional", code="90", permit_number=None),
        permit(status="provisional", code="52", agency="A" * 64, permit_number="N" * 50),
        dict(PERMIT, extension="x", data=dict(PERMIT["data"], future_field=[1, 2])),
    ]
    invalid = [(variant(PERMIT, "data/" + f, MISSING), "/data/" + f) for f in PERMIT["data"]]
    invalid += [(variant(PERMIT, f, MISSING), "/" + f) for f in PERMIT if f != "data"]
    invalid += [
        (permit(officer={"id": "198501012010011001"}), "/data/officer"),
        (permit(note="catatan"), "/data/note"),
        (permit(status="approved"), "/data/status"),
        (permit(previous_status="deemed"), "/data/previous_status"),
        (permit(kbli="5610"), "/data/kbli"),
        (permit(nib="812000000001"), "/data/nib"),
        (permit(permit_id="8120000000017-56102-3374"), "/data/permit_id"),
        (permit(code="5"), "/data/code"),
        (permit(sla_due="next Tuesday"), "/data/sla_due"),
        (permit(agency=""), "/data/agency"),
        (permit(permit_number="N" * 51), "/data/permit_number"),
        (permit(decided_at="2026-12-01"), "/data/decided_at"),
        # a deemed approval has no agency and leads from pending_verification to approved_deemed
        (permit(status="approved_deemed", code="57", sla_due=None), "/data/agency"),
        (permit(status="issued", code="57", agency=None), "/data/status"),
        # a deadline only while the clock runs (pending_verification)
        (permit(status="issued", sla_due="2026-12-08T00:00:00+07:00"), "/data/sla_due"),
        (variant(PERMIT, "type", "id.go.oss.submission.issued.v1"), "/type"),
        (variant(PERMIT, "dataschema", "urn:ossd:schemas/events/issued.v1.json"), "/dataschema"),
        (variant(PERMIT, "subject", "8120000000017"), "/subject"),
        (variant(PERMIT, "partitionkey", "8120000000017"), "/partitionkey"),
        (variant(PERMIT, "specversion", "0.3"), "/specversion"),
    ]
    check(PERMIT_EVENT, valid, invalid)


NIB = envelope("id.go.oss.nib.status-changed.v1", NIB_EVENT, "8120000000017", {
    "nib": "8120000000017", "status": "05", "previous_status": "01", "action": "freeze",
    "acted_at": "2026-12-02T09:00:00+07:00", "authority": "DPMPTSP Kota Semarang",
    "legal_basis": "Keputusan Kepala DPMPTSP No. 503/45/2026",
    "decided_at": "2026-12-02T02:00:00.456Z"})


def nib(**data):
    e = copy.deepcopy(NIB)
    e["data"].update(data)
    return e


def test_nib_status_changed_schema():
    valid = [
        NIB,
        nib(action="unfreeze", status="01", previous_status="05"),
        nib(action="revoke", status="06", previous_status="01"),
        nib(action="revoke", status="06", previous_status="05", authority="A" * 64,
            legal_basis="L" * 500, reason="kept by a future version"),
    ]
    invalid = [(variant(NIB, "data/" + f, MISSING), "/data/" + f) for f in NIB["data"]]
    invalid += [
        (nib(status="02"), "/data/status"),
        (nib(previous_status="06"), "/data/previous_status"),
        (nib(action="suspend"), "/data/action"),
        (nib(status="01"), "/data/status"),  # freeze leads to 05
        (nib(action="unfreeze", status="01", previous_status="01"), "/data/previous_status"),
        (nib(action="revoke", status="05"), "/data/status"),
        (nib(authority=""), "/data/authority"),
        (nib(legal_basis="L" * 501), "/data/legal_basis"),
        (nib(acted_at="yesterday"), "/data/acted_at"),
        (variant(NIB, "subject", "8120000000017-56102-337401"), "/subject"),
        (variant(NIB, "type", "id.go.oss.permit.status-changed.v1"), "/type"),
    ]
    check(NIB_EVENT, valid, invalid)


@pytest.mark.parametrize("path", [LICENSE_STATUS, NIB_ACTION, PERMIT_EVENT, NIB_EVENT])
def test_schema_style(path):
    """Like the other schemas: draft-07, an $id under urn:ossd:schemas/ naming the file, and a
    title and a description on every property."""
    with open(path) as f:
        s = json.load(f)
    assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert s["$id"] == "urn:ossd:schemas/" + os.path.relpath(path, SCHEMAS)

    def walk(node, where):
        for name, sub in node.get("properties", {}).items():
            assert sub.get("title") and sub.get("description"), where + "/" + name
            assert "additionalProperties" not in sub, "unknown fields are allowed: " + name
            walk(sub, where + "/" + name)
    assert "additionalProperties" not in s
    walk(s, "")
