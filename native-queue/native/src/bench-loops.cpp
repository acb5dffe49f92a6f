#include "bench-loops.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "mpsc-ring.hpp"
#include "spmc-ring.hpp"
#include "v8-wait-queue.hpp"

namespace ringpool {
namespace {

using namespace layout;

// bench/record-format.ts: int32 SEQ, int32 PRODUCER, then filler.
constexpr int32_t kSeqWord = 0;
constexpr int32_t kProducerWord = 1;
/** SPMC consumers take up to this many records per CAS (SPMC_BATCH in bench-worker.ts). */
constexpr int32_t kSpmcBatch = 32;
constexpr int32_t kMpscBatch = 1024;

struct Args {
  void* base = nullptr;
  size_t bytes = 0;
  napi_value words = nullptr;
  double n[4] = {0, 0, 0, 0};
};

/** (words: Int32Array over the ring's buffer, a, b, c, d: numbers); false with an error thrown. */
bool read_args(napi_env env, napi_callback_info info, Args* out) {
  size_t argc = 5;
  napi_value a[5];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  if (argc == 5) napi_is_typedarray(env, a[0], &is);
  if (is) napi_get_typedarray_info(env, a[0], &type, &length, &out->base, nullptr, nullptr);
  if (!is || type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "bench loop: (words: Int32Array, 4 numbers)");
    return false;
  }
  out->words = a[0];
  out->bytes = length * 4;
  for (int i = 0; i < 4; i++) napi_get_value_double(env, a[i + 1], &out->n[i]);
  return true;
}

template <class Ring>
void produce_loop(Ring& ring, int32_t producer, int32_t records, int32_t payload) {
  std::vector<uint8_t> record(static_cast<size_t>(payload));
  for (int32_t i = 8; i < payload; i++) record[static_cast<size_t>(i)] = static_cast<uint8_t>(i & 0xff);
  std::memcpy(record.data() + 4 * kProducerWord, &producer, 4);
  for (int32_t seq = 0; seq < records; seq++) {
    std::memcpy(record.data() + 4 * kSeqWord, &seq, 4);
    for (;;) {
      int32_t at = -1;
      ring.try_claim(payload, &at);
      if (at >= 0) {
        std::memcpy(ring.data() + at, record.data(), static_cast<size_t>(payload));
        if constexpr (std::is_same_v<Ring, SpmcRing>) {
          ring.commit(payload, true);
        } else {
          ring.commit(payload);
        }
        break;
      }
      if (ring.wait_for_space(payload, INFINITY) != WaitResult::kOk) return;  // closed or failed: the driver sees the count
    }
  }
}

/** produce(words, kind, producerId, records, payload): pushes records 0..records-1, blocking when full. */
napi_value Produce(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a)) return nullptr;
  const int32_t kind = static_cast<int32_t>(a.n[0]);
  if (RingCore::check(a.base, a.bytes, kind) != AttachError::kNone) {
    napi_throw_type_error(env, nullptr, "bench produce: not a ring of that kind");
    return nullptr;
  }
  V8WaitQueue queue(env, a.words);
  const auto producer = static_cast<int32_t>(a.n[1]);
  const auto records = static_cast<int32_t>(a.n[2]);
  const auto payload = static_cast<int32_t>(a.n[3]);
  if (kind == kKindSpmc) {
    SpmcRing ring(a.base, &queue, producer, RingCore::kFreshSlot, 64);
    produce_loop(ring, producer, records, payload);
  } else {
    MpscRing ring(a.base, &queue, producer, RingCore::kFreshSlot, 64);
    produce_loop(ring, producer, records, payload);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

/** The consumer's running check: Tally in bench/record-format.ts. */
struct Tally {
  double records = 0, bytes = 0, seq_sum = 0;
  uint32_t seq_square_sum = 0;
  double order_errors = 0, format_errors = 0;
  std::vector<int32_t> last;
  int32_t payload;

  Tally(int32_t producers, int32_t record_payload) : last(static_cast<size_t>(producers), -1), payload(record_payload) {}

  void add(const uint8_t* p, int32_t length) {
    records += 1;
    bytes += length;
    int32_t seq = 0, producer = -1;
    if (length >= 8) {
      std::memcpy(&seq, p + 4 * kSeqWord, 4);
      std::memcpy(&producer, p + 4 * kProducerWord, 4);
    }
    if (length != payload || producer < 0 || producer >= static_cast<int32_t>(last.size())) {
      format_errors += 1;
      return;
    }
    if (seq <= last[static_cast<size_t>(producer)]) order_errors += 1;
    last[static_cast<size_t>(producer)] = seq;
    seq_sum += seq;
    seq_square_sum += static_cast<uint32_t>(seq) * static_cast<uint32_t>(seq);
  }
};

/** consume(words, kind, producers, payload, slot): takes records until the ring is closed and drained. */
napi_value Consume(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a)) return nullptr;
  const int32_t kind = static_cast<int32_t>(a.n[0]);
  if (RingCore::check(a.base, a.bytes, kind) != AttachError::kNone) {
    napi_throw_type_error(env, nullptr, "bench consume: not a ring of that kind");
    return nullptr;
  }
  V8WaitQueue queue(env, a.words);
  Tally tally(static_cast<int32_t>(a.n[1]), static_cast<int32_t>(a.n[2]));
  const auto slot = static_cast<int32_t>(a.n[3]);
  std::vector<TakenRecord> taken(kMpscBatch);
  WaitResult last = WaitResult::kOk;
  if (kind == kKindSpmc) {
    SpmcRing ring(a.base, &queue, RingCore::kFreshSlot, slot, 64);
    for (;;) {
      const int32_t n = ring.take(kSpmcBatch, taken.data(), kSpmcBatch);
      if (n > 0) {
        for (int32_t i = 0; i < n; i++) {
          tally.add(ring.data() + taken[static_cast<size_t>(i)].index, taken[static_cast<size_t>(i)].length);
        }
        ring.finish();
        continue;
      }
      last = ring.wait_for_data(INFINITY);
      if (last != WaitResult::kOk) break;
    }
  } else {
    MpscRing ring(a.base, &queue, RingCore::kFreshSlot, slot, 64);
    for (;;) {
      const int32_t n = ring.take(kMpscBatch, taken.data(), kMpscBatch, true);
      if (n > 0) {
        for (int32_t i = 0; i < n; i++) tally.add(ring.data() + taken[static_cast<size_t>(i)].index, taken[static_cast<size_t>(i)].length);
        ring.finish(n, taken.data(), n);
        continue;
      }
      last = ring.wait_for_data(INFINITY);
      if (last != WaitResult::kOk) break;
    }
  }
  if (last == WaitResult::kFailed) return nullptr;  // the JavaScript error is pending
  napi_value out, v;
  napi_create_object(env, &out);
  const std::pair<const char*, double> fields[] = {
      {"records", tally.records}, {"bytes", tally.bytes}, {"seqSum", tally.seq_sum},
      {"seqSquareSum", static_cast<double>(tally.seq_square_sum)}, {"orderErrors", tally.order_errors},
      {"formatErrors", tally.format_errors},
  };
  for (const auto& [name, value] : fields) {
    napi_create_double(env, value, &v);
    napi_set_named_property(env, out, name, v);
  }
  return out;
}

}  // namespace

napi_value bench_loops(napi_env env) {
  napi_value object, fn;
  napi_create_object(env, &object);
  napi_create_function(env, "produce", NAPI_AUTO_LENGTH, Produce, nullptr, &fn);
  napi_set_named_property(env, object, "produce", fn);
  napi_create_function(env, "consume", NAPI_AUTO_LENGTH, Consume, nullptr, &fn);
  napi_set_named_property(env, object, "consume", fn);
  return object;
}

}  // namespace ringpool
