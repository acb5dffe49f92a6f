// The Node-API face of the C++ rings. JavaScript never calls this directly:
// native-queue/src/native/ wraps it in NativeSpmcRing and NativeMpscRing,
// which have the same API as SpmcRing and MpscRing.
//
// attachSpmc / attachMpsc return a plain object of methods. Each method is a
// function created with the C++ handle as its data pointer, so a call costs
// no unwrap lookup; every function and the object hold a reference count on
// the handle, which is deleted when the last of them is collected.
//
// Arguments are checked here, not only in TypeScript: a wrong length from
// JavaScript must never become a write outside the ring. Error messages are
// those of the JavaScript rings, word for word.
#include <node_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench-loops.hpp"
#include "layout.hpp"
#include "mpsc-ring.hpp"
#include "raw-futex.hpp"
#include "spmc-ring.hpp"
#include "v8-wait-queue.hpp"

namespace ringpool {
namespace {

using namespace layout;

/** Records one take() may hand to JavaScript (the descriptor holds index and length of each). */
constexpr int32_t kMaxTake = 1024;
/** begin_async_sleep() results that are not a SIGNAL value: above every int32. */
constexpr double kAsyncBase = 4294967296.0;

// ── small Node-API helpers ──────────────────────────────────────────────────

std::string number_text(double v) {
  char buf[32];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

napi_value undefined_value(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value int_value(napi_env env, int32_t i) {
  napi_value v;
  napi_create_int32(env, i, &v);
  return v;
}

napi_value double_value(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

napi_value bool_value(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

/** A number argument; undefined gives `fallback`, anything else not a number gives NaN. */
double number_arg(napi_env env, napi_value v, double fallback) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return fallback;
  double d = NAN;
  if (t == napi_number) napi_get_value_double(env, v, &d);
  return d;
}

bool bool_arg(napi_env env, napi_value v, bool fallback) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return fallback;
  bool b = fallback;
  napi_coerce_to_bool(env, v, &v);
  napi_get_value_bool(env, v, &b);
  return b;
}

/** An int32 when `d` is an integer in [lo, hi]. */
bool as_int(double d, int32_t lo, int32_t hi, int32_t* out) {
  if (!(d >= lo && d <= hi) || d != std::floor(d)) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

/** The bytes of a Uint8Array (a Buffer is one); false, with a TypeError thrown, otherwise. */
bool uint8_arg(napi_env env, napi_value v, const char* what, Bytes* out) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  if (is) napi_get_typedarray_info(env, v, &type, &out->length, &data, nullptr, nullptr);
  if (!is || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, (std::string(what) + " must be a Uint8Array").c_str());
    return false;
  }
  out->data = static_cast<uint8_t*>(data);
  return true;
}

void throw_payload(napi_env env, double length, const RingCore& ring) {
  const std::string m = "record payload of " + number_text(length) + " bytes exceeds maxPayload=" +
                        std::to_string(ring.max_payload()) + " (ring capacity=" + std::to_string(ring.capacity()) + ")";
  napi_throw_range_error(env, nullptr, m.c_str());
}

/** checkPayload() of ring-core.ts. */
bool payload_arg(napi_env env, napi_value v, const RingCore& ring, int32_t* out) {
  const double d = number_arg(env, v, NAN);
  if (as_int(d, 0, ring.max_payload(), out)) return true;
  throw_payload(env, d, ring);
  return false;
}

/** Throws what the JavaScript ring throws for this misuse; false when there was one. */
bool check(napi_env env, Misuse misuse, double value, const RingCore& ring, int32_t claimed) {
  switch (misuse) {
    case Misuse::kNone:
      return true;
    case Misuse::kPayloadTooLarge:
      throw_payload(env, value, ring);
      return false;
    case Misuse::kClaimOutstanding:
      napi_throw_error(env, nullptr, "tryClaim: the previous claim was not committed");
      return false;
    case Misuse::kNoClaim:
      napi_throw_error(env, nullptr, "commit without a claim");
      return false;
    case Misuse::kCommitLength: {
      const std::string m = "commit length " + number_text(value) + " outside the claimed 0.." + std::to_string(claimed) + " bytes";
      napi_throw_range_error(env, nullptr, m.c_str());
      return false;
    }
  }
  napi_throw_error(env, nullptr, "this should not happen: unknown misuse");
  return false;
}

// ── the handle ──────────────────────────────────────────────────────────────

template <class Ring>
struct Handle {
  Handle(napi_env env, napi_value words, void* base, int32_t producer_slot, int32_t consumer_slot, int32_t spin,
         int32_t* view, int32_t records)
      : queue(env, words), ring(base, &queue, producer_slot, consumer_slot, spin), taken(static_cast<size_t>(records)),
        taken_view(view), room(records) {}

  V8WaitQueue queue;
  Ring ring;
  std::vector<TakenRecord> taken;
  int32_t* taken_view;  // JavaScript's view: payload index and length of each taken record
  int32_t room;
  int32_t last_taken = 0;
  napi_ref taken_ref = nullptr;
  int refs = 0;

  /** Copies the records of the last take to JavaScript's descriptor. */
  void expose(int32_t n) {
    last_taken = n;
    for (int32_t i = 0; i < n; i++) {
      taken_view[2 * i] = taken[static_cast<size_t>(i)].index;
      taken_view[2 * i + 1] = taken[static_cast<size_t>(i)].length;
    }
  }
};

template <class H>
void release_ref(napi_env env, void* data, void* /*hint*/) {
  auto* h = static_cast<H*>(data);
  if (--h->refs == 0) {
    if (h->taken_ref != nullptr) napi_delete_reference(env, h->taken_ref);
    delete h;
  }
}

constexpr size_t kMaxArgs = 4;

template <class H>
H* self(napi_env env, napi_callback_info info, napi_value* argv) {
  size_t argc = kMaxArgs;
  void* data = nullptr;
  napi_value undefined = undefined_value(env);
  for (size_t i = 0; i < kMaxArgs; i++) argv[i] = undefined;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  return static_cast<H*>(data);
}

/** waitForData / waitForSpace result codes, as native-queue/src/native/addon-types.ts reads them. */
napi_value wait_value(napi_env env, WaitResult r) {
  if (r == WaitResult::kFailed) return nullptr;  // the JavaScript error is pending
  return int_value(env, static_cast<int32_t>(r));
}

// ── methods both kinds share ────────────────────────────────────────────────

template <class H>
napi_value TryClaim(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  const double d = number_arg(env, a[0], NAN);
  int32_t payload = -1;
  int32_t index = -1;
  // A non-integer is refused like an oversize one (the JavaScript ring
  // would round it; C++ must not guess).
  const Misuse m = as_int(d, 0, h->ring.max_payload(), &payload) ? h->ring.try_claim(payload, &index) : Misuse::kPayloadTooLarge;
  if (!check(env, m, d, h->ring, 0)) return nullptr;
  return int_value(env, index);
}

template <class H, class CommitFn>
napi_value commit_with(napi_env env, H* h, napi_value length_arg, CommitFn commit) {
  const double d = number_arg(env, length_arg, NAN);
  const int32_t claimed = h->ring.claimed_payload();
  int32_t length = -1;
  Misuse m = Misuse::kNoClaim;
  if (h->ring.has_claim()) m = as_int(d, 0, claimed, &length) ? commit(length) : Misuse::kCommitLength;
  if (!check(env, m, d, h->ring, claimed)) return nullptr;
  return undefined_value(env);
}

template <class H, class CommitFn>
napi_value push_with(napi_env env, H* h, napi_value* a, CommitFn commit) {
  Bytes src;
  if (!uint8_arg(env, a[0], "tryPush: the source", &src)) return nullptr;
  const double start = number_arg(env, a[1], 0);
  const double end = number_arg(env, a[2], static_cast<double>(src.length));
  int32_t length = -1;
  if (!as_int(end - start, 0, h->ring.max_payload(), &length)) {
    throw_payload(env, end - start, h->ring);
    return nullptr;
  }
  if (!(start >= 0 && end <= static_cast<double>(src.length)) || start != std::floor(start)) {
    const std::string m = "tryPush: range " + number_text(start) + ".." + number_text(end) + " is outside the source's " +
                          std::to_string(src.length) + " bytes";
    napi_throw_range_error(env, nullptr, m.c_str());
    return nullptr;
  }
  int32_t index = -1;
  if (!check(env, h->ring.try_claim(length, &index), length, h->ring, 0)) return nullptr;
  if (index < 0) return bool_value(env, false);
  std::memcpy(h->ring.data() + index, src.data + static_cast<size_t>(start), static_cast<size_t>(length));
  commit(length);
  return bool_value(env, true);
}



/** ring.Method() of a method without arguments, answering nothing, a bool or an int32. */
template <class H, auto Method>
napi_value Do(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  (self<H>(env, info, a)->ring.*Method)();
  return undefined_value(env);
}

template <class H, auto Method>
napi_value BoolOf(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  return bool_value(env, (self<H>(env, info, a)->ring.*Method)());
}

template <class H, auto Method>
napi_value IntOf(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  return int_value(env, (self<H>(env, info, a)->ring.*Method)());
}

template <class H>
napi_value HasSpaceFor(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  int32_t payload;
  if (!payload_arg(env, a[0], h->ring, &payload)) return nullptr;
  return bool_value(env, h->ring.has_space_for(payload));
}

template <class H>
napi_value WaitForData(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  return wait_value(env, h->ring.wait_for_data(number_arg(env, a[0], INFINITY)));
}

template <class H>
napi_value WaitForSpace(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  int32_t payload;
  if (!payload_arg(env, a[0], h->ring, &payload)) return nullptr;
  return wait_value(env, h->ring.wait_for_space(payload, number_arg(env, a[1], INFINITY)));
}

template <class H>
napi_value BeginAsyncSleep(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  const Side side = bool_arg(env, a[0], false) ? Side::kSpace : Side::kData;
  int32_t payload = -1;
  if (side == Side::kSpace && !payload_arg(env, a[1], h->ring, &payload)) return nullptr;
  int32_t seq = 0;
  const AsyncStep step = h->ring.begin_async_sleep(side, payload, &seq);
  if (step == AsyncStep::kSleep) return int_value(env, seq);
  return double_value(env, kAsyncBase + static_cast<double>(step));
}

template <class H>
napi_value EndAsyncSleep(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  H* h = self<H>(env, info, a);
  h->ring.end_async_sleep(bool_arg(env, a[0], false) ? Side::kSpace : Side::kData, bool_arg(env, a[1], false));
  return undefined_value(env);
}




/** tryPopInto's destination check (ring-core.ts); the bytes of the destination, or null. */
template <class H>
bool pop_destination(napi_env env, H* h, napi_value v, Bytes* dest) {
  if (!uint8_arg(env, v, "tryPopInto: the destination", dest)) return false;
  if (dest->length < static_cast<size_t>(h->ring.max_payload())) {
    const std::string m = "tryPopInto: destination of " + std::to_string(dest->length) +
                          " bytes is smaller than maxPayload=" + std::to_string(h->ring.max_payload());
    napi_throw_range_error(env, nullptr, m.c_str());
    return false;
  }
  return true;
}

/** drain()'s max: how many records to take now, at most the descriptor's room. */
int32_t take_count(napi_env env, napi_value v, double fallback, int32_t room) {
  const double max = number_arg(env, v, fallback);
  if (!(max >= 1)) return 0;  // 0, negative or NaN: take nothing
  return max >= room ? room : static_cast<int32_t>(max);
}

/** A batch is outstanding: a visitor called back into its own handle, which would re-take its records. */
template <class H>
bool reentered(napi_env env, H* h) {
  if (h->last_taken == 0) return false;
  napi_throw_error(env, nullptr, "drain / tryPopInto called from inside a visitor of the same handle's batch");
  return true;
}

// ── SPMC ────────────────────────────────────────────────────────────────────

using SpmcHandle = Handle<SpmcRing>;

napi_value SpmcCommit(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  SpmcHandle* h = self<SpmcHandle>(env, info, a);
  const bool publish = bool_arg(env, a[1], true);
  return commit_with(env, h, a[0], [&](int32_t length) { return h->ring.commit(length, publish); });
}


napi_value SpmcTryPush(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  SpmcHandle* h = self<SpmcHandle>(env, info, a);
  return push_with(env, h, a, [&](int32_t length) { return h->ring.commit(length, true); });
}

napi_value SpmcTake(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  SpmcHandle* h = self<SpmcHandle>(env, info, a);
  if (reentered(env, h)) return nullptr;
  const int32_t n = h->ring.take(take_count(env, a[0], 1, h->room), h->taken.data(), h->room);
  h->expose(n);
  return int_value(env, n);
}

napi_value SpmcFinish(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  SpmcHandle* h = self<SpmcHandle>(env, info, a);
  h->last_taken = 0;
  h->ring.finish();
  return undefined_value(env);
}

napi_value SpmcPopInto(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  SpmcHandle* h = self<SpmcHandle>(env, info, a);
  Bytes dest;
  if (reentered(env, h) || !pop_destination(env, h, a[0], &dest)) return nullptr;
  TakenRecord record;
  if (h->ring.take(1, &record, 1) == 0) return int_value(env, -1);
  std::memcpy(dest.data, h->ring.data() + record.index, static_cast<size_t>(record.length));
  h->ring.finish();
  return int_value(env, record.length);
}

// ── MPSC ────────────────────────────────────────────────────────────────────

using MpscHandle = Handle<MpscRing>;

napi_value MpscCommit(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  MpscHandle* h = self<MpscHandle>(env, info, a);
  return commit_with(env, h, a[0], [&](int32_t length) { return h->ring.commit(length); });
}

napi_value MpscTryPush(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  MpscHandle* h = self<MpscHandle>(env, info, a);
  return push_with(env, h, a, [&](int32_t length) { return h->ring.commit(length); });
}

napi_value MpscTake(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  MpscHandle* h = self<MpscHandle>(env, info, a);
  if (reentered(env, h)) return nullptr;
  const int32_t n = h->ring.take(take_count(env, a[0], INFINITY, h->room), h->taken.data(), h->room, bool_arg(env, a[1], true));
  h->expose(n);
  return int_value(env, n);
}

napi_value MpscFinish(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  MpscHandle* h = self<MpscHandle>(env, info, a);
  int32_t visited;
  if (h->last_taken == 0 || !as_int(number_arg(env, a[0], NAN), 1, h->last_taken, &visited)) {
    napi_throw_range_error(env, nullptr, "finish: visited must be 1..the records of the last take");
    return nullptr;
  }
  h->ring.finish(visited, h->taken.data(), h->last_taken);
  h->last_taken = 0;
  return undefined_value(env);
}

napi_value MpscPopInto(napi_env env, napi_callback_info info) {
  napi_value a[kMaxArgs];
  MpscHandle* h = self<MpscHandle>(env, info, a);
  Bytes dest;
  if (reentered(env, h) || !pop_destination(env, h, a[0], &dest)) return nullptr;
  TakenRecord record;
  if (h->ring.take(1, &record, 1, true) == 0) return int_value(env, -1);
  std::memcpy(dest.data, h->ring.data() + record.index, static_cast<size_t>(record.length));
  h->ring.finish(1, &record, 1);
  return int_value(env, record.length);
}



// ── attach ──────────────────────────────────────────────────────────────────

struct Method {
  const char* name;
  napi_callback fn;
};

template <class H>
bool define_methods(napi_env env, napi_value object, H* h, const std::vector<Method>& methods) {
  for (const Method& m : methods) {
    napi_value fn;
    if (napi_create_function(env, m.name, NAPI_AUTO_LENGTH, m.fn, h, &fn) != napi_ok) return false;
    h->refs++;
    napi_add_finalizer(env, fn, h, release_ref<H>, nullptr, nullptr);
    if (napi_set_named_property(env, object, m.name, fn) != napi_ok) return false;
  }
  return true;
}

template <class H>
std::vector<Method> common_methods() {
  using Ring = decltype(H::ring);
  return {
      {"tryClaim", TryClaim<H>},
      {"hasData", BoolOf<H, &Ring::has_data>},
      {"isDrained", BoolOf<H, &Ring::is_drained>},
      {"hasSpaceFor", HasSpaceFor<H>},
      {"waitForData", WaitForData<H>},
      {"waitForSpace", WaitForSpace<H>},
      {"beginAsyncSleep", BeginAsyncSleep<H>},
      {"endAsyncSleep", EndAsyncSleep<H>},
      {"close", Do<H, &Ring::close>},
      {"closed", BoolOf<H, &Ring::closed>},
      {"queuedBytes", IntOf<H, &Ring::queued_bytes>},
  };
}

/** attach(words, taken, producerSlot, consumerSlot, spin) for a ring of `kind`. */
template <class H>
napi_value attach(napi_env env, napi_callback_info info, int32_t kind, const std::vector<Method>& own) {
  size_t argc = 5;
  napi_value a[5];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc < 5) {
    napi_throw_type_error(env, nullptr, "attach(words, taken, producerSlot, consumerSlot, spin)");
    return nullptr;
  }
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  size_t offset = 0;
  void* base = nullptr;
  napi_is_typedarray(env, a[0], &is);
  if (is) napi_get_typedarray_info(env, a[0], &type, &length, &base, nullptr, &offset);
  if (!is || type != napi_int32_array || offset != 0) {
    napi_throw_type_error(env, nullptr, "a ring is attached through an Int32Array over its whole SharedArrayBuffer");
    return nullptr;
  }
  switch (RingCore::check(base, length * 4, kind)) {
    case AttachError::kNone:
      break;
    case AttachError::kBadMagic:
    case AttachError::kTooSmall:
      napi_throw_type_error(env, nullptr, "buffer is not a native-queue ring (bad magic or layout version)");
      return nullptr;
    case AttachError::kWrongKind: {
      const std::string m = "buffer holds a ring of kind " + std::to_string(load_relaxed(static_cast<int32_t*>(base)[kKind])) + ", not " +
                            std::to_string(kind) + " (SPMC=1, MPSC=2)";
      napi_throw_type_error(env, nullptr, m.c_str());
      return nullptr;
    }
    case AttachError::kMisaligned:
    case AttachError::kBadCapacity:
    case AttachError::kBadMaxPayload:
      napi_throw_type_error(env, nullptr, "buffer is a native-queue ring with an impossible capacity, maxPayload or alignment");
      return nullptr;
  }
  void* view = nullptr;
  size_t view_length = 0;
  is = false;
  napi_is_typedarray(env, a[1], &is);
  if (is) napi_get_typedarray_info(env, a[1], &type, &view_length, &view, nullptr, nullptr);
  if (!is || type != napi_int32_array || view_length < 2) {
    napi_throw_type_error(env, nullptr, "the take descriptor must be an Int32Array of 2 x records");
    return nullptr;
  }
  int32_t producer_slot, consumer_slot, spin;
  if (!as_int(number_arg(env, a[2], -1), -1, 0x7fffffff, &producer_slot) ||
      !as_int(number_arg(env, a[3], -1), -1, 0x7fffffff, &consumer_slot) ||
      !as_int(number_arg(env, a[4], 64), 0, 0x7fffffff, &spin)) {
    napi_throw_range_error(env, nullptr, "producerSlot and consumerSlot must be integers >= 0 (or -1: a fresh one), spin >= 0");
    return nullptr;
  }
  const int32_t room = static_cast<int32_t>(view_length / 2 < kMaxTake ? view_length / 2 : kMaxTake);
  auto* h = new H(env, a[0], base, producer_slot, consumer_slot, spin, static_cast<int32_t*>(view), room);
  napi_create_reference(env, a[1], 1, &h->taken_ref);
  napi_value object;
  napi_create_object(env, &object);
  h->refs++;
  napi_add_finalizer(env, object, h, release_ref<H>, nullptr, nullptr);
  std::vector<Method> methods = common_methods<H>();
  methods.insert(methods.end(), own.begin(), own.end());
  if (!define_methods(env, object, h, methods)) return nullptr;
  return object;
}

napi_value AttachSpmc(napi_env env, napi_callback_info info) {
  static const std::vector<Method> own = {
      {"commit", SpmcCommit}, {"publish", Do<SpmcHandle, &SpmcRing::publish>}, {"tryPush", SpmcTryPush}, {"take", SpmcTake},
      {"finish", SpmcFinish}, {"popInto", SpmcPopInto},
  };
  return attach<SpmcHandle>(env, info, kKindSpmc, own);
}

napi_value AttachMpsc(napi_env env, napi_callback_info info) {
  static const std::vector<Method> own = {
      {"commit", MpscCommit}, {"tryPush", MpscTryPush}, {"take", MpscTake}, {"finish", MpscFinish},
      {"popInto", MpscPopInto}, {"lastCommitEnd", IntOf<MpscHandle, &MpscRing::last_commit_end>},
      {"readPosition", IntOf<MpscHandle, &MpscRing::read_position>},
  };
  return attach<MpscHandle>(env, info, kKindMpsc, own);
}

// ── module ──────────────────────────────────────────────────────────────────

void set_int(napi_env env, napi_value object, const char* name, double value) {
  napi_set_named_property(env, object, name, double_value(env, value));
}

napi_value layout_object(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  const std::pair<const char*, int32_t> constants[] = {
      {"CACHE_LINE_BYTES", kCacheLineBytes}, {"WRITE", kWrite}, {"READ", kRead}, {"RELEASE", kRelease},
      {"DATA_WAITERS", kDataWaiters}, {"DATA_SIGNAL", kDataSignal}, {"DATA_WAKE_PENDING", kDataWakePending},
      {"SPACE_WAITERS", kSpaceWaiters}, {"SPACE_SIGNAL", kSpaceSignal}, {"SPACE_WAKE_PENDING", kSpaceWakePending},
      {"SIGNAL_AFTER_WAITERS", kSignalAfterWaiters}, {"PENDING_AFTER_WAITERS", kPendingAfterWaiters},
      {"MAGIC", kMagic}, {"VERSION", kVersion}, {"KIND", kKind}, {"CAPACITY", kCapacity}, {"MAX_PAYLOAD", kMaxPayload},
      {"CLOSED", kClosed}, {"NEXT_PRODUCER_SLOT", kNextProducerSlot}, {"NEXT_CONSUMER_SLOT", kNextConsumerSlot},
      {"MAGIC_VALUE", kMagicValue}, {"LAYOUT_VERSION", kLayoutVersion}, {"KIND_SPMC", kKindSpmc}, {"KIND_MPSC", kKindMpsc},
      {"STATS_SLOTS", kStatsSlots}, {"STATS_SLOT_BYTES", kStatsSlotBytes},
      {"PRODUCER_STATS_OFFSET", kProducerStatsOffset}, {"CONSUMER_STATS_OFFSET", kConsumerStatsOffset},
      {"STAT_RECORDS", kStatRecords}, {"STAT_BYTES", kStatBytes}, {"STAT_FULL", kStatFull}, {"STAT_SLEEPS", kStatSleeps},
      {"STAT_NOTIFIES", kStatNotifies}, {"STAT_SPURIOUS", kStatSpurious}, {"STAT_CAS_RETRIES", kStatCasRetries},
      {"STAT_EMPTY", kStatEmpty}, {"STAT_FIELDS", kStatFields}, {"DATA_OFFSET", kDataOffset},
      {"HEADER_BYTES", kHeaderBytes}, {"RECORD_ALIGN", kRecordAlign}, {"PADDING_LENGTH", kPaddingLength},
      {"MIN_CAPACITY", kMinCapacity}, {"MAX_CAPACITY", kMaxCapacity}, {"DEFAULT_MAX_PAYLOAD", kDefaultMaxPayload},
  };
  for (const auto& [name, value] : constants) set_int(env, o, name, value);
  return o;
}

napi_value init(napi_env env, napi_value exports) {
  if (V8WaitQueue::capture_atomics(env) != napi_ok) {
    napi_throw_error(env, nullptr, "native-queue: cannot find Atomics.wait / Atomics.notify");
    return nullptr;
  }
  napi_value fn;
  napi_create_function(env, "attachSpmc", NAPI_AUTO_LENGTH, AttachSpmc, nullptr, &fn);
  napi_set_named_property(env, exports, "attachSpmc", fn);
  napi_create_function(env, "attachMpsc", NAPI_AUTO_LENGTH, AttachMpsc, nullptr, &fn);
  napi_set_named_property(env, exports, "attachMpsc", fn);
  napi_set_named_property(env, exports, "layout", layout_object(env));
  napi_set_named_property(env, exports, "benchLoops", bench_loops(env));
  napi_set_named_property(env, exports, "rawFutex", raw_futex(env));
  set_int(env, exports, "maxTake", kMaxTake);
  set_int(env, exports, "asyncReady", kAsyncBase + static_cast<double>(AsyncStep::kReady));
  set_int(env, exports, "asyncClosed", kAsyncBase + static_cast<double>(AsyncStep::kClosed));
  set_int(env, exports, "asyncAgain", kAsyncBase + static_cast<double>(AsyncStep::kAgain));
  return exports;
}

}  // namespace
}  // namespace ringpool

NAPI_MODULE_INIT() { return ringpool::init(env, exports); }
