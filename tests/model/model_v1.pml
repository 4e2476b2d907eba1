/*
 * model_v1.pml: the main thread of daemon/app.c and the rebalance callback
 * of daemon/consumer.c as they are at 94d772f. Expected to FAIL (issue 10,
 * findings 1 and 2); `make model` runs it and checks that spin finds it.
 *   -DFINDING=1: cooperative revokes, no reload  (settle() drops cur and the
 *                writer's batches, kept partitions skip them)
 *   -DFINDING=2: eager rebalancing and reload    (reload() gives the
 *                writer's batches up without a rewind)
 *   -DFINDING=3 -DSTORED_ONLY: eager rebalancing, no reload, and only the
 *                loss itself as the property (a stored offset passes an
 *                undecided message): settle() gives the writer's batch up,
 *                then commits cur, which holds later offsets of the same
 *                partition (found by this model; not in the issue)
 */
#include "common.pml"

#ifndef FINDING
#define FINDING 1
#endif

/* finish(): a batch back from the writer. Committed: published, counted.
 * Not committed: "dropped; consumed again from the stored offsets", but
 * nothing seeks back, so the position stays after it. */
inline finish()
{
    if
    :: dq[0].ok -> printf("A: collect: committed p0=%d p1=%d\n", dq[0].m[0], dq[0].m[1])
    :: else -> printf("A: collect: dropped uncommitted p0=%d p1=%d (no rewind)\n", dq[0].m[0], dq[0].m[1])
    fi;
    pop()
}

inline collect()
{
    atomic {
        do
        :: ndq > 0 -> finish()
        :: else -> break
        od
    }
}

/* writer_drain(w, timeout): waits for the writer (or times out), gives the
 * batch not started back uncommitted, then abandons the one being committed
 * and waits until the writer let go of it. kill -9 can come at any time. */
inline drain()
{
    if
    :: BEMPTY(wc) && BEMPTY(nx) -> skip
    :: true -> printf("A: drain timed out\n") /* PostgreSQL down or slow */
    fi;
    atomic {
        if
        :: !BEMPTY(nx) && ndq < 3 -> push(nx, 0); bclear(nx)
        :: else -> skip
        fi;
        if
        :: !BEMPTY(wc) -> abandon = 1
        :: else -> skip
        fi
    }
    do
    :: BEMPTY(wc) -> break
    :: atomic { printf("A: killed\n"); reset_a() }; goto top
    od
}

/* settle(): commits everything in hand, or gives it up after the timeout */
inline settle()
{
    drain();
    collect();
    if
    :: atomic { !BEMPTY(cur) && BEMPTY(nx) -> /* !pg_down, decide_cur() == 0, submit_cur() */
        bcopy(nx, cur); bclear(cur) };
        drain();
        collect()
    :: true -> skip /* PostgreSQL down, or a handler asked to retry */
    fi;
    atomic {
        if
        :: !BEMPTY(cur) ->
            printf("A: settle drops cur p0=%d p1=%d (no rewind)\n", cur.m[0], cur.m[1]);
            bclear(cur)
        :: else -> skip
        fi
    }
}

active proctype Main()
{
    atomic {
#if FINDING == 1
        coop = 1;
#else
        coop = 0;
#endif
        printf("A: owns p0 and p1, cooperative rebalancing %d\n", coop)
    }
top:
    do
    /* turn(): fill_cur(), decide_cur(), submit_cur(), collect() */
    :: atomic { own[0] && pos[0] < M -> add(0) }
    :: atomic { own[1] && pos[1] < M -> add(1) }
    /* decide_cur() and submit_cur(): deciding is the main thread's own
     * business (a handler RETRY only delays it), folded into the submit */
    :: atomic { !BEMPTY(cur) && BEMPTY(nx) ->
        printf("A: submit p0=%d p1=%d\n", cur.m[0], cur.m[1]);
        bcopy(nx, cur); bclear(cur) }
    :: atomic { ndq > 0 -> finish() }

    /* cooperative: an incremental revoke of some partitions, in consumer_poll() */
    :: atomic {
        coop && (own[0] || own[1]) ->
            if
            :: own[0] -> revoking = 1
            :: own[1] -> revoking = 2
            :: own[0] && own[1] -> revoking = 3
            fi;
            printf("A: cooperative revoke of p0 %d, p1 %d\n", revoking & 1, revoking >> 1)
        };
        settle(); /* on_revoke() */
        atomic {
            if
            :: revoking & 1 -> own[0] = 0
            :: else -> skip
            fi;
            if
            :: revoking & 2 -> own[1] = 0
            :: else -> skip
            fi;
            revoking = 0
        }
    /* cooperative: an incremental assign of a partition the other owner gives up */
    :: atomic { coop && !own[0] -> assign(0) }
    :: atomic { coop && !own[1] -> assign(1) }

    /* eager: everything is revoked, then a new assignment */
    :: atomic { !coop -> revoking = (own[0] -> 1 : 0) | (own[1] -> 2 : 0); printf("A: eager revoke\n") };
        settle();
        atomic {
            own[0] = 0;
            own[1] = 0;
            revoking = 0;
            if
            :: assign(0)
            :: skip
            fi;
            if
            :: assign(1)
            :: skip
            fi
        }

#if FINDING == 2
    /* reload(): waits 30 s for the writer, then the swap; cur is decided again */
    :: printf("A: reload\n");
        drain();
        collect() /* then cur is decided again with the new chain */
#endif

    /* drain_and_stop(), then a new instance joins without anything in hand */
    :: atomic { stopping = 1; printf("A: stop\n") };
        settle();
        atomic { reset_a() }
    :: atomic { printf("A: killed\n"); reset_a() }
    od
}
