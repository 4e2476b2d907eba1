"""One message the database refuses with a unique violation (SQLSTATE 23505) on every attempt
must not stop the intake: a 23505 that repeats for a batch is a data error like any other, so
the batch is committed message by message and exactly that message becomes an INTERNAL_ERROR
dead letter; offsets stored = decisions + dead letters."""
import json

import harness
import sample

PARTIAL_CHAIN = "identity, region, kbli, scale, risk"  # no activity handler


def test_a_repeating_unique_violation_reaches_the_one_by_one_fallback(env):
    """A trigger made for the test raises 23505 for one submission: nothing the decision core
    can check before writing."""
    msgs, ids = sample.corpus(300, 81, "uv")
    poison = sorted(ids)[42]
    env.sql("CREATE FUNCTION poison_uv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'duplicate key value violates unique constraint \"poison\"' "
            "USING ERRCODE = 'unique_violation'; END $$")
    env.sql("CREATE TRIGGER poison_uv BEFORE INSERT ON submissions FOR EACH ROW "
            "WHEN (NEW.submission_id = '%s') EXECUTE FUNCTION poison_uv()" % poison)
    d = env.daemon(batch_max=100)
    env.produce(msgs)
    decided, dead = env.check_offsets(len(msgs), timeout=180)
    assert (decided, dead) == (len(msgs) - 1, 1)
    assert env.sql("SELECT error_code, submission_id FROM dead_letters") == \
        [("INTERNAL_ERROR", poison)]
    assert {r[0] for r in env.sql("SELECT submission_id FROM submissions")} == ids - {poison}
    dlq = env.collector(harness.TOPICS[2])
    dl = dlq.wait(lambda m: len(m) >= 1, 60, "the INTERNAL_ERROR dead letter")
    assert json.loads(dl[0].value())["submission_id"] == poison
    assert "one by one" in d.log_since_start()
    assert d.alive()


def test_same_kbli_twice_with_a_partial_chain(env):
    """Without the activity handler, a submission naming one KBLI twice reaches
    COPY activities (activities_pkey) unless the decision core rejects it first: either
    way every submission is answered once and the intake goes on."""
    gen = sample.Generator(seed=82, invalid_ratio=0, prefix="kbli2")
    subs = [gen.valid() for _ in range(60)]
    bad = subs[30]
    bad["business"]["activities"].append(dict(bad["business"]["activities"][0]))
    msgs = [(sample.key_of(s), sample.encode(s)) for s in subs]
    ids = {s["submission_id"] for s in subs}
    d = env.daemon(batch_max=100, handlers=PARTIAL_CHAIN)
    env.produce(msgs)
    decided, dead = env.check_offsets(len(msgs), timeout=120)
    answered = {r[0] for r in env.sql("SELECT submission_id FROM submissions")} | \
        {r[0] for r in env.sql("SELECT submission_id FROM dead_letters")}
    assert answered == ids
    if dead:
        assert env.sql("SELECT error_code, submission_id FROM dead_letters") == \
            [("INTERNAL_ERROR", bad["submission_id"])]
    # the intake goes on
    more = [gen.valid() for _ in range(10)]
    env.produce([(sample.key_of(s), sample.encode(s)) for s in more])
    env.check_offsets(len(msgs) + len(more), timeout=60)
    assert d.alive()
