/**
 * The memory layout of one ring: a single SharedArrayBuffer holding a control
 * block followed by the record area. Every thread that attaches to the buffer
 * reads these constants; nothing else in the package computes an offset.
 *
 * ```
 *  byte     int32
 *  offset   index   line   word                 written by              read by
 *  ───────  ─────   ────   ───────────────────  ──────────────────────  ─────────────────────
 *  0        0       0      WRITE cursor         producer(s)             everyone
 *  128      32      1      READ cursor          consumer(s)             everyone
 *  256      64      2      RELEASE cursor       SPMC: the producer      observers (stats)
 *                                               MPSC: unused
 *  384      96      3      DATA_WAITERS         sleeping consumers      producers, per commit
 *  388      97             DATA_SIGNAL          producers, on wake-up   sleeping consumers
 *  392      98             DATA_WAKE_PENDING    waking producers (CAS)  waking producers;
 *                                               sleepers clear it       (see ring-core.ts)
 *  512      128     4      SPACE_WAITERS        sleeping producers      consumers, per release
 *  516      129            SPACE_SIGNAL         consumers, on wake-up   sleeping producers
 *  520      130            SPACE_WAKE_PENDING   as DATA_WAKE_PENDING, for sleeping producers
 *  640      160     5      MAGIC, VERSION,      create()                attach()
 *                          KIND, CAPACITY,
 *                          MAX_PAYLOAD,
 *                          CLOSED               close()                 everyone, when idle
 *                          NEXT_PRODUCER_SLOT,  attach(), Atomics.add   -
 *                          NEXT_CONSUMER_SLOT
 *  768      -       6..    producer stats slots STATS_SLOTS x 128 bytes, one slot per producer thread
 *  768+4096 -              consumer stats slots STATS_SLOTS x 128 bytes, one slot per consumer thread
 *  DATA_OFFSET      -      record area          capacity bytes (a power of two)
 * ```
 *
 * Why 128 bytes between hot words: a cache line is 64 bytes on x86-64, but the
 * adjacent-line prefetcher pulls lines in pairs, so two writers 64 bytes apart
 * still disturb each other. Agrona spaces its counters 128 bytes apart for the
 * same reason. The WRITE cursor is written by producers on every record and the
 * READ cursor by consumers on every record: they must never share a line.
 *
 * The waiter words (line 3 and 4) are read on every commit/release but written
 * only when a thread goes to sleep, so they stay in the shared state of the
 * cache-coherence protocol on the fast path: a load of them costs about as much
 * as a load of a private word.
 *
 * Cursors are *positions*, not indexes: they count bytes since the ring was
 * created, modulo 2^32, stored in Int32 words. The index of a position in the
 * record area is `position & (capacity - 1)`. Comparisons always go through
 * the signed difference `(a - b) | 0`, which is correct across the 2^31 and
 * 2^32 wrap-arounds as long as the two positions are less than 2^31 apart
 * (they are at most `capacity` apart, and capacity <= 2^30).
 */

export const CACHE_LINE_BYTES = 128;

// Int32 indexes of the control words (byte offset / 4).
export const WRITE = 0;
export const READ = 32;
export const RELEASE = 64;
export const DATA_WAITERS = 96;
export const DATA_SIGNAL = 97;
export const DATA_WAKE_PENDING = 98;
export const SPACE_WAITERS = 128;
export const SPACE_SIGNAL = 129;
export const SPACE_WAKE_PENDING = 130;
/** Each waiter word is followed by its SIGNAL and its WAKE_PENDING word. */
export const SIGNAL_AFTER_WAITERS = 1;
export const PENDING_AFTER_WAITERS = 2;
export const MAGIC = 160;
export const VERSION = 161;
export const KIND = 162;
export const CAPACITY = 163;
export const MAX_PAYLOAD = 164;
export const CLOSED = 165;
export const NEXT_PRODUCER_SLOT = 166;
export const NEXT_CONSUMER_SLOT = 167;

export const MAGIC_VALUE = 0x52494e47; // "RING"
export const LAYOUT_VERSION = 1;

/** Which algorithm a buffer was created for; attach() refuses the wrong one. */
export const KIND_SPMC = 1;
export const KIND_MPSC = 2;

/**
 * Statistics: each producer and each consumer thread owns one slot, so every
 * counter has exactly one writer and is bumped with a plain (non-atomic) add
 * on a line no other thread writes. Readers sum the slots; a reader may see a
 * value that is a few increments old, never a torn one (Float64 stores of
 * integers below 2^53 are single 8-byte stores on every platform Node runs on).
 */
export const STATS_SLOTS = 32;
export const STATS_SLOT_BYTES = CACHE_LINE_BYTES;
export const PRODUCER_STATS_OFFSET = 768;
export const CONSUMER_STATS_OFFSET = PRODUCER_STATS_OFFSET + STATS_SLOTS * STATS_SLOT_BYTES;

/** Float64 index of each counter inside a slot. */
export const STAT_RECORDS = 0;
export const STAT_BYTES = 1;
/** Producer: a push/claim found no room. Consumer: unused. */
export const STAT_FULL = 2;
/** Times this thread went to sleep in Atomics.wait / waitAsync. */
export const STAT_SLEEPS = 3;
/** Atomics.notify calls this thread made (to wake the other side). */
export const STAT_NOTIFIES = 4;
/** Woken (not timed out) but found nothing to do. */
export const STAT_SPURIOUS = 5;
/** Compare-and-swap attempts that lost a race and had to retry. */
export const STAT_CAS_RETRIES = 6;
/** Consumer: a poll found the ring empty. Producer: unused. */
export const STAT_EMPTY = 7;
export const STAT_FIELDS = 8;

export const DATA_OFFSET = CONSUMER_STATS_OFFSET + STATS_SLOTS * STATS_SLOT_BYTES;

/**
 * Record header, 8 bytes, at an 8-byte aligned index of the record area:
 *
 * ```
 *  +0  int32 SIZE    total bytes of the record: header + payload + padding to 8.
 *                    0        not committed yet (MPSC: the area is zeroed when freed)
 *                    > 0      committed: a consumer may take it
 *                    < 0      SPMC only: consumed (records and padding alike); the
 *                             producer may reclaim -SIZE bytes
 *  +4  int32 LENGTH  payload bytes (0 .. MAX_PAYLOAD), or PADDING_LENGTH for a filler
 *                    record that closes the end of the area before a wrap
 *  +8  payload
 * ```
 *
 * SIZE is the word that publishes a record in the MPSC ring, so it is written
 * last with Atomics.store; LENGTH and the payload are plain writes before it.
 */
export const HEADER_BYTES = 8;
export const RECORD_ALIGN = 8;
export const PADDING_LENGTH = -1;

export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 1 << 30;
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;

/** Bytes a record of `payload` bytes occupies in the area, header included. */
export function recordSize(payload: number): number {
  return (HEADER_BYTES + payload + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

/** Total SharedArrayBuffer size for a record area of `capacity` bytes. */
export function bufferBytes(capacity: number): number {
  return DATA_OFFSET + capacity;
}
