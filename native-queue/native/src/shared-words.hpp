// Every access to a word that another thread may touch at the same time goes
// through one of these helpers, and each name says its memory order (as
// Agrona's putIntRelease does). They wrap std::atomic_ref (C++20) over the
// SharedArrayBuffer's own memory: no copy, the very words JavaScript's
// Atomics operate on.
//
// Why mixing them with JavaScript is sound: V8 implements every Atomics
// operation as a sequentially consistent atomic (on x86-64 Atomics.load is a
// plain MOV, Atomics.store an XCHG, compareExchange a LOCK CMPXCHG: exactly
// what a C++ compiler emits for memory_order_seq_cst), and plain typed-array
// reads and writes as plain, untorn MOVs of aligned words. So a thread running
// JavaScript behaves, on these words, like a C++ thread using seq_cst atomics
// for its Atomics calls and ordinary accesses for the rest, and the whole
// mixed program can be argued in the C++ memory model. README.md ("Memory
// orders") lists each choice below and why it is as strong as JavaScript's
// wherever the protocol depends on it.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringpool {

static_assert(std::atomic_ref<int32_t>::is_always_lock_free, "int32 atomics must be lock-free to share memory with V8");
static_assert(std::atomic_ref<double>::is_always_lock_free, "float64 counters must be lock-free");

/** Atomics.load: the reads of the sleep/wake handshake and of cursors. */
inline int32_t load_seq_cst(int32_t& word) {
  return std::atomic_ref<int32_t>(word).load(std::memory_order_seq_cst);
}

/** Atomics.store: publishing stores that a wake-up check follows. */
inline void store_seq_cst(int32_t& word, int32_t value) {
  std::atomic_ref<int32_t>(word).store(value, std::memory_order_seq_cst);
}

/** A hand-over the reader acquires, with no store-then-load race to win. */
inline void store_release(int32_t& word, int32_t value) {
  std::atomic_ref<int32_t>(word).store(value, std::memory_order_release);
}

/**
 * A word that a stale reader may read while it is written, and that a later
 * seq_cst store publishes (JavaScript uses a plain typed-array access for
 * these). Relaxed makes the race defined in C++; it costs a plain MOV.
 */
inline int32_t load_relaxed(int32_t& word) {
  return std::atomic_ref<int32_t>(word).load(std::memory_order_relaxed);
}
inline void store_relaxed(int32_t& word, int32_t value) {
  std::atomic_ref<int32_t>(word).store(value, std::memory_order_relaxed);
}

/** Atomics.add: returns the old value. */
inline int32_t fetch_add_seq_cst(int32_t& word, int32_t delta) {
  return std::atomic_ref<int32_t>(word).fetch_add(delta, std::memory_order_seq_cst);
}

/** Atomics.compareExchange: returns the value found (== expected on success). */
inline int32_t compare_exchange_seq_cst(int32_t& word, int32_t expected, int32_t desired) {
  std::atomic_ref<int32_t>(word).compare_exchange_strong(expected, desired, std::memory_order_seq_cst);
  return expected;
}

/** Orders earlier release stores before a later seq_cst load (one fence per batch). */
inline void fence_seq_cst() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

/**
 * Statistics counters: one writer per slot, so a relaxed load and store (a
 * plain MOVSD pair, like JavaScript's `f64[i] += 1`) is exact for the writer
 * and untorn for readers summing the slots.
 */
inline void bump(double* slot, int32_t field, double by = 1) {
  std::atomic_ref<double> counter(slot[field]);
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

/**
 * Cursors are byte positions modulo 2^32 in int32 words; `(a - b) | 0` in
 * layout.ts. Unsigned arithmetic wraps by definition, and the conversion back
 * to int32 is modular in C++20.
 */
inline int32_t distance(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t advance(int32_t position, int32_t bytes) {
  return static_cast<int32_t>(static_cast<uint32_t>(position) + static_cast<uint32_t>(bytes));
}

}  // namespace ringpool
