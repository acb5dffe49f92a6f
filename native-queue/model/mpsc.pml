/*
 * MpscRing (src/mpsc-ring.ts) as implemented: the completion and log rings,
 * NP = 2 producers, one consumer. One Promela statement is one step of one
 * thread; every Atomics operation of the TypeScript is one step of its own
 * (they are sequentially consistent). Plain reads and writes of memory a
 * thread owns are merged with the Atomics operation next to them; the ghost
 * race detector `hold` checks that ownership (README.md, "Abstraction").
 * Names in comments are the TypeScript ones.
 *
 * Threads: tid 0, 1 = producers (src/worker.ts: claim() = tryClaim, else
 * waitForSpace, again; then commit()); tid 2 = the consumer (src/writer.ts's
 * loop: drain(collect), else waitForData(); the main thread's completion
 * loop runs the same protocol through whenData()); a Closer thread that
 * calls close() at any moment, or never.
 *
 * Configuration (spin -D...): K records per producer (default 2), C units of
 * capacity (common.pml, default 4), INIT the start position (default M - 1).
 *
 * Broken twins (spin -D...): each changes exactly one thing, and the checker
 * must find a counterexample for each (verify.mjs):
 *   BUG_SIZE_BEFORE_PAYLOAD    commit() stores SIZE before writing LENGTH and the payload
 *   BUG_NOTIFY_BEFORE_COMMIT   commit() wakes the consumer before storing SIZE
 *   BUG_NO_WAITER_FLAG         the consumer never sets DATA_WAITERS (producers never notify)
 *   BUG_NO_RECHECK             the consumer does not re-check SIZE between announcing and waiting
 *   BUG_SAMPLE_AFTER_ANNOUNCE  the consumer samples SIGNAL after setting the flag (the first version)
 *   BUG_READ_BEFORE_ZERO       the consumer stores READ before zero-filling what it consumed
 *   BUG_NO_BATCH_CAP           drain() does not stop after one capacity of bytes
 * (BUG_RETIRE_KEEPS_PENDING of common.pml is harmless here and is not a twin:
 * producers waiting for space are all woken, count = Infinity, so a stale
 * SPACE_WAKE_PENDING only delays the next notify until a sleeper announces.)
 * Options:
 *   CLOSE_AFTER_PRODUCERS      close() only once every producer has finished
 *                              (what src/server.ts does); default: at any moment
 *   BUG_CLOSE_RACE_NO_WAKE     the padding committed by a claim that raced
 *                              with close() does not wake the consumer, which
 *                              can then sleep for ever (the first version:
 *                              README.md, "Finding: close() racing a claim")
 * Reachability witnesses: -DWITNESS=<mask> (common.pml).
 */
#include "common.pml"

#ifndef K
#define K 2        /* records each producer may push (it may stop after any) */
#endif
#define NP 2
#define CONSUMER 2

short w0[C];
short w1[C];
byte WRITE = INIT;
byte READ = INIT;
bit DATA_WAITERS;                /* a flag: one consumer */
byte SPACE_WAITERS;              /* the SIGNAL words: see common.pml */
bit SPACE_PENDING;
bit CLOSED;

/* Ghost state: the checks, not the algorithm. hold[u]: the consumer has read
 * unit u (seen its SIZE) and not yet zeroed it; producers assert they never
 * write a held unit (the race detector). */
bit hold[C];
byte committed;                  /* pushes that returned true */
byte delivered;
byte expect[NP];                 /* FIFO per producer: next sequence number */
byte producersDone;
bit consumerExited;
#ifdef WITNESS
byte claimsOpen;
#define CLAIM_OPENED claimsOpen++; if :: claimsOpen > 1 -> REACHED(W_CONCURRENT) skip :: else -> skip fi;
#define CLAIM_CLOSED claimsOpen--;
#else
#define CLAIM_OPENED
#define CLAIM_CLOSED
#endif

/* ── producers ────────────────────────────────────────────────────────────── */

