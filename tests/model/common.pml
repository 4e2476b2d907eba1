/*
 * common.pml: what both models share: PostgreSQL (stored offsets and
 * decisions), the group (which partition this instance owns), the other
 * owner, the writer thread (daemon/writer.c) and the property.
 * Included by model_v1.pml and model_v2.pml; see README.md.
 */
#ifndef M
#define M 2 /* messages per partition: offsets 0 .. M-1 */
#endif
#define P 2 /* partitions */
#define BIT(o) (1 << (o))
#define BELOW(n) (BIT(n) - 1) /* offsets 0 .. n-1 */
#define ALL (BIT(P) - 1)

/* ---- PostgreSQL: survives everything ---------------------------------- */
byte stored[P]; /* consumer_offsets.next_offset, written with GREATEST() */
byte done[P];   /* offsets whose decision or dead letter is stored */

/* ---- the group ----------------------------------------------------------- */
bit coop;       /* partition.assignment.strategy = cooperative-sticky */
bit own[P] = 1; /* 1: assigned to instance A (modelled in full), 0: to the other owner */
byte revoking;  /* partitions A is giving up right now (inside the revoke callback) */
bit stopping;   /* A is leaving the group (drain_and_stop()): it keeps nothing */

/* ---- instance A: memory, lost on a crash --------------------------------- */
byte pos[P]; /* fetch position of an owned partition */

/* A batch: for each partition the offsets it holds (a bit mask) and the
 * last one added (save_offsets() stores last + 1: items are in consumption
 * order). An empty mask on both partitions is "no batch". */
typedef Batch {
    byte m[P];
    byte last[P];
    bit ok;  /* in dq: committed */
};
Batch cur;   /* app.c a->cur: being filled and decided */
Batch nx;    /* writer.c w->next: submitted, not started */
Batch wc;    /* writer.c w->cur: being committed */
Batch dq[3]; /* writer.c w->done: handed back, not taken yet, oldest first */
byte ndq;
bit abandon; /* writer.c w->abandon */

#define BEMPTY(b) (b.m[0] == 0 && b.m[1] == 0)

inline bclear(b)
{
    b.m[0] = 0;
    b.m[1] = 0;
    b.last[0] = 0;
    b.last[1] = 0;
    b.ok = 0
}

inline bcopy(d, s)
{
    d.m[0] = s.m[0];
    d.m[1] = s.m[1];
    d.last[0] = s.last[0];
    d.last[1] = s.last[1];
    d.ok = s.ok
}

/* drops the items of partition p from b (batch_drop_partitions) */
inline bdrop(b, p)
{
    b.m[p] = 0;
    b.last[p] = 0
}

/* push_done() */
inline push(b, okv)
{
    bcopy(dq[ndq], b);
    dq[ndq].ok = okv;
    ndq++
}

/* removes dq[0] (writer_take), after the caller looked at it */
inline pop()
{
    bcopy(dq[0], dq[1]);
    bcopy(dq[1], dq[2]);
    bclear(dq[2]);
    ndq--
}

/* consumer_poll() returns the next message of an owned partition; batch_add() */
inline add(p)
{
    printf("A: poll p%d@%d\n", p, pos[p]);
    cur.m[p] = cur.m[p] | BIT(pos[p]);
    cur.last[p] = pos[p];
    pos[p]++
}

/* assignment at the offsets stored in PostgreSQL (consumer.c assign_stored) */
inline assign(p)
{
    printf("A: assigned p%d at stored offset %d\n", p, stored[p]);
    own[p] = 1;
    pos[p] = stored[p]
}

/* instance A's memory is gone (kill -9, or a stop that gave everything up):
 * the other owner takes every partition from the stored offsets */
inline reset_a()
{
    own[0] = 0;
    own[1] = 0;
    pos[0] = 0;
    pos[1] = 0;
    revoking = 0;
    stopping = 0;
    bclear(cur);
    bclear(nx);
    bclear(wc);
    bclear(dq[0]);
    bclear(dq[1]);
    bclear(dq[2]);
    ndq = 0;
    abandon = 0
}

/* ---- store_commit_batch(): one transaction ------------------------------- */
/* Decisions are stored once (classify_duplicates() makes a re-delivered
 * submission a SKIP, mark_recorded_dead() a dead letter recorded once), and
 * the offset with GREATEST(): a batch stores its last offset + 1 per
 * partition, even for a partition A no longer owns. */
inline commit_part(b, p)
{
    if
    :: b.m[p] != 0 ->
        done[p] = done[p] | b.m[p];
        if
        :: b.last[p] + 1 > stored[p] -> stored[p] = b.last[p] + 1
        :: else -> skip
        fi
    :: else -> skip
    fi
}

