/*
 * SpmcRing (src/spmc-ring.ts) as implemented: the job ring, one producer,
 * NC = 2 consumers. One Promela statement is one step of one thread; every
 * Atomics operation of the TypeScript is one step of its own (they are
 * sequentially consistent), so the checker tries every interleaving of them.
 * Plain reads and writes are merged into a neighbouring step only where no
 * other thread can observe the difference (README.md, "Abstraction", argues
 * each merge; the ghost race detector `hold` checks the ownership it relies
 * on). Names in comments are the TypeScript ones.
 *
 * Threads: tid 0 = the producer, which is also the thread that closes the
 * ring (in the server the main thread does both); tid 1, 2 = consumers
 * running src/worker.ts's loop: drain(take, BATCH), else waitForData().
 * The server's workers use BATCH = 1 (default); -DBATCH=2 checks the batch
 * path (one CAS and one consumed-mark for two records) that the benchmark's
 * consumers take.
 *
 * Configuration (spin -D...): N records (default 3), C units of capacity
 * (common.pml, default 4), INIT the start position (default M - 1: the very
 * first unit crosses the 2^32 wrap and the first 2-unit record needs padding).
 *
 * Broken twins (spin -D...): each changes exactly one thing, and the checker
 * must find a counterexample for each (verify.mjs):
 *   BUG_NOTIFY_BEFORE_PUBLISH  publish() wakes consumers before storing WRITE
 *   BUG_NO_ANNOUNCE            a consumer about to sleep does not count itself in DATA_WAITERS
 *   BUG_NO_RECHECK             a consumer does not re-check for data between announcing and waiting
 *   BUG_SAMPLE_AFTER_ANNOUNCE  a consumer samples SIGNAL after announcing, not before
 *   BUG_RETIRE_KEEPS_PENDING   a sleeper that leaves does not clear WAKE_PENDING
 *   BUG_MARK_BEFORE_READ       the batch's consumed-mark is stored before visit() reads the last payload
 *   BUG_PADDING_BORN_CONSUMED  padding is written already consumed (the bug the stress test found)
 *   BUG_NO_WAKE_CHAIN          drain() does not wake a peer when it leaves records behind
 * Reachability witnesses: -DWITNESS=<mask> (common.pml).
 */
#include "common.pml"

#ifndef N
#define N 3        /* records the producer may push (it may stop after any) */
#endif
#ifndef NC
#define NC 2       /* consumers; -DNC=3 needs -DNT=4 */
#endif
#ifndef BATCH
#define BATCH 1    /* drain(take, max): records (not padding) per CAS on READ */
#endif

short w0[C];
short w1[C];
byte WRITE = INIT;
byte READ = INIT;
/* RELEASE is only read by observers (stats): the producer keeps its own copy. */
byte DATA_WAITERS;            /* DATA_SIGNAL: see common.pml */
bit DATA_PENDING;
byte SPACE_WAITERS;           /* SPACE_SIGNAL: see common.pml */
bit SPACE_PENDING;
bit CLOSED;

/* Ghost state: the checks, not the algorithm. hold[u]: a consumer has taken
 * unit u (CAS on READ) and not yet handed it back (consumed-mark); the
 * producer asserts it never writes a held unit (the race detector). */
bit hold[C];
byte committed;        /* pushes that returned true */
byte nextTake = 1;     /* FIFO: identity the next successful CAS on READ must take */
byte delivered;
bit got[N + 1];
bit producerDone;
byte consumersExited;
byte parked;           /* consumers busy for good with the record they took */

/* The consumed-mark: Atomics.store(SIZE, -size) in the first header of a
 * batch, size = the whole batch's units; the ghost releases the units. */
#define MARK(at, s) d_step { w0[IDX(at)] = -(s); step = 0; \
  do :: step < (s) -> hold[IDX((at) + step)] = 0; step++ :: else -> break od; step = 0 }

