"""The operators' view of the lifecycle (docs/operations.md): one journal entry per status update
applied or refused, with the PERMIT_ID and STATUS_CODE fields (NIB and NIB_ACTION for an NIB
action), never the officer's identity or the note; the ossd_permits{status} gauge counted by
the sweep. The log is read from ossd's stderr, where the fields follow the message as KEY=value."""
import harness
from test_metrics import get, scrape
from test_status_intake import H, T0, encode, make_permits, update, wait_status_offsets

OFFICER = {"id": "198001012005011001", "name": "Budi Santoso"}
NOTE = "berkas lengkap sesuai persyaratan"


def lines_with(log, *needles):
    return [ln for ln in log.splitlines() if all(n in ln for n in needles)]


def test_status_update_journal_fields(env):
    d = env.daemon()
    (pid, nib), = make_permits(env, 1, prefix="ops")
    topic = harness.lifecycle_topics()[0]
    msgs = [
        (pid.encode(), encode(update("st-ops-1", pid, nib, "10", T0, officer=OFFICER, note=NOTE))),
        (pid.encode(), encode(update("st-ops-2", pid, nib, "42", T0 + H, officer=OFFICER,
                                     note=NOTE))),  # no stopped clock: TRANSITION_INVALID
    ]
    env.produce(msgs, topic)
    wait_status_offsets(env, len(msgs))
    harness.wait_for(lambda: lines_with(d.log(), "STATUS_CODE=42"), 60, "the refused update's line")
    log = d.log()
    applied = lines_with(log, "PERMIT_ID=" + pid, "STATUS_CODE=10")
    refused = lines_with(log, "PERMIT_ID=" + pid, "STATUS_CODE=42")
    assert len(applied) == 1 and "applied" in applied[0], applied
    assert len(refused) == 1 and "refused: TRANSITION_INVALID" in refused[0], refused
    # an NIB action: NIB and NIB_ACTION fields
    action = {"schema": "oss.nib-action.v1", "action_id": "ops:freeze:1", "nib": nib,
              "action": "freeze", "acted_at": "2026-12-02T09:00:00+07:00",
              "authority": "DPMPTSP Kota Semarang", "legal_basis": "Keputusan No. 503/45/2026"}
    env.produce([(nib.encode(), encode(action))], harness.lifecycle_topics()[2])
    harness.wait_for(lambda: lines_with(d.log(), "NIB=" + nib, "NIB_ACTION=freeze"), 60,
                     "the NIB action's line")
    log = d.log()
    assert "applied" in lines_with(log, "NIB=" + nib, "NIB_ACTION=freeze")[0]
    # the officer's identity and the note never reach the log
    for secret in (OFFICER["id"], OFFICER["name"], "Budi", NOTE, "berkas"):
        assert secret not in log, secret


def test_a_retried_batch_writes_each_line_once(env):
    """The journal line of a status update is written once its batch committed: a batch the
    database refuses (a CHECK constraint added by hand on one status_id) is retried, then
    committed message by message; the updates applied in the end have one line each, those
    of the rolled-back attempts none, and the one refused for good becomes INTERNAL_ERROR."""
    d = env.daemon()
    permits = make_permits(env, 3, prefix="retry")
    assert d.stop() == 0
    env.sql("ALTER TABLE permit_history ADD CONSTRAINT no_poison "
            "CHECK (status_id <> 'st-retry-poison')")
    ids = ["st-retry-0", "st-retry-1", "st-retry-poison"]
    msgs = [(pid.encode(), encode(update(sid, pid, nib, "10", T0)))
            for sid, (pid, nib) in zip(ids, permits)]
    env.produce(msgs, harness.lifecycle_topics()[0])
    d.start()  # all three are waiting: one batch
    wait_status_offsets(env, len(msgs))
    harness.wait_for(lambda: "it becomes a dead letter" in d.log_since_start(), 60,
                     "the INTERNAL_ERROR line")
    log = d.log_since_start()
    assert "a batch of 3 message(s) failed" in log, "not one batch: the test proves nothing"
    for sid, (pid, _) in zip(ids, permits):
        lines = lines_with(log, "PERMIT_ID=" + pid, "STATUS_CODE=10")
        if sid.endswith("poison"):
            assert lines == [], lines
        else:
            assert len(lines) == 1 and "applied" in lines[0], lines
    assert env.sql("SELECT error_code FROM dead_letters") == [("INTERNAL_ERROR",)]
    # the error line names what it is: a status update, by its status_id
    assert lines_with(log, "status update st-retry-poison at ", "STATUS_ID=st-retry-poison",
                      "ERROR_CODE=INTERNAL_ERROR"), log


def test_permits_by_status_gauge(env):
    port = harness.free_port()
    env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port,
               extra="\n[sla]\nsweep_interval_s = 1\n")
    (pid, nib), (pid2, _) = make_permits(env, 2, prefix="gauge")
    env.produce([(pid.encode(), encode(update("st-g-1", pid, nib, "50", T0)))],
                harness.lifecycle_topics()[0])
    wait_status_offsets(env, 1)

    def counted():
        f = scrape(port)[0]
        return (get(f, "ossd_permits", status="issued") == 1 and
                get(f, "ossd_permits", status="pending_verification") == 1) and f
    f = harness.wait_for(counted, 120, "ossd_permits counted by the sweep")
    for st in ("provisional", "approved_deemed", "suspended", "rejected"):
        assert get(f, "ossd_permits", status=st) == 0, st
    assert scrape(port)[1]["ossd_permits"] == "gauge"
