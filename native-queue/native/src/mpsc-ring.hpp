// Many producers, one consumer: the completion and log rings. The algorithm
// of native-queue/src/mpsc-ring.ts on the same memory:
//
//   claim      a producer reserves [w, w + need) with a CAS on WRITE
//   commit     LENGTH and payload, then a seq_cst store of SIZE (0 = not yet)
//   consume    the one consumer reads SIZE at READ; 0 stops it (FIFO per producer)
//   release    it zeroes what it consumed, then stores READ
//
// As in spmc-ring.hpp the consumer's batch is take() then finish(visited),
// with JavaScript visiting the records in between.
#pragma once

#include <cstdint>

#include "ring-core.hpp"
#include "spmc-ring.hpp"  // TakenRecord, Misuse

namespace ringpool {

class MpscRing final : public RingCore {
 public:
  MpscRing(void* base, WaitQueue* queue, int32_t producer_slot, int32_t consumer_slot, int32_t spin);

  // ── producers (any number of threads) ──
  Misuse try_claim(int32_t payload, int32_t* index);
  Misuse commit(int32_t length);
  bool has_claim() const { return claimed_; }
  int32_t claimed_payload() const { return claim_payload_; }
  /** The ring position just past this handle's last committed record (a ticket). */
  int32_t last_commit_end() const { return last_commit_end_; }

  // ── the consumer (one thread) ──
  /**
   * Takes up to `max` committed records (at most `room`) into `out`, in
   * claim order; `first` starts a new drain. Records are not freed until
   * finish(). `out[i].position` holds the ring position just past record i.
   */
  int32_t take(int32_t max, TakenRecord* out, int32_t room, bool first);
  /** Frees the first `visited` records of the last take (all of them: everything it walked over). */
  void finish(int32_t visited, const TakenRecord* out, int32_t taken);
  int32_t read_position() const { return read_; }

  bool has_data() override;
  bool is_drained() override;
  bool has_space_for(int32_t payload) override;

 protected:
  void announce_sleeper(int32_t waiters) override;
  void retire_sleeper(int32_t waiters) override;
  void wake_consumers(int32_t count, double* stats) override;

 private:
  void release(int32_t from, int32_t to);

  // Consumer-private copy of READ (it is its only writer), and the last take.
  int32_t read_;
  int32_t drain_start_ = 0;
  int32_t take_end_ = 0;
  // Producer-private state of the claim in progress.
  bool claimed_ = false;
  int32_t claim_position_ = 0;
  int32_t claim_size_ = 0;
  int32_t claim_payload_ = 0;
  int32_t claim_end_ = 0;
  int32_t last_commit_end_ = 0;
};

}  // namespace ringpool