/*
 * The consumer's checks on what it read: the payload is the record's own (not
 * torn), the record is the one its CAS took (not overwritten since), and it
 * is delivered once. A padding record is only stepped over.
 */
#ifdef BUG_PADDING_BORN_CONSUMED
/* born consumed: nothing to mark; its header, just read, was all it needed */
#define PADDING_READ s = (s < 0 -> -s : s); step = 0; \
  do :: step < s -> hold[IDX(at + step)] = 0; step++ :: else -> break od; step = 0;
#else
#define PADDING_READ
#endif
#define VISIT \
  if \
  :: length == PAD -> PADDING_READ REACHED(W_PADDING) skip \
  :: else -> \
     nrec++; \
     if :: s == 2 -> assert(w1[IDX(at) + 1] == length) :: else -> skip fi; \
     assert(length == want); want++; \
     assert(length >= 1 && length <= N && !got[length]); \
     got[length] = 1; delivered++ \
  fi; \
  assert(s > 0)

/* hasData(): WRITE - READ > 0, two loads in this order, two steps: between
 * them another consumer may take the record seen and the producer publish a
 * new one, and hasData() then says false with data present. The local
 * computation is merged with the second load. */
#define HAS_DATA(rd, wr, yes) wr = WRITE; d_step { rd = READ; yes = (DIFF(wr, rd) > 0); rd = 0; wr = 0 }

/* ── the producer ─────────────────────────────────────────────────────────── */

/* #reclaim(): move the private release cursor over consumed headers, up to READ. */
inline reclaim() {
  rd = READ;
  do
  :: DIFF(rd, rel) > 0 ->
     s = w0[IDX(rel)];                       /* Atomics.load(SIZE) */
     if
     :: s >= 0 -> break                      /* taken, still being read */
     :: else -> rel = MODM(rel - s)
     fi
  :: else -> break
  od;
  rd = 0; s = 0
}

/* hasSpaceFor(size) at the private write cursor. */
inline has_space() {
  need = (size <= C - IDX(w) -> size : C - IDX(w) + size);
  if
  :: C - DIFF(w, rel) >= need -> ready = 1
  :: else ->
     reclaim();
     ready = (C - DIFF(w, rel) >= need)
  fi;
  need = 0
}

/* publish(): store WRITE last, then wake consumers (count = records published). */
inline publish() {
  if
  :: w != pub ->
#ifdef BUG_NOTIFY_BEFORE_PUBLISH
     k = unpub; unpub = 0;
     core_wake(DATA_WAITERS, DATA_PENDING, ON_DATA, k, ok, n);
     k = 0;
#endif
     d_step {
       if :: w < pub -> REACHED(W_WRAP) skip :: else -> skip fi;
       if :: unpub > 1 -> REACHED(W_BATCH) skip :: else -> skip fi;
       pub = w
     };
     WRITE = w;                              /* Atomics.store(WRITE): publishes */
#ifndef BUG_NOTIFY_BEFORE_PUBLISH
     k = unpub; unpub = 0;
     core_wake(DATA_WAITERS, DATA_PENDING, ON_DATA, k, ok, n);
     k = 0
#endif
  :: else -> skip
  fi
}

/* waitForSpace(size): the sleep protocol of RingCore.#wait, producer side. */
inline wait_for_space() {
  /* The bounded spin before sleeping is left out: its re-checks write no
   * word another thread reads (only the private #release, and RELEASE, which
   * only stats observers read), and step 3 below repeats them; a run that
   * returns from the spin is the run in which the failed tryClaim happened
   * that much later (README, "Abstraction"). In this model only the
   * producer closes, so the CLOSED branch below is dead, as in the server. */
  ready = 0;
  do
  :: ready -> break
  :: else ->
     SAMPLE(0, ON_SPACE);                                 /* 1. sample */
     core_announce(SPACE_WAITERS, SPACE_PENDING);         /* 2. announce */
     has_space();                                         /* 3. re-check */
     if
     :: ready -> core_retire(0, SPACE_WAITERS, SPACE_PENDING); break
     :: else -> skip
     fi;
     if
     :: CLOSED -> core_retire(0, SPACE_WAITERS, SPACE_PENDING); break
     :: else -> skip
     fi;
     FUTEX_ARM(0, ON_SPACE, slept);           /* 4. Atomics.wait */
     (sleepOn[0] == 0);                     /* blocked: no end label, never a valid end */
#ifdef WITNESS
     if :: slept -> REACHED(W_FULL) slept = 0 :: else -> skip fi;
#endif
     core_retire(0, SPACE_WAITERS, SPACE_PENDING);
     has_space()
  od;
  ready = 0
}

