// The queue benchmark's producer and consumer loops written in C++ (the
// "*-cpp-loop" rows of bench/queue-bench.ts): the same rings and the same
// record format as bench/record-format.ts, with no Node-API call per record,
// to separate the cost of the algorithm from the cost of calling it from
// JavaScript. Not used by the rings themselves.
#pragma once

#include <node_api.h>

namespace ringpool {

/** An object with produce() and consume(), for the addon's exports. */
napi_value bench_loops(napi_env env);

}  // namespace ringpool
