#include "mpsc-ring.hpp"

#include <cstring>

namespace ringpool {

using namespace layout;

MpscRing::MpscRing(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin)
    : RingCore(base, queue, producer_slot, consumer_slot, spin), read_(load_seq_cst(words_[kRead])) {}

// ── producers ─────────────────────────────────────────────────────────────────

Misuse MpscRing::try_claim(int32_t payload, int32_t* index_out) {
  *index_out = -1;
  if (payload < 0 || payload > max_payload_) return Misuse::kPayloadTooLarge;
  if (claimed_) return Misuse::kClaimOutstanding;
  if (closed()) return Misuse::kNone;
  const int32_t size = record_size(payload);
  int32_t w;
  int32_t need;
  for (;;) {
    w = load_seq_cst(words_[kWrite]);
    // READ after WRITE: READ only grows, so this never overstates the room.
    // The load synchronises with the consumer's store of READ, so its
    // zero-fill of the freed bytes happened before anything we write there.
    const int32_t r = load_seq_cst(words_[kRead]);
    need = space_needed(w, size);
    if (capacity_ - distance(w, r) < need) {
      bump(pstats_, kStatFull);
      return Misuse::kNone;
    }
    if (compare_exchange_seq_cst(words_[kWrite], w, advance(w, need)) == w) {
      claim_end_ = advance(w, need);
      break;
    }
    bump(pstats_, kStatCasRetries);
  }
  int32_t at = w;
  if (closed()) {
    // close() raced with the claim: commit it as padding so the consumer
    // can step over it, and refuse the push (mpsc-ring.ts).
    store_relaxed(length_word(at), kPaddingLength);
    store_seq_cst(size_word(at), need);
    // A consumer that saw the ring closed but not drained may sleep: wake it
    // (the close race of ../model/README.md).
    wake_consumers(1, pstats_);
    return Misuse::kNone;
  }
  if (need != size) {
    // Wrapping: padding closes the end of the area, ours starts at index 0.
    store_relaxed(length_word(at), kPaddingLength);
    store_seq_cst(size_word(at), need - size);
    at = advance(at, need - size);
  }
  claimed_ = true;
  claim_position_ = at;
  claim_size_ = size;
  claim_payload_ = payload;
  *index_out = index_of(at) + kHeaderBytes;
  return Misuse::kNone;
}

Misuse MpscRing::commit(int32_t length) {
  if (!claimed_) return Misuse::kNoClaim;
  if (length < 0 || length > claim_payload_) return Misuse::kCommitLength;
  store_relaxed(length_word(claim_position_), length);
  // SIZE last, seq_cst: the consumer reads SIZE = 0 as "not written yet",
  // and the wake check's load of DATA_WAITERS must not pass this store.
  // The claimed size is kept even if the length shrank: the region is whole.
  store_seq_cst(size_word(claim_position_), claim_size_);
  claimed_ = false;
  last_commit_end_ = claim_end_;
  bump(pstats_, kStatRecords);
  bump(pstats_, kStatBytes, length);
  wake_consumers(1, pstats_);
  return Misuse::kNone;
}

bool MpscRing::has_space_for(int32_t payload) {
  const int32_t w = load_seq_cst(words_[kWrite]);
  const int32_t r = load_seq_cst(words_[kRead]);
  return capacity_ - distance(w, r) >= space_needed(w, record_size(payload));
}

// ── the consumer ──────────────────────────────────────────────────────────────

bool MpscRing::is_drained() {
  return load_seq_cst(words_[kWrite]) == load_seq_cst(words_[kRead]);
}

bool MpscRing::has_data() {
  const int32_t r = load_seq_cst(words_[kRead]);
  return load_seq_cst(size_word(r)) != 0;
}

int32_t MpscRing::take(int32_t max, TakenRecord* out, int32_t room, bool first) {
  if (first) drain_start_ = read_;
  if (max > room) max = room;
  const int32_t start = read_;
  int32_t at = start;
  int32_t n = 0;
  // Stop one capacity after the drain's start: until its records are freed,
  // the header found there is the drain's own first record (mpsc-ring.ts:
  // the stress test caught it delivered twice).
  while (n < max && distance(at, drain_start_) < capacity_) {
    const int32_t size = load_seq_cst(size_word(at));  // pairs with the producer's commit
    if (size == 0) break;  // empty, or the next producer has not committed
    if (size < kHeaderBytes || size > capacity_ || (size & (kRecordAlign - 1)) != 0) corrupted("committed SIZE", at, size);
    const int32_t length = load_relaxed(length_word(at));
    const int32_t record = at;
    at = advance(at, size);
    if (length == kPaddingLength) continue;
    if (length < 0 || record_size(length) > size) corrupted("committed LENGTH", record, length);
    out[n++] = TakenRecord{index_of(record) + kHeaderBytes, length, at};
    bump(cstats_, kStatRecords);
    bump(cstats_, kStatBytes, length);
  }
  take_end_ = at;
  if (n == 0) {
    if (at != start) release(start, at);  // padding only
    if (first) bump(cstats_, kStatEmpty);
  }
  return n;
}

void MpscRing::finish(int32_t visited, const TakenRecord* out, int32_t taken) {
  // A visit that threw counts as delivered; the records after it stay.
  const int32_t to = visited >= taken ? take_end_ : out[visited - 1].position;
  release(read_, to);
}

void MpscRing::release(int32_t from, int32_t to) {
  // Zero first, publish READ second: producers may write here once they see
  // the new READ, and they rely on zeros (SIZE = 0 at every header).
  const int32_t a = index_of(from);
  const int32_t bytes = distance(to, from);
  if (a + bytes <= capacity_) {
    std::memset(data_ + a, 0, static_cast<size_t>(bytes));
  } else {
    std::memset(data_ + a, 0, static_cast<size_t>(capacity_ - a));
    std::memset(data_, 0, static_cast<size_t>(a + bytes - capacity_));
  }
  read_ = to;
  // seq_cst: the wake check's load of SPACE_WAITERS must not pass it.
  store_seq_cst(words_[kRead], to);
  wake_producers(cstats_);
}

// ── single consumer: a sleep flag instead of a waiter count ──────────────────

void MpscRing::announce_sleeper(int32_t waiters) {
  if (waiters == kDataWaiters) {
    store_seq_cst(words_[waiters], 1);
  } else {
    RingCore::announce_sleeper(waiters);
  }
}

void MpscRing::retire_sleeper(int32_t waiters) {
  if (waiters == kDataWaiters) {
    store_seq_cst(words_[waiters], 0);
  } else {
    RingCore::retire_sleeper(waiters);
  }
}

void MpscRing::wake_consumers(int32_t /*count*/, double* stats) {
  // The producer that clears the flag is the only one that notifies: one
  // notify per sleep (mpsc-ring.ts).
  if (load_seq_cst(words_[kDataWaiters]) == 0) return;
  if (compare_exchange_seq_cst(words_[kDataWaiters], 1, 0) != 1) return;
  fetch_add_seq_cst(words_[kDataSignal], 1);
  queue_->notify(kDataSignal, 1);
  bump(stats, kStatNotifies);
}

}  // namespace ringpool
