// Single producer, many consumers: the job ring. The algorithm of
// native-queue/src/spmc-ring.ts on the same memory, so a JavaScript producer
// can feed C++ consumers, and the reverse, on one buffer:
//
//   producer   header and payload at WRITE, then a seq_cst store of WRITE
//   consumer   walks the headers between READ and WRITE, takes a batch with
//              one CAS on READ, reads each payload, then marks the whole
//              batch consumed in its first header (SIZE = -batch bytes)
//   reclaim    the producer moves its private RELEASE over consumed headers
//
// A consumer's batch is split in two calls, because JavaScript visits the
// records: take() claims the batch and lists the records, finish() marks the
// batch consumed once every record was visited, then wakes whoever it concerns.
#pragma once

#include <cstdint>

#include "ring-core.hpp"

namespace ringpool {

/** One record of a batch: where its payload is in the area, how long, and its header. */
struct TakenRecord {
  int32_t index;     // payload start in the record area
  int32_t length;    // payload bytes
  int32_t position;  // SPMC: ring position of its header; MPSC: see MpscRing::take
};

/** Misuse the binding turns into the same errors as the JavaScript ring. */
enum class Misuse : int32_t { kNone, kPayloadTooLarge, kClaimOutstanding, kNoClaim, kCommitLength };

class SpmcRing final : public RingCore {
 public:
  SpmcRing(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin);

  // ── producer (one thread) ──
  /** *index: where the payload goes in the area, or -1 when full or closed. */
  Misuse try_claim(int32_t payload, int32_t* index);
  Misuse commit(int32_t length, bool publish_now);
  void publish();
  bool has_claim() const { return claimed_; }
  int32_t claimed_payload() const { return claim_payload_; }

  // ── consumers (any number of threads) ──
  /** Takes up to `max` records (at most `room`) into `out`; returns how many. 0: empty. */
  int32_t take(int32_t max, TakenRecord* out, int32_t room);
  /** After take() returned n > 0 and every record was read: hands the batch back. No-op otherwise. */
  void finish();

  bool has_data() override;
  bool is_drained() override { return !has_data(); }
  bool has_space_for(int32_t payload) override;

 private:
  void reclaim();

  // Producer-private copies of WRITE and RELEASE (it is their only writer).
  int32_t write_;
  int32_t release_;
  int32_t published_;
  int32_t unpublished_ = 0;
  bool claimed_ = false;
  int32_t claim_at_ = 0;
  int32_t claim_payload_ = 0;
  // Consumer: the batch taken last and not yet finished: [batch_start_,
  // batch_end_), marked consumed by finish(), which also uses its end for
  // wake chaining.
  bool batch_open_ = false;
  int32_t batch_start_ = 0;
  int32_t batch_end_ = 0;
  void mark_batch_consumed();
};

}  // namespace ringpool