/* hasSpaceFor(size): load WRITE, load READ. */
inline has_space() {
  w = WRITE;
  r = READ;
  need = (size <= C - IDX(w) -> size : C - IDX(w) + size);
  ready = (C - DIFF(w, r) >= need);
  w = 0; r = 0; need = 0
}

/* commit()'s wakeConsumers: the flag variant (MpscRing.wakeConsumers). */
inline wake_consumer() {
  if
  :: DATA_WAITERS == 0 -> skip
  :: else ->
     d_step { if :: DATA_WAITERS == 1 -> DATA_WAITERS = 0; ok = 1 :: else -> ok = 0 fi };
     if
     :: ok -> ok = 0; BUMP(ON_DATA); futex_notify(ON_DATA, 1, n)
     :: else -> skip
     fi
  fi
}

/* Stores LENGTH (plain) and SIZE (Atomics.store) of a header at `word`: the
 * store publishes; the plain write before it is to a unit this thread owns. */
#define PUT_HEADER(word, len, sz) assert(!hold[word]); w1[word] = len; w0[word] = sz

proctype Producer(byte tid) {
  byte i, size, w, r, need, word, n;
  bit ready, ok, slept, claimed;

  do
  :: i < K ->
     if :: size = 2 :: size = 1 fi;          /* payload 1..8 bytes, or 0 */
     /* worker.ts claim(): tryClaim, else (not closed) waitForSpace, again */
     do
     :: true ->
        /* tryClaim(size) */
        if
        :: CLOSED -> goto refused
        :: else -> skip
        fi;
        do
        :: true ->
           w = WRITE;
           r = READ;
           need = (size <= C - IDX(w) -> size : C - IDX(w) + size);
           if
           :: C - DIFF(w, r) < need -> r = 0; need = 0; break   /* full */
           :: else -> skip
           fi;
           d_step {                          /* Atomics.compareExchange(WRITE) */
             if
             :: WRITE == w ->
                if :: w > MODM(w + need) -> REACHED(W_WRAP) skip :: else -> skip fi;
                WRITE = MODM(w + need); CLAIM_OPENED claimed = 1
             :: else -> skip
             fi
           };
           if
           :: claimed -> r = 0; break
           :: else -> w = 0; r = 0; need = 0
           fi
        od;
        if
        :: claimed -> break
        :: else -> skip
        fi;
        /* tryClaim returned -1 and the ring is not closed: waitForSpace */
        if
        :: CLOSED -> goto refused
        :: else -> skip
        fi;
        /* RingCore.#wait for a producer; the bounded spin is left out (README) */
        ready = 0;
        do
        :: ready -> break
        :: else ->
           SAMPLE(tid, ON_SPACE);                            /* 1. sample */
           core_announce(SPACE_WAITERS, SPACE_PENDING);      /* 2. announce */
           has_space();                                      /* 3. re-check */
           if
           :: ready -> core_retire(tid, SPACE_WAITERS, SPACE_PENDING); break
           :: else -> skip
           fi;
           if
           :: CLOSED -> core_retire(tid, SPACE_WAITERS, SPACE_PENDING); break
           :: else -> skip
           fi;
           FUTEX_ARM(tid, ON_SPACE, slept);   /* 4. Atomics.wait */
           (sleepOn[tid] == 0);              /* no end label: never a valid end */
#ifdef WITNESS
           if :: slept -> REACHED(W_FULL) slept = 0 :: else -> skip fi;
#endif
           core_retire(tid, SPACE_WAITERS, SPACE_PENDING);
           has_space()
        od;
        ready = 0
     od;
     claimed = 0;
     word = IDX(w);
     if
     :: CLOSED ->
        /* close() raced with the claim: commit it as padding, refuse */
        d_step { CLAIM_CLOSED REACHED(W_CLOSE_RACE) PUT_HEADER(word, PAD, need) };
#ifndef BUG_CLOSE_RACE_NO_WAKE
        wake_consumer();
#endif
        goto refused
     :: else -> skip
     fi;
     if
     :: need != size ->
        /* wrapping: a padding record closes the end, the record starts at 0 */
        d_step { PUT_HEADER(word, PAD, need - size) };
        word = 0
     :: else -> skip
     fi;
     w = 0; need = 0;
     /* the caller writes the payload in place, then commit(): LENGTH, SIZE last */
#ifdef BUG_NOTIFY_BEFORE_COMMIT
     wake_consumer();
#endif
#ifdef BUG_SIZE_BEFORE_PAYLOAD
     w0[word] = size;
#endif
     d_step {
       if
       :: size == 2 -> assert(!hold[word + 1]); w0[word + 1] = GARBAGE; w1[word + 1] = tid * K + i + 1
       :: else -> skip
       fi;
       assert(!hold[word]);
       w1[word] = tid * K + i + 1;
#ifndef BUG_SIZE_BEFORE_PAYLOAD
       w0[word] = size;                      /* Atomics.store(SIZE): publishes */
#endif
       CLAIM_CLOSED committed++; i++; word = 0; size = 0
     };
#ifndef BUG_NOTIFY_BEFORE_COMMIT
     wake_consumer()
#endif
  :: break                                   /* a producer may stop after any record */
  od;
refused: skip;
  d_step { producersDone++; i = 0; size = 0; w = 0; r = 0; need = 0; word = 0 }
}

