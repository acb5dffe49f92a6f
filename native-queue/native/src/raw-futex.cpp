#include "raw-futex.hpp"

#include <cerrno>
#include <cstdint>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

namespace ringpool {
namespace {

/** The word words[index] of an Int32Array argument, or null with a TypeError thrown. */
int32_t* word_arg(napi_env env, napi_value array, napi_value index_value) {
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  int32_t index = -1;
  napi_is_typedarray(env, array, &is);
  if (is) napi_get_typedarray_info(env, array, &type, &length, &data, nullptr, nullptr);
  napi_get_value_int32(env, index_value, &index);
  if (!is || type != napi_int32_array || index < 0 || static_cast<size_t>(index) >= length) {
    napi_throw_type_error(env, nullptr, "raw futex: (Int32Array, index in range, ...)");
    return nullptr;
  }
  return static_cast<int32_t*>(data) + index;
}

/** wait(i32, index, expected, ms): 0 when woken, else -errno (-110 ETIMEDOUT, -11 EAGAIN). */
napi_value Wait(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  int32_t* word = argc == 4 ? word_arg(env, a[0], a[1]) : nullptr;
  if (word == nullptr) return nullptr;
  int32_t expected = 0, ms = 0;
  napi_get_value_int32(env, a[2], &expected);
  napi_get_value_int32(env, a[3], &ms);
  int32_t result = -ENOSYS;
#ifdef __linux__
  timespec timeout{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  result = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, &timeout, nullptr, 0) == 0 ? 0 : -errno;
#endif
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

/** wake(i32, index, count): how many futex sleepers it woke. */
napi_value Wake(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  int32_t* word = argc == 3 ? word_arg(env, a[0], a[1]) : nullptr;
  if (word == nullptr) return nullptr;
  int32_t count = 0;
  napi_get_value_int32(env, a[2], &count);
  int32_t woken = -ENOSYS;
#ifdef __linux__
  woken = static_cast<int32_t>(syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0));
#endif
  napi_value out;
  napi_create_int32(env, woken, &out);
  return out;
}

}  // namespace

napi_value raw_futex(napi_env env) {
  napi_value object, fn;
  napi_create_object(env, &object);
  napi_create_function(env, "wait", NAPI_AUTO_LENGTH, Wait, nullptr, &fn);
  napi_set_named_property(env, object, "wait", fn);
  napi_create_function(env, "wake", NAPI_AUTO_LENGTH, Wake, nullptr, &fn);
  napi_set_named_property(env, object, "wake", fn);
  return object;
}

}  // namespace ringpool
