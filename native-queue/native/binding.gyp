{
  "targets": [
    {
      "target_name": "ringpool_native",
      "sources": [
        "src/addon.cpp",
        "src/ring-core.cpp",
        "src/spmc-ring.cpp",
        "src/mpsc-ring.cpp",
        "src/v8-wait-queue.cpp",
        "src/bench-loops.cpp",
        "src/raw-futex.cpp"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-Wall", "-Wextra", "-Wshadow"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra"]
      }
    }
  ]
}