active proctype Producer() {
  byte w = INIT, rel = INIT, pub = INIT;     /* #write, #release, #published */
  byte unpub, i = 1, size, idx, tail, need, rd, n, k;
  short s;
  bit ready, ok, slept;

  do
  :: i <= N ->
     if :: size = 2 :: size = 1 fi;          /* payload 1..8 bytes, or 0 */
retry:
     /* tryClaim(): its load of CLOSED is left out: only this thread closes */
     idx = IDX(w); tail = C - idx;
     need = (size <= tail -> size : tail + size);
     if
     :: C - DIFF(w, rel) < need -> reclaim()
     :: else -> skip
     fi;
     if
     :: C - DIFF(w, rel) < need ->
        /* full: tryClaim returned -1. Make what is committed visible, sleep. */
        need = 0;
        publish();
        wait_for_space();
        goto retry
     :: else -> need = 0
     fi;
     /* Claimed: write padding (if the record does not fit before the end),
      * payload, LENGTH, SIZE, all plain writes into space no consumer may
      * read yet, then commit's bookkeeping. One step (see README: the race
      * detector asserts nobody holds what is written, which makes the
      * merging exact). */
     d_step {
       if
       :: size > tail ->
          assert(!hold[idx]);
          w1[idx] = PAD;
#ifdef BUG_PADDING_BORN_CONSUMED
          w0[idx] = -tail;
#else
          w0[idx] = tail;
#endif
          w = MODM(w + tail); idx = 0
       :: else -> skip
       fi;
       tail = 0;
       /* the caller copies the payload in place (tryClaim ... commit) */
       if
       :: size == 2 -> assert(!hold[idx + 1]); w0[idx + 1] = GARBAGE; w1[idx + 1] = i
       :: else -> skip
       fi;
       /* commit(length): LENGTH, then SIZE */
       assert(!hold[idx]);
       w1[idx] = i;
       w0[idx] = size;
       w = MODM(w + size); unpub++; committed++; i++; idx = 0; size = 0
     };
     if
     :: publish()
     :: skip                                 /* commit(length, false): batch */
     fi
  :: break                                   /* the producer may stop after any record */
  od;
  publish();
  if
  :: /* close(): store CLOSED, then wake every sleeper on both words */
     CLOSED = 1;
     BUMP(ON_DATA);
     futex_notify(ON_DATA, ALL, n);
     BUMP(ON_SPACE);
     futex_notify(ON_SPACE, ALL, n)
  :: skip                                    /* or never close: sleepers may sleep */
  fi;
  producerDone = 1
}

/* ── the consumers ────────────────────────────────────────────────────────── */

