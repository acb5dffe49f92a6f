/*
 * What both ring models share: the size of the record area, cursor
 * arithmetic, Atomics.wait / Atomics.notify, the waiter-count wake-up of
 * ring-core.ts, and the reachability witnesses. Included by spmc.pml and
 * mpsc.pml (spin runs the C preprocessor; -D options select bugs/witnesses).
 *
 * Scale: one model "unit" is 8 bytes (HEADER_BYTES = RECORD_ALIGN). A record
 * of payload 0 is 1 unit (header only); a record of payload 1..8 bytes is 2
 * units (header + one payload unit). The record area is C units. The largest
 * record (2 units) is C/2, exactly the ceiling create() enforces
 * (maxPayload <= capacity/2 - 8, so recordSize <= capacity/2).
 *
 * Every unit holds two int32 words, w0 and w1 (its first 8 bytes):
 *   header unit:  w0 = SIZE (units), w1 = LENGTH
 *   payload unit: w0 = GARBAGE, w1 = the record's identity
 * LENGTH carries the record's identity (1..) instead of its byte count, or
 * PAD for a padding record: the consumer's reads of LENGTH and payload then
 * tell exactly which record it saw, so a torn, stale or overwritten record
 * fails an assertion. GARBAGE is what a stale reader finds where it expects a
 * header: 1, a plausible SIZE, the most misleading value it could find.
 */

#ifndef C
#define C 4
#endif
#define PAD (-1)
#define GARBAGE 1

/*
 * Cursors are positions modulo M, like the int32 positions of layout.ts are
 * modulo 2^32, and are only ever compared through the signed difference
 * ((a - b) | 0), here DIFF. M = 4*C is the smallest power of two for which
 * DIFF is right at the distances that occur (0..C). Runs start at INIT, just
 * below M, so every run that moves more than a few units crosses the wrap.
 */
#define M (4 * C)
#define MODM(x) (((x) + 2 * M) % M)
#define IDX(p) ((p) % C)
#define DIFF(a, b) ((MODM((a) - (b)) < M / 2) -> MODM((a) - (b)) : MODM((a) - (b)) - M)
#ifndef INIT
#define INIT (M - 1)
#endif

/* ── Atomics.wait / Atomics.notify ──────────────────────────────────────────
 * Threads are numbered 0 .. NT-1 (tid). sleepOn[tid] is the futex word a
 * thread is blocked on (0: not blocked). Atomics.wait(word, expected) is one
 * atomic step: block only if the word still equals expected; it then stays
 * blocked until a notify on that word picks it. Atomics.notify(word, count)
 * is one atomic step that wakes up to count sleepers of that word; which ones
 * is left open (the spec wakes the oldest first: an open choice covers it).
 * There are no spurious wake-ups, as in the spec, and no timeouts: every
 * wait in the rings' server use has an infinite timeout.
 *
 * The SIGNAL words. Their only use is `seq = Atomics.load(SIGNAL)` followed
 * by `Atomics.wait(SIGNAL, seq)`, and they only ever grow (by Atomics.add),
 * so "SIGNAL still equals seq" is exactly "SIGNAL was not bumped since the
 * sample". The model keeps that, and not the counter: sampled[tid] is the
 * SIGNAL word thread tid has sampled and not yet waited on, moved[tid] says a
 * bump happened since. Keeping the counter's value would make states that
 * differ only in how many wake-ups happened so far distinct, for nothing.
 * (The one thing this leaves out is a counter that wraps all the way round,
 * 2^32 bumps, while a thread sits between its sample and its wait.)
 */
#ifndef NT
#define NT 3        /* threads that can sleep; 4 with spmc.pml's -DNC=3 */
#endif
#define ON_DATA 1
#define ON_SPACE 2
#define ALL 255
byte sleepOn[NT];
byte sampled[NT];
bit moved[NT];

/* seq = Atomics.load(SIGNAL) */
#define SAMPLE(tid, which) sampled[tid] = which
#if NT > 3
#define EXTRA_BUMP(which) ; if :: sampled[3] == which -> moved[3] = 1 :: else -> skip fi
#else
#define EXTRA_BUMP(which)
#endif
/* Atomics.add(SIGNAL, 1) */
#define BUMP(which) d_step { \
  if :: sampled[0] == which -> moved[0] = 1 :: else -> skip fi; \
  if :: sampled[1] == which -> moved[1] = 1 :: else -> skip fi; \
  if :: sampled[2] == which -> moved[2] = 1 :: else -> skip fi \
  EXTRA_BUMP(which) }
