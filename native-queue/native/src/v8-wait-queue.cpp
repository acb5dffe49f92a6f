#include "v8-wait-queue.hpp"

#include <cmath>
#include <cstring>

namespace ringpool {

namespace {

/** Per-thread (per napi_env) references to the Atomics functions. */
struct AtomicsFunctions {
  napi_ref wait = nullptr;
  napi_ref notify = nullptr;
};

void delete_functions(napi_env env, void* data, void* /*hint*/) {
  auto* fns = static_cast<AtomicsFunctions*>(data);
  if (fns->wait != nullptr) napi_delete_reference(env, fns->wait);
  if (fns->notify != nullptr) napi_delete_reference(env, fns->notify);
  delete fns;
}

AtomicsFunctions* functions(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<AtomicsFunctions*>(data);
}

/**
 * Calls fn(words, index, ...extra) inside the caller's handle scope; false on
 * a JavaScript error (left pending for the binding to rethrow). With `text`,
 * the result is read as a string into it.
 */
bool call(napi_env env, napi_ref fn_ref, napi_ref words_ref, int32_t index, const napi_value* extra, size_t extras,
          char* text, size_t text_size) {
  napi_value fn, undefined, result;
  napi_value args[4];
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || napi_get_undefined(env, &undefined) != napi_ok ||
      napi_get_reference_value(env, words_ref, &args[0]) != napi_ok || napi_create_int32(env, index, &args[1]) != napi_ok) {
    return false;
  }
  for (size_t i = 0; i < extras; i++) args[2 + i] = extra[i];
  if (napi_call_function(env, undefined, fn, 2 + extras, args, &result) != napi_ok) return false;
  if (text == nullptr) return true;
  size_t written = 0;
  return napi_get_value_string_utf8(env, result, text, text_size, &written) == napi_ok;
}

}  // namespace

napi_status V8WaitQueue::capture_atomics(napi_env env) {
  napi_value global, atomics, wait, notify;
  napi_status s = napi_get_global(env, &global);
  if (s == napi_ok) s = napi_get_named_property(env, global, "Atomics", &atomics);
  if (s == napi_ok) s = napi_get_named_property(env, atomics, "wait", &wait);
  if (s == napi_ok) s = napi_get_named_property(env, atomics, "notify", &notify);
  if (s != napi_ok) return s;
  auto* fns = new AtomicsFunctions();
  napi_create_reference(env, wait, 1, &fns->wait);
  napi_create_reference(env, notify, 1, &fns->notify);
  return napi_set_instance_data(env, fns, delete_functions, nullptr);
}

V8WaitQueue::V8WaitQueue(napi_env env, napi_value words) : env_(env), words_(nullptr) {
  napi_create_reference(env, words, 1, &words_);
}

V8WaitQueue::~V8WaitQueue() {
  if (words_ != nullptr) napi_delete_reference(env_, words_);
}

WaitOutcome V8WaitQueue::wait(int32_t index, int32_t expected, double timeout_ms) {
  AtomicsFunctions* fns = functions(env_);
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return WaitOutcome::kFailed;
  napi_value extra[2];
  size_t extras = 1;
  bool built = napi_create_int32(env_, expected, &extra[0]) == napi_ok;
  if (!std::isinf(timeout_ms)) {
    // Atomics.wait takes milliseconds as a double; undefined means forever.
    built = built && napi_create_double(env_, timeout_ms, &extra[1]) == napi_ok;
    extras = 2;
  }
  char text[16] = {0};
  const bool ok = built && call(env_, fns->wait, words_, index, extra, extras, text, sizeof text);
  napi_close_handle_scope(env_, scope);
  if (!ok) return WaitOutcome::kFailed;
  // Atomics.wait answers "ok", "not-equal" or "timed-out".
  if (std::strcmp(text, "ok") == 0) return WaitOutcome::kWoken;
  if (std::strcmp(text, "not-equal") == 0) return WaitOutcome::kNotEqual;
  return WaitOutcome::kTimedOut;
}

bool V8WaitQueue::notify(int32_t index, int32_t count) {
  AtomicsFunctions* fns = functions(env_);
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return false;
  napi_value extra[1];
  size_t extras = 0;
  bool built = true;
  if (count >= 0) {  // otherwise leave the count out: Atomics.notify then wakes all
    built = napi_create_int32(env_, count, &extra[0]) == napi_ok;
    extras = 1;
  }
  const bool ok = built && call(env_, fns->notify, words_, index, extra, extras, nullptr, 0);
  napi_close_handle_scope(env_, scope);
  return ok;
}

}  // namespace ringpool
