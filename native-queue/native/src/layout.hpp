// The ring's memory layout, word for word the one drawn in
// native-queue/src/layout.ts (read the picture there). Nothing here is
// computed differently: the addon exports every constant, the loader refuses
// an addon whose constants differ from layout.ts (a stale build after a
// layout change), and test/native-layout.test.ts compares them one by one.
#pragma once

#include <cstdint>

namespace ringpool::layout {

inline constexpr int32_t kCacheLineBytes = 128;

// Int32 indexes of the control words (byte offset / 4).
inline constexpr int32_t kWrite = 0;
inline constexpr int32_t kRead = 32;
inline constexpr int32_t kRelease = 64;
inline constexpr int32_t kDataWaiters = 96;
inline constexpr int32_t kDataSignal = 97;
inline constexpr int32_t kDataWakePending = 98;
inline constexpr int32_t kSpaceWaiters = 128;
inline constexpr int32_t kSpaceSignal = 129;
inline constexpr int32_t kSpaceWakePending = 130;
inline constexpr int32_t kSignalAfterWaiters = 1;
inline constexpr int32_t kPendingAfterWaiters = 2;
inline constexpr int32_t kMagic = 160;
inline constexpr int32_t kVersion = 161;
inline constexpr int32_t kKind = 162;
inline constexpr int32_t kCapacity = 163;
inline constexpr int32_t kMaxPayload = 164;
inline constexpr int32_t kClosed = 165;
inline constexpr int32_t kNextProducerSlot = 166;
inline constexpr int32_t kNextConsumerSlot = 167;

inline constexpr int32_t kMagicValue = 0x52494e47;  // "RING"
inline constexpr int32_t kLayoutVersion = 1;
inline constexpr int32_t kKindSpmc = 1;
inline constexpr int32_t kKindMpsc = 2;

// Statistics: one 128-byte slot of float64 counters per thread and side.
inline constexpr int32_t kStatsSlots = 32;
inline constexpr int32_t kStatsSlotBytes = kCacheLineBytes;
inline constexpr int32_t kProducerStatsOffset = 768;
inline constexpr int32_t kConsumerStatsOffset = kProducerStatsOffset + kStatsSlots * kStatsSlotBytes;
inline constexpr int32_t kStatRecords = 0;
inline constexpr int32_t kStatBytes = 1;
inline constexpr int32_t kStatFull = 2;
inline constexpr int32_t kStatSleeps = 3;
inline constexpr int32_t kStatNotifies = 4;
inline constexpr int32_t kStatSpurious = 5;
inline constexpr int32_t kStatCasRetries = 6;
inline constexpr int32_t kStatEmpty = 7;
inline constexpr int32_t kStatFields = 8;

inline constexpr int32_t kDataOffset = kConsumerStatsOffset + kStatsSlots * kStatsSlotBytes;

// Record header: int32 SIZE (0 not committed, > 0 committed, < 0 consumed,
// SPMC only), int32 LENGTH (payload bytes, or kPaddingLength), then payload.
inline constexpr int32_t kHeaderBytes = 8;
inline constexpr int32_t kRecordAlign = 8;
inline constexpr int32_t kPaddingLength = -1;

inline constexpr int32_t kMinCapacity = 64;
inline constexpr int32_t kMaxCapacity = 1 << 30;
inline constexpr int32_t kDefaultMaxPayload = 64 * 1024;

/** Bytes a record of `payload` bytes occupies, header included (recordSize in layout.ts). */
constexpr int32_t record_size(int32_t payload) {
  return (kHeaderBytes + payload + kRecordAlign - 1) & ~(kRecordAlign - 1);
}

}  // namespace ringpool::layout
