// Shared pieces of the fuzz targets: the invariant check that aborts, random typed values, and
// structure-aware frame generators (mostly valid frames with fuzzed fields, so that the state machines
// get past the handshake) driven by FuzzedDataProvider.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "spop/kv.hpp"
#include "spop/notify_builder.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace fuzz {

/// An invariant of the target: abort (libFuzzer saves the input) with a readable reason.
inline void require(bool condition, const char* what = "invariant") {
  if (!condition) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

/// Strings that Values and Arguments view: a deque never moves its elements.
using Storage = std::deque<std::string>;

inline std::string_view keep(Storage& storage, std::string s) {
  storage.push_back(std::move(s));
  return storage.back();
}

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline spop::Value random_value(FuzzedDataProvider& in, Storage& storage, std::size_t max_len = 600) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0: return spop::Value::null();
    case 1: return spop::Value::boolean(in.ConsumeBool());
    case 2: return spop::Value::int32(in.ConsumeIntegral<std::int32_t>());
    case 3: return spop::Value::uint32(in.ConsumeIntegral<std::uint32_t>());
    case 4: return spop::Value::int64(in.ConsumeIntegral<std::int64_t>());
    case 5: return spop::Value::uint64(in.ConsumeIntegral<std::uint64_t>());
    case 6: {
      spop::Ipv4Address a;
      for (auto& b : a.bytes) b = in.ConsumeIntegral<std::uint8_t>();
      return spop::Value::ipv4(a);
    }
    case 7: {
      spop::Ipv6Address a;
      for (auto& b : a.bytes) b = in.ConsumeIntegral<std::uint8_t>();
      return spop::Value::ipv6(a);
    }
    case 8: return spop::Value::string(keep(storage, in.ConsumeRandomLengthString(max_len)));
    default: return spop::Value::binary(keep(storage, in.ConsumeRandomLengthString(max_len)));
  }
}

/// Small ids so that NOTIFYs, ACKs and fragments collide often.
inline std::uint64_t random_id(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, 4) : in.ConsumeIntegral<std::uint64_t>();
}

/// A frame of any type with a raw payload.
inline void append_raw_frame(FuzzedDataProvider& in, std::vector<std::byte>& out, spop::FrameType type,
                             std::uint32_t flags, std::uint64_t sid, std::uint64_t fid) {
  spop::FrameWriter w(out, spop::FrameHeader{type, flags, sid, fid}, 1u << 20);
  w.payload().put_bytes(as_bytes(in.ConsumeRandomLengthString(300)));
  w.finish();
}

/// A KV list of well-known keys (or random ones) with fuzzed values, as a HELLO or DISCONNECT payload.
inline void append_kv_frame(FuzzedDataProvider& in, std::vector<std::byte>& out, spop::FrameType type,
                            std::uint32_t flags) {
  static constexpr std::string_view names[] = {
      spop::keys::supported_versions, spop::keys::version,     spop::keys::max_frame_size,
      spop::keys::capabilities,       spop::keys::engine_id,   spop::keys::healthcheck,
      spop::keys::status_code,        spop::keys::message,     "versions-x",
  };
  static constexpr std::string_view texts[] = {"2.0", " 2.0 ", "1.0,2.0", "2.1", "pipelining,async",
                                               "async", "fragmentation", "pipelining", ""};
  Storage storage;
  spop::FrameWriter w(out, spop::FrameHeader{type, flags, 0, 0}, 1u << 20);
  const int items = in.ConsumeIntegralInRange<int>(0, 7);
  for (int i = 0; i < items; ++i) {
    const std::string_view key = in.ConsumeBool() ? in.PickValueInArray(names) : keep(storage, in.ConsumeRandomLengthString(20));
    spop::Value v;
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: v = spop::Value::string(in.PickValueInArray(texts)); break;
      case 1: v = spop::Value::uint32(in.ConsumeIntegralInRange<std::uint32_t>(0, 70000)); break;
      case 2: v = spop::Value::boolean(in.ConsumeBool()); break;
      default: v = random_value(in, storage, 40); break;
    }
    (void)spop::put_kv(w.payload(), key, v);
  }
  w.finish();
}

/// A NOTIFY with random messages and arguments, written with the caller's flags.
inline void append_notify(FuzzedDataProvider& in, std::vector<std::byte>& out, std::uint64_t sid,
                          std::uint64_t fid, std::uint32_t flags) {
  Storage storage;
  spop::NotifyBuilder b(out, sid, fid, 1u << 20, flags);
  const int messages = in.ConsumeIntegralInRange<int>(0, 3);
  std::vector<spop::Argument> args;
  for (int m = 0; m < messages; ++m) {
    args.clear();
    const std::string_view name = keep(storage, in.ConsumeRandomLengthString(20));
    const int nargs = in.ConsumeIntegralInRange<int>(0, 6);
    for (int a = 0; a < nargs; ++a) {
      const std::string_view arg = keep(storage, in.ConsumeRandomLengthString(12));
      args.push_back({arg, random_value(in, storage, 200)});
    }
    (void)b.add_message(name, args);
  }
  b.finish();
}

}  // namespace fuzz