/* The sample is dropped (the local seq dies): merged into the next step. */
#define DROP_SAMPLE(tid) sampled[tid] = 0; moved[tid] = 0
/*
 * The first half of Atomics.wait(SIGNAL, seq); the caller then blocks on
 * (sleepOn[tid] == 0). `slept` (a ghost) tells the witnesses it really blocked.
 */
#define FUTEX_ARM(tid, which, slept) d_step { \
  if :: !moved[tid] -> sleepOn[tid] = which GHOST(; slept = 1) :: else -> skip fi; \
  DROP_SAMPLE(tid) }

inline futex_notify(which, count, n) {
  atomic {
    n = count;
    do
    :: n > 0 && sleepOn[0] == which -> sleepOn[0] = 0; n--
    :: n > 0 && sleepOn[1] == which -> sleepOn[1] = 0; n--
    :: n > 0 && sleepOn[2] == which -> sleepOn[2] = 0; n--
#if NT > 3
    :: n > 0 && sleepOn[3] == which -> sleepOn[3] = 0; n--
#endif
    :: else -> break
    od;
    n = 0
  }
}

/*
 * RingCore.wake(): after making the condition true, the waking side
 *   loads WAITERS; returns if 0             (no syscall when nobody sleeps)
 *   CAS WAKE_PENDING 0 -> 1; returns if lost (a wake-up is already on its way)
 *   bumps SIGNAL, notifies `count` sleepers
 */
inline core_wake(waiters, pending, which, count, ok, n) {
  if
  :: waiters == 0 -> skip
  :: else ->
     d_step { if :: pending == 0 -> pending = 1; ok = 1 :: else -> ok = 0 fi };
     if
     :: ok -> ok = 0; BUMP(which); futex_notify(which, count, n)
     :: else -> skip
     fi
  fi
}

/*
 * RingCore.announceSleeper / retireSleeper for waiter *counts*:
 *   announce: Atomics.add(WAITERS, 1); Atomics.store(WAKE_PENDING, 0)
 *   retire:   Atomics.store(WAKE_PENDING, 0); Atomics.sub(WAITERS, 1)
 * (retire also drops the thread's sample, if it left before waiting.)
 * BUG_RETIRE_KEEPS_PENDING: retire forgets to clear WAKE_PENDING.
 */
inline core_announce(waiters, pending) {
  waiters++;
  pending = 0
}

#ifdef BUG_RETIRE_KEEPS_PENDING
inline core_retire(tid, waiters, pending) {
  d_step { DROP_SAMPLE(tid); waiters-- }
}
#else
inline core_retire(tid, waiters, pending) {
  d_step { DROP_SAMPLE(tid); pending = 0 };
  waiters--
}
#endif

/* ── reachability witnesses ─────────────────────────────────────────────────
 * A run with -DWITNESS=<mask> turns "these events all happen in one run"
 * into an assertion that fails as soon as they have: the checker finding that
 * violation proves the scenario is reachable (wrap, padding, sleep, ...).
 * Without WITNESS the ghost does not exist and costs no state.
 */
#define W_PADDING   1   /* a padding record was taken and consumed */
#define W_WRAP      2   /* a cursor crossed M -> 0 (the 2^32 wrap) */
#define W_SLEPT     4   /* a consumer blocked in Atomics.wait and a publish woke it */
#define W_FULL      8   /* a producer blocked in Atomics.wait for space and was woken */
#define W_CLOSE    16   /* a consumer blocked in Atomics.wait and close() woke it */
#define W_BATCH    32   /* SPMC: one publish for two records; MPSC: one drain of 2+ records */
#define W_CONCURRENT 64 /* MPSC: two claims outstanding at once */
#define W_CLOSE_RACE 128 /* MPSC: a claim raced with close() and was committed as padding */
#define W_TAKE2    256  /* SPMC, -DBATCH=2: one CAS on READ took two records, one consumed-mark freed both */
#ifdef WITNESS
short seen;   /* short: the masks go past 255 */
#define REACHED(b) seen = seen | (b); assert((seen & (WITNESS)) != (WITNESS));
#define GHOST(x) x
#else
#define REACHED(b)
#define GHOST(x)
#endif