inline commit(b)
{
    commit_part(b, 0);
    commit_part(b, 1)
}

/* ---- the writer thread (writer.c run(), commit_with_retries()) ----------- */
/* A transient failure without abandon is a retry: no change of state, left
 * out. The answer to a COMMIT can be lost after PostgreSQL committed it
 * (without abandon the retry then commits nothing new: the same as a
 * success, left out); a batch committed one message at a time can be given
 * up half-way (modelled as one partition's items committed). */
active proctype Writer()
{
end:
    do
    :: atomic {
        BEMPTY(wc) && !BEMPTY(nx) && ndq < 2 ->
            bcopy(wc, nx);
            bclear(nx);
            printf("W: starts the batch p0=%d p1=%d\n", wc.m[0], wc.m[1])
        }
    :: atomic {
        !BEMPTY(wc) ->
            commit(wc);
            printf("W: committed p0=%d p1=%d; stored %d %d\n", wc.m[0], wc.m[1], stored[0], stored[1]);
            push(wc, 1);
            bclear(wc);
            abandon = 0
        }
    :: atomic {
        !BEMPTY(wc) && abandon ->
            printf("W: gives up the batch p0=%d p1=%d uncommitted\n", wc.m[0], wc.m[1]);
            push(wc, 0);
            bclear(wc);
            abandon = 0
        }
    :: atomic {
        !BEMPTY(wc) && abandon ->
            commit(wc);
            printf("W: committed p0=%d p1=%d but the answer was lost: given up\n", wc.m[0], wc.m[1]);
            push(wc, 0);
            bclear(wc);
            abandon = 0
        }
    :: atomic {
        !BEMPTY(wc) && abandon && wc.m[0] != 0 && wc.m[1] != 0 ->
            commit_part(wc, 0);
            printf("W: one by one: p0 committed, then given up\n");
            push(wc, 0);
            bclear(wc);
            abandon = 0
        }
    od
}

/* ---- the other owner: a correct consumer, atomic per message -------------- */
/* It owns every partition A does not and consumes from the stored offset. */
active proctype Other()
{
end:
    do
    :: atomic { !own[0] && stored[0] < M -> printf("O: decides p0@%d\n", stored[0]); done[0] = done[0] | BIT(stored[0]); stored[0]++ }
    :: atomic { !own[1] && stored[1] < M -> printf("O: decides p1@%d\n", stored[1]); done[1] = done[1] | BIT(stored[1]); stored[1]++ }
    od
}

/* ---- the property ---------------------------------------------------------- */
#define HAND(p) (cur.m[p] | nx.m[p] | wc.m[p] | dq[0].m[p] | dq[1].m[p] | dq[2].m[p])
/* a stored offset passed a message that is not decided: nobody consumes it again */
#define SKIPPED(p) ((BELOW(stored[p]) & ~done[p]) != 0)
/* A consumed a message of a partition it keeps, and it is neither decided,
 * nor in a batch in hand, nor at or after the position (consumed again) */
#define DROPPED(p) (own[p] && !stopping && (revoking & BIT(p)) == 0 && (BELOW(pos[p]) & ~(done[p] | HAND(p))) != 0)
/* the design note's "per partition the offsets of a later place are higher
 * than those of an earlier one" (writer's cur < next < cur), for M = 2 */
#define HIGH(m) ((m) & 2 -> 1 : 0)
#define LOWB(m) ((m) & 1 -> 0 : 1)
#define BEFORE(a, b, p) (a.m[p] == 0 || b.m[p] == 0 || HIGH(a.m[p]) < LOWB(b.m[p]))
#define ORDERED(p) (BEFORE(wc, nx, p) && BEFORE(nx, cur, p) && BEFORE(wc, cur, p))

#if defined(ORDER_ONLY) /* not the property: a claim of the design note, checked */
#define LOST (!ORDERED(0) || !ORDERED(1))
#elif defined(STORED_ONLY) /* only the loss itself: a stored offset passed an undecided message */
#define LOST (SKIPPED(0) || SKIPPED(1))
#else
#define LOST (SKIPPED(0) || SKIPPED(1) || DROPPED(0) || DROPPED(1))
#endif

active proctype Monitor()
{
end:
    atomic {
        LOST ->
            printf("VIOLATION: stored %d %d, decided %d %d, owned %d %d, position %d %d, in hand %d %d\n",
                   stored[0], stored[1], done[0], done[1], own[0], own[1], pos[0], pos[1], HAND(0), HAND(1));
            assert(!LOST)
    }
}
