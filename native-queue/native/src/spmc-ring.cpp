#include "spmc-ring.hpp"

namespace ringpool {

using namespace layout;

SpmcRing::SpmcRing(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin)
    : RingCore(base, queue, producer_slot, consumer_slot, spin),
      write_(load_seq_cst(words_[kWrite])),
      release_(load_seq_cst(words_[kRelease])),
      published_(write_) {}

// ── producer ──────────────────────────────────────────────────────────────────

Misuse SpmcRing::try_claim(int32_t payload, int32_t* index_out) {
  *index_out = -1;
  if (payload < 0 || payload > max_payload_) return Misuse::kPayloadTooLarge;
  if (claimed_) return Misuse::kClaimOutstanding;
  if (closed()) return Misuse::kNone;
  const int32_t size = record_size(payload);
  int32_t w = write_;
  int32_t index = index_of(w);
  const int32_t tail = capacity_ - index;
  const int32_t need = space_needed(w, size);
  if (capacity_ - distance(w, release_) < need) {
    reclaim();
    if (capacity_ - distance(w, release_) < need) {
      bump(pstats_, kStatFull);
      return Misuse::kNone;
    }
  }
  if (size > tail) {
    // A padding record closes the end of the area; a consumer takes and
    // consumed-marks it like any record (see spmc-ring.ts for the bug that
    // "born consumed" padding caused). Relaxed: a stale consumer may be
    // reading this header; the seq_cst store of WRITE publishes it.
    store_relaxed(length_word(w), kPaddingLength);
    store_relaxed(size_word(w), tail);
    w = advance(w, tail);
    write_ = w;
    index = 0;
  }
  claimed_ = true;
  claim_at_ = w;
  claim_payload_ = payload;
  *index_out = index + kHeaderBytes;
  return Misuse::kNone;
}

Misuse SpmcRing::commit(int32_t length, bool publish_now) {
  if (!claimed_) return Misuse::kNoClaim;
  if (length < 0 || length > claim_payload_) return Misuse::kCommitLength;
  const int32_t size = record_size(length);
  store_relaxed(length_word(claim_at_), length);
  store_relaxed(size_word(claim_at_), size);
  claimed_ = false;
  write_ = advance(claim_at_, size);
  unpublished_ += 1;
  bump(pstats_, kStatRecords);
  bump(pstats_, kStatBytes, length);
  if (publish_now) publish();
  return Misuse::kNone;
}

void SpmcRing::publish() {
  if (write_ == published_) return;
  published_ = write_;
  // Publish last, seq_cst: consumers treat everything below WRITE as written
  // (release would do for that), and the load of DATA_WAITERS in the wake
  // check below must not be satisfied before this store is visible (the
  // store-buffering pair of ring-core.hpp: that needs seq_cst).
  store_seq_cst(words_[kWrite], write_);
  const int32_t records = unpublished_;
  unpublished_ = 0;
  wake_consumers(records, pstats_);
}

void SpmcRing::reclaim() {
  const int32_t read = load_seq_cst(words_[kRead]);
  int32_t release = release_;
  while (distance(read, release) > 0) {
    // Pairs with the consumer's consumed-mark (release store): once seen, its
    // reads of the payload happened before, and the bytes may be reused.
    // seq_cst, not acquire: it is also step 3 (the re-check) of a producer
    // that announced itself in SPACE_WAITERS.
    const int32_t size = load_seq_cst(size_word(release));
    if (size >= 0) break;  // taken, still being read
    if (size < -capacity_ || ((-size) & (kRecordAlign - 1)) != 0) corrupted("consumed SIZE", release, size);
    release = advance(release, -size);
  }
  if (release != release_) {
    release_ = release;
    store_release(words_[kRelease], release);  // read by observers only
  }
}

bool SpmcRing::has_space_for(int32_t payload) {
  const int32_t need = space_needed(write_, record_size(payload));
  if (capacity_ - distance(write_, release_) >= need) return true;
  reclaim();
  return capacity_ - distance(write_, release_) >= need;
}

// ── consumers ─────────────────────────────────────────────────────────────────

bool SpmcRing::has_data() {
  return distance(load_seq_cst(words_[kWrite]), load_seq_cst(words_[kRead])) > 0;
}

int32_t SpmcRing::take(int32_t max, TakenRecord* out, int32_t room) {
  if (max > room) max = room;
  if (max < 1) return 0;
  for (;;) {
    const int32_t read = load_seq_cst(words_[kRead]);
    const int32_t write = load_seq_cst(words_[kWrite]);
    int32_t end = read;
    int32_t records = 0;
    // Walk the published headers. Another consumer may take them meanwhile
    // and the producer reuse the bytes: then the values read are stale, the
    // CAS below fails, and we start over. Relaxed loads make that race
    // defined; the checks keep a stale value from walking out of the area.
    while (records < max && distance(write, end) > 0) {
      const int32_t size = load_relaxed(size_word(end));
      const int64_t step = size < 0 ? -static_cast<int64_t>(size) : size;
      if (step < kHeaderBytes || step > capacity_ || (step & (kRecordAlign - 1)) != 0) break;  // stale: retry
      if (load_relaxed(length_word(end)) != kPaddingLength) records += 1;
      end = advance(end, static_cast<int32_t>(step));
    }
    if (end == read) {
      if (distance(write, read) > 0) continue;  // saw a stale header
      bump(cstats_, kStatEmpty);
      return 0;
    }
    if (compare_exchange_seq_cst(words_[kRead], read, end) != read) {
      bump(cstats_, kStatCasRetries);
      continue;
    }
    // [read, end) is ours: no other consumer touches it, and the producer
    // reuses none of it before our consumed-mark.
    int32_t n = 0;
    for (int32_t at = read; at != end;) {
      const int32_t size = load_relaxed(size_word(at));
      const int32_t length = load_relaxed(length_word(at));
      if (size < kHeaderBytes || size > capacity_ || (size & (kRecordAlign - 1)) != 0) corrupted("taken SIZE", at, size);
      if (length != kPaddingLength) {
        if (length < 0 || record_size(length) > size) corrupted("taken LENGTH", at, length);
        out[n++] = TakenRecord{index_of(at) + kHeaderBytes, length, at};
        bump(cstats_, kStatRecords);
        bump(cstats_, kStatBytes, length);
      }
      at = advance(at, size);
    }
    batch_start_ = read;
    batch_end_ = end;
    if (n == 0) {
      // Only padding (the producer publishes padding with the record after
      // it, so this does not happen; as spmc-ring.ts, hand it back and retry).
      mark_batch_consumed();
      continue;
    }
    batch_open_ = true;
    return n;
  }
}

void SpmcRing::mark_batch_consumed() {
  // One consumed-mark for the whole batch, in its first header: the
  // producer's reclaim steps over -SIZE bytes, so it skips the batch at once
  // and never reads the headers inside. Release: it hands back bytes we
  // read. The fence orders it before the load of SPACE_WAITERS in
  // wake_producers() (the store-buffering pair again, against a producer
  // that announced itself and then re-checks the marks); JavaScript's
  // seq_cst store does both at once.
  store_release(size_word(batch_start_), -distance(batch_end_, batch_start_));
  fence_seq_cst();
  wake_producers(cstats_);
}

void SpmcRing::finish() {
  if (!batch_open_) return;
  batch_open_ = false;
  mark_batch_consumed();
  // Wake chaining: a woken consumer that leaves records behind wakes a peer,
  // since wakers skip notifying while a wake-up is pending.
  if (distance(load_seq_cst(words_[kWrite]), batch_end_) > 0) wake_consumers(1, cstats_);
}

}  // namespace ringpool
