/*
 * model_v2.pml: the fixed design of the main thread (daemon/app.c), the
 * rebalance callback (daemon/consumer.c) and the writer hand-over
 * (daemon/writer.c) for issue 10, as written in the design note at the top
 * of daemon/app.c. Expected to hold: `make model` checks that spin finds
 * no violation over every interleaving.
 *   -DEAGER / -DCOOP: one rebalance protocol only (default: both, chosen
 *   at the start).
 * Variations of the design, to see which of its parts carry the property
 * (README.md has the results): -DGIVE_UP_ON_OUTAGE, -DNO_REWIND,
 * -DKEEP_NEXT, -DDROP_ALL_OF_CUR.
 */
#include "common.pml"

bit reload_wait; /* a reloaded chain waits for the writer to be empty (PAUSE_RELOAD) */

#define WRITER_IDLE (BEMPTY(wc) && BEMPTY(nx) && ndq == 0) /* writer_idle() */
#define LOWEST(m) ((m) & 1 -> 0 : ((m) & 2 -> 1 : ((m) & 4 -> 2 : 3)))

/* give_up(): a batch came back uncommitted (only at shutdown). The items of
 * its partitions are removed from the later places (writer_drop_next(),
 * batch_drop_partitions() on cur), and each of its partitions still
 * assigned is sought back to the lowest offset of the batch in it
 * (consumer_rewind()). */
inline give_up_part(p)
{
    if
    :: dq[0].m[p] != 0 ->
        bdrop(nx, p);
        if
        :: cur.m[p] != 0 -> bdrop(cur, p)
        :: else -> skip
        fi;
        if
#ifndef NO_REWIND
        :: own[p] -> pos[p] = LOWEST(dq[0].m[p]); printf("A: p%d rewound to %d\n", p, pos[p])
#endif
        :: else -> skip
        fi
    :: else -> skip
    fi
}

inline finish()
{
    if
    :: dq[0].ok -> printf("A: collect: committed p0=%d p1=%d\n", dq[0].m[0], dq[0].m[1])
    :: else ->
        printf("A: collect: given up p0=%d p1=%d\n", dq[0].m[0], dq[0].m[1]);
        give_up_part(0);
        give_up_part(1)
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

/* on_revoke() for the partitions in `revoking`: their items leave cur, then
 * the writer's next (two steps: the writer may start next in between); the
 * batch in the writer's transaction is left to commit. No wait. */
inline drop_revoked()
{
    atomic {
#ifdef DROP_ALL_OF_CUR
        bclear(cur); /* as settle() did: every partition's items */
#endif
        if
        :: (revoking & 1) && cur.m[0] != 0 -> bdrop(cur, 0)
        :: else -> skip
        fi;
        if
        :: (revoking & 2) && cur.m[1] != 0 -> bdrop(cur, 1)
        :: else -> skip
        fi
    };
#ifndef KEEP_NEXT
    atomic {
        if
        :: revoking & 1 -> bdrop(nx, 0)
        :: else -> skip
        fi;
        if
        :: revoking & 2 -> bdrop(nx, 1)
        :: else -> skip
        fi
    }
#endif
}

/* the rebalance events, each an option of the loops below (they happen
 * inside consumer_poll()) */
inline coop_revoke()
{
    atomic {
        coop && (own[0] || own[1]) ->
            if
            :: own[0] -> revoking = 1
            :: own[1] -> revoking = 2
            :: own[0] && own[1] -> revoking = 3
            fi;
            printf("A: cooperative revoke of p0 %d, p1 %d\n", revoking & 1, revoking >> 1)
    };
    drop_revoked();
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
}

inline eager_rebalance()
{
    atomic { !coop -> revoking = (own[0] -> 1 : 0) | (own[1] -> 2 : 0); printf("A: eager revoke\n") };
    drop_revoked();
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
}

/* writer_drain(w, 0) at the end of settle(): the batch not started is given
 * back, the one being committed abandoned and waited for */
inline drain_now()
{
    atomic {
        if
        :: !BEMPTY(nx) && ndq < 3 -> push(nx, 0); bclear(nx)
        :: else -> skip
        fi;
        if
        :: !BEMPTY(wc) -> abandon = 1
        :: else -> skip
        fi
    };
    do
    :: BEMPTY(wc) -> break
    :: atomic { printf("A: killed\n"); reset_a() }; goto top
    od
}

active proctype Main()
{
    atomic {
#if defined(EAGER)
        coop = 0;
#elif defined(COOP)
        coop = 1;
#else
        if
        :: coop = 0
        :: coop = 1
        fi;
#endif
        printf("A: owns p0 and p1, cooperative rebalancing %d\n", coop)
    }
top:
    do
    /* turn() */
    :: atomic { own[0] && pos[0] < M -> add(0) }
    :: atomic { own[1] && pos[1] < M -> add(1) }
    /* decide_cur() and submit_cur() (deciding is the main thread's own
     * business, a handler RETRY only delays it); not while a reload waits */
    :: atomic { !BEMPTY(cur) && BEMPTY(nx) && !reload_wait ->
        printf("A: submit p0=%d p1=%d\n", cur.m[0], cur.m[1]);
        bcopy(nx, cur); bclear(cur) }
    :: atomic { ndq > 0 -> finish() }
    :: coop_revoke()
    :: atomic { coop && !own[0] -> assign(0) }
    :: atomic { coop && !own[1] -> assign(1) }
    :: eager_rebalance()
#ifdef GIVE_UP_ON_OUTAGE
    /* not in the design: the writer's batch given up while running (a
     * writer_drain() with a timeout outside the stop): give_up() alone is
     * not enough then, see README.md */
    :: atomic { !BEMPTY(wc) && !abandon -> abandon = 1; printf("A: gives the writer's batch up\n") }
#endif
    /* reload(): the new chain waits until the writer is empty (swap_chain()) */
    :: atomic { !reload_wait -> reload_wait = 1; printf("A: reload\n") }
    :: atomic { reload_wait && WRITER_IDLE -> reload_wait = 0; printf("A: chain swapped\n") }

    /* drain_and_stop() -> settle(): everything in hand is committed while
     * the group and the watchdog are served, until the deadline; messages
     * fetched meanwhile are given up (ossd leaves the group) */
    :: atomic { stopping = 1; printf("A: stop\n") };
        do
        :: collect()
        :: atomic { !BEMPTY(cur) && BEMPTY(nx) -> bcopy(nx, cur); bclear(cur) }
        :: atomic { own[0] && pos[0] < M -> printf("A: p0@%d fetched and given up\n", pos[0]); pos[0]++ }
        :: atomic { own[1] && pos[1] < M -> printf("A: p1@%d fetched and given up\n", pos[1]); pos[1]++ }
        :: coop_revoke()
        :: atomic { coop && !own[0] -> assign(0) }
        :: atomic { coop && !own[1] -> assign(1) }
        :: eager_rebalance()
        :: BEMPTY(cur) && WRITER_IDLE -> break
        :: true -> printf("A: stop deadline\n"); break
        :: atomic { printf("A: killed\n"); reset_a() }; goto top
        od;
        drain_now();
        collect();
        atomic { bclear(cur); printf("A: stopped\n"); reset_a(); reload_wait = 0 }

    :: atomic { printf("A: killed\n"); reset_a(); reload_wait = 0 }
    od
}