/* ── the consumer ─────────────────────────────────────────────────────────── */

/* hasData(): SIZE at READ is not 0. READ is this thread's own (it is its only
 * writer), so its load is merged with the load of SIZE. */
#define HAS_DATA(yes) yes = (w0[IDX(READ)] != 0)
/* isDrained(): WRITE == READ (READ: this thread's own, as above) */
#define DRAINED(yes) yes = (WRITE == READ)

proctype Consumer() {
  byte start, at, recs, step, n, p;
  short s, length;
  bit yes, ok, closed, slept;

  do
  :: true ->
     /* drain(collect): records in claim order, up to one capacity of bytes */
     d_step { start = READ; at = start; recs = 0 };
     do
#ifdef BUG_NO_BATCH_CAP
     :: true ->
#else
     :: DIFF(at, start) < C ->
#endif
        /* Atomics.load(SIZE); once non-zero, LENGTH and the payload are
         * published and this thread's: their plain reads join the load. */
        d_step {
          s = w0[IDX(at)];
          if
          :: s == 0 -> skip
          :: else ->
             length = w1[IDX(at)];
             assert(s > 0 && s <= C);
             step = 0;
             do :: step < s -> hold[IDX(at + step)] = 1; step++ :: else -> break od;
             step = 0;
             if
             :: length == PAD -> REACHED(W_PADDING) skip
             :: else ->
                /* visit(): the payload is this record's, delivered once, in order */
                if
                :: s == 2 -> assert(w1[IDX(at) + 1] == length)   /* no torn record */
                :: else -> skip
                fi;
                assert(length >= 1 && length <= NP * K);
                p = (length - 1) / K;
                assert((length - 1) % K == expect[p]);   /* FIFO per producer, none lost or repeated */
                expect[p]++; delivered++; recs++;
                if :: recs > 1 -> REACHED(W_BATCH) skip :: else -> skip fi;
                p = 0
             fi;
             at = MODM(at + s)
          fi;
          length = 0
        };
        if
        :: s == 0 -> break                   /* empty, or the next claim is not committed */
        :: else -> s = 0
        fi
     :: else -> break
     od;
     /* #release(start, at): zero-fill, then store READ, then wake producers */
     if
     :: at != start ->
#ifdef BUG_READ_BEFORE_ZERO
        READ = at;
        do
        :: start != at -> d_step { w0[IDX(start)] = 0; w1[IDX(start)] = 0; hold[IDX(start)] = 0; start = MODM(start + 1) }
        :: else -> break
        od;
#else
        d_step {
          do
          :: start != at -> w0[IDX(start)] = 0; w1[IDX(start)] = 0; hold[IDX(start)] = 0; start = MODM(start + 1)
          :: else -> break
          od;
          READ = at                          /* Atomics.store(READ) */
        };
#endif
        core_wake(SPACE_WAITERS, SPACE_PENDING, ON_SPACE, ALL, ok, n)
     :: else -> skip
     fi;
     start = 0; at = 0;
     if
     :: recs > 0 -> recs = 0; goto again     /* writer.ts: if (n > 0) continue */
     :: else -> skip
     fi;
     /* waitForData(): RingCore.#wait with the flag; the writer spins 0 times.
      * `yes` set = returns 'ok', `closed` set = returns 'closed'. */
     yes = 0;
     do
     :: true ->
#ifndef BUG_SAMPLE_AFTER_ANNOUNCE
        SAMPLE(CONSUMER, ON_DATA);                           /* 1. seq = Atomics.load(SIGNAL) */
#endif
#ifndef BUG_NO_WAITER_FLAG
        DATA_WAITERS = 1;                                    /* 2. announceSleeper(): Atomics.store(flag, 1) */
#endif
#ifdef BUG_SAMPLE_AFTER_ANNOUNCE
        SAMPLE(CONSUMER, ON_DATA);
#endif
#ifndef BUG_NO_RECHECK
        HAS_DATA(yes);                                       /* 3. if (#ready()) return 'ok' */
        if
        :: yes -> goto retire
        :: else -> skip
        fi;
#endif
        if
        :: CLOSED ->                                         /* this.closed && isDrained() */
           DRAINED(yes);
           if
           :: yes -> yes = 0; closed = 1; goto retire        /* return 'closed' */
           :: else -> skip                                   /* a claim is open: sleep for its commit */
           fi
        :: else -> skip
        fi;
        FUTEX_ARM(CONSUMER, ON_DATA, slept);                 /* 4. Atomics.wait(SIGNAL, seq) */
end_asleep:
        (sleepOn[CONSUMER] == 0);
#ifdef WITNESS
        d_step {
          if :: slept && !CLOSED -> REACHED(W_SLEPT) skip :: else -> skip fi;
          if :: slept && CLOSED -> REACHED(W_CLOSE) skip :: else -> skip fi;
          slept = 0
        };
#endif
retire:                                                      /* finally: retireSleeper(): Atomics.store(flag, 0) */
        atomic { DROP_SAMPLE(CONSUMER); DATA_WAITERS = 0 };
        if
        :: closed || yes -> break                            /* the return inside try */
        :: else ->
           HAS_DATA(yes);                                    /* after the wait: if (#ready()) return 'ok' */
           if
           :: yes -> break
           :: else -> skip
           fi
        fi
     od;
     yes = 0;
     /* writer.ts: if (waitForData() === 'closed' && !hasData()) break */
     if
     :: closed ->
        closed = 0;
        HAS_DATA(yes);
        if
        :: !yes -> break
        :: else -> yes = 0
        fi
     :: else -> skip
     fi;
again:
     skip
  od;
  consumerExited = 1
}

proctype Closer() {
  byte n;
#ifdef CLOSE_AFTER_PRODUCERS
  producersDone == NP;
#endif
  if
  :: /* close(): store CLOSED, then wake every sleeper on both words */
     CLOSED = 1;
     BUMP(ON_DATA);
     futex_notify(ON_DATA, ALL, n);
     BUMP(ON_SPACE);
     futex_notify(ON_SPACE, ALL, n)
  :: skip                                    /* or never close: the consumer may sleep */
  fi
}

init {
  atomic {
    run Producer(0);
    run Producer(1);
    run Consumer();
    run Closer()
  }
}

/*
 * The end check, as in spmc.pml: when no thread can move any more, every
 * producer has finished (none stuck waiting for space), every record whose
 * push returned true was delivered (none left behind a sleeping consumer),
 * and after close() the consumer returned 'closed' and left.
 */
active proctype Monitor() {
  timeout ->
    assert(producersDone == NP);
    assert(delivered == committed);
    assert(!CLOSED || consumerExited)
}