proctype Consumer(byte tid) {
  byte rd, wr, end, at, recs, nrec, step, want, n;
  short s, length;
  bit ok, yes, closed, slept, isEmpty;

  do
  :: true ->
     /* drain(take, BATCH). One step: load READ, load WRITE, walk the headers
      * between them (plain reads). Merging is exact, see README
      * "Abstraction": when READ moved in between, the CAS below fails and
      * whatever the walk saw is thrown away; when it did not, the headers
      * walked were published and not taken, so nobody writes them. */
drain: skip;
     d_step {
       rd = READ; wr = WRITE;
       end = rd; recs = 0;
       do
       :: recs < BATCH && DIFF(wr, end) > 0 ->
          s = w0[IDX(end)];
          step = (s < 0 -> -s : s);
          if
          :: step < 1 || step > C -> break   /* stale: the CAS will fail */
          :: else -> skip
          fi;
          if
          :: w1[IDX(end)] != PAD -> recs++
          :: else -> skip
          fi;
          end = MODM(end + step)
       :: else -> break
       od;
       s = 0; step = 0;
       if
       :: end == rd && DIFF(wr, rd) <= 0 -> isEmpty = 1
       :: else -> skip
       fi;
       wr = 0
     };
     if
     :: isEmpty -> isEmpty = 0; rd = 0; end = 0; recs = 0; goto sleep_path
     :: end == rd -> goto drain              /* saw a stale header */
     :: else -> skip
     fi;
     /* Atomics.compareExchange(READ, read, end). The ghost checks what was
      * taken (FIFO) and marks its units held until their consumed-mark. */
     d_step {
       if
       :: READ == rd ->
          READ = end; ok = 1;
          at = rd;
          do
          :: at != end ->
             if
             :: w1[IDX(at)] != PAD ->
                assert(w0[IDX(at)] > 0);      /* a taken record is committed, not consumed */
                assert(w1[IDX(at)] == nextTake);   /* FIFO: taken in push order, none skipped */
                if :: want == 0 -> want = nextTake :: else -> skip fi;  /* the batch's first */
                nextTake++;
                step = w0[IDX(at)]
             :: else ->                       /* padding (its sign: see BUG_PADDING_BORN_CONSUMED) */
                step = (w0[IDX(at)] < 0 -> -w0[IDX(at)] : w0[IDX(at)])
             fi;
             assert(step > 0);
             do
             :: step > 0 -> hold[IDX(at)] = 1; at = MODM(at + 1); step--
             :: else -> break
             od
          :: else -> break
          od;
          at = 0
       :: else -> ok = 0
       fi
     };
     if
     :: ok -> ok = 0
     :: else -> end = 0; recs = 0; goto drain
     fi;
     /* #deliver(read, end, visit): read each header (and visit() its
      * payload), then store one consumed-mark for the whole batch,
      * -(end - read) in its first header (Atomics.store): it hands every
      * unit of the batch back to the producer at once. */
     at = rd; nrec = 0;
     do
     :: at != end ->
        /* size = i32[word], length = i32[word + 1], then visit() reads the
         * payload: plain reads of units this consumer holds */
#ifdef BUG_MARK_BEFORE_READ
        d_step { s = w0[IDX(at)]; length = w1[IDX(at)] };
        if
        :: MODM(at + s) == end -> MARK(rd, DIFF(end, rd))   /* handed back before visit() ran */
        :: else -> skip
        fi;
        d_step { VISIT };
#else
        d_step { s = w0[IDX(at)]; length = w1[IDX(at)]; VISIT };
#endif
        at = MODM(at + s); s = 0; length = 0
     :: else -> break
     od;
     if :: nrec > 1 -> REACHED(W_TAKE2) skip :: else -> skip fi;
#ifndef BUG_MARK_BEFORE_READ
     MARK(rd, DIFF(end, rd));                /* consumed-mark last */
#endif
     core_wake(SPACE_WAITERS, SPACE_PENDING, ON_SPACE, ALL, ok, n);
     want = 0; at = 0; rd = 0;
     if
     :: nrec == 0 -> end = 0; recs = 0; goto drain
     :: else -> nrec = 0
     fi;
#ifndef BUG_NO_WAKE_CHAIN
     /* wake chaining: leaving records behind, wake a peer */
     if
     :: DIFF(WRITE, end) > 0 -> core_wake(DATA_WAITERS, DATA_PENDING, ON_DATA, 1, ok, n)
     :: else -> skip
     fi;
#endif
     end = 0; recs = 0;
     /* drain returned a record: the worker runs the job. A job may take
      * for ever: this consumer then never comes back, and the others must
      * still take every record (what wake chaining and WAKE_PENDING are for). */
     if
     :: goto took
     :: atomic { parked < NC - 1 -> parked++ };  /* one at most: someone must be left to consume */
end_busy:
        false
     fi;

sleep_path:
     /* drain returned 0: waitForData(), RingCore.#wait with payload < 0.
      * No bounded spin: see wait_for_space(). `yes` set = returns 'ok',
      * `closed` set = returns 'closed'. */
     yes = 0;
     do
     :: true ->
#ifndef BUG_SAMPLE_AFTER_ANNOUNCE
        SAMPLE(tid, ON_DATA);                                /* 1. seq = Atomics.load(SIGNAL) */
#endif
#ifndef BUG_NO_ANNOUNCE
        core_announce(DATA_WAITERS, DATA_PENDING);           /* 2. announceSleeper() */
#endif
#ifdef BUG_SAMPLE_AFTER_ANNOUNCE
        SAMPLE(tid, ON_DATA);
#endif
#ifndef BUG_NO_RECHECK
        HAS_DATA(rd, wr, yes);                               /* 3. if (#ready()) return 'ok' */
        if
        :: yes -> goto retire
        :: else -> skip
        fi;
#endif
        if
        :: CLOSED ->                                         /* this.closed && isDrained() */
           HAS_DATA(rd, wr, yes);
           if
           :: !yes -> closed = 1; goto retire                /* return 'closed' */
           :: else -> yes = 0                                /* not drained: sleeps all the same */
           fi
        :: else -> skip
        fi;
        FUTEX_ARM(tid, ON_DATA, slept);                      /* 4. Atomics.wait(SIGNAL, seq) */
end_asleep:
        (sleepOn[tid] == 0);
#ifdef WITNESS
        d_step {
          if :: slept && !CLOSED -> REACHED(W_SLEPT) skip :: else -> skip fi;
          if :: slept && CLOSED -> REACHED(W_CLOSE) skip :: else -> skip fi;
          slept = 0
        };
#endif
retire:                                                      /* finally { retireSleeper() } */
#ifndef BUG_NO_ANNOUNCE
        core_retire(tid, DATA_WAITERS, DATA_PENDING);
#else
        atomic { DROP_SAMPLE(tid) };
#endif
        if
        :: closed || yes -> break                            /* the return inside try */
        :: else ->
           HAS_DATA(rd, wr, yes);                            /* after the wait: if (#ready()) return 'ok' */
           if
           :: yes -> break
           :: else -> skip                                   /* woken, nothing there: sleep again */
           fi
        fi
     od;
     /* worker.ts: if (waitForData() === 'closed' && !hasData()) break */
     if
     :: closed ->
        closed = 0;
        HAS_DATA(rd, wr, yes);
        if
        :: !yes -> break
        :: else -> skip
        fi
     :: else -> skip
     fi;
     yes = 0;
took:
     skip
  od;
  consumersExited++
}

init {
  atomic {
    run Consumer(1);
    run Consumer(2)
#if NC > 2
    ; run Consumer(3)
#endif
  }
}

/*
 * The end check. `timeout` is executable only when no other statement of any
 * thread is: the system is stuck for good, since only the threads themselves
 * change the state. Then: the producer finished (it never sleeps for space
 * for good while a consumer can still free some); no record whose push
 * returned true is left while a consumer is free to take it (a consumer
 * asleep with data present is exactly this failing; records are only
 * allowed to wait when every consumer is busy for good); after close() every
 * consumer that is not busy returned 'closed' and left.
 */
active proctype Monitor() {
  timeout ->
    assert(producerDone);
    assert(delivered == committed);
    assert(!CLOSED || consumersExited + parked == NC)
}
