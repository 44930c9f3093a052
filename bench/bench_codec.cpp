// Codec hot paths: decoding NOTIFYs, building ACKs, and the two together (what an agent does per
// request). Each benchmark also reports "allocs/op": global operator new is replaced below by a
// counting version, and the steady state must not allocate.
//
//   build/<dir>/bench/bench_codec [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/frame.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"
#include "spop/value.hpp"

// ---- allocation counting ------------------------------------------------------------------------

namespace {
std::uint64_t g_allocations = 0;  // benchmarks run on one thread

void* counted_alloc(std::size_t n) noexcept {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}

// Out of line, so that GCC does not pair an inlined operator new with this free() and warn.
[[gnu::noinline]] void release(void* p) noexcept { std::free(p); }

void* counted_aligned_alloc(std::size_t n, std::align_val_t align) noexcept {
  ++g_allocations;
  void* p = nullptr;
  const auto a = static_cast<std::size_t>(align);
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, n == 0 ? 1 : n) != 0) return nullptr;
  return p;
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted_aligned_alloc(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) {
  if (void* p = counted_aligned_alloc(n, a)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }

namespace {

// Reports allocations per iteration of the timed loop (construct before the loop, report after it).
class AllocationCounter {
 public:
  AllocationCounter() : start_(g_allocations) {}
  void report(benchmark::State& state) const {
    state.counters["allocs/op"] =
        benchmark::Counter(static_cast<double>(g_allocations - start_), benchmark::Counter::kAvgIterations);
  }

 private:
  std::uint64_t start_;
};

// ---- inputs -----------------------------------------------------------------------------------

std::vector<std::byte> read_capture(const char* relative) {
  std::ifstream in(std::string(SPOP_SOURCE_DIR) + "/tests/captures/" + relative, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

// A NOTIFY as HAProxy sends it for `args host=req.hdr(host) path=path ua=req.hdr(user-agent)`.
std::vector<std::byte> notify_with_three_strings() {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, 4711, 1, spop::default_max_frame_size);
  const spop::Argument args[] = {
      {"host", spop::Value::string("www.example.com")},
      {"path", spop::Value::string("/api/v1/items?page=2")},
      {"ua", spop::Value::string("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0")},
  };
  b.add_message("check-request", args);
  b.finish();
  return out;
}

// The NOTIFY of spop-protocol.md §6: "check-client-ip" with ip = IPV4 127.0.0.1.
std::vector<std::byte> small_notify() {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, 1, 1, spop::default_max_frame_size);
  const spop::Argument args[] = {{"ip", spop::Value::ipv4(spop::Ipv4Address{{127, 0, 0, 1}})}};
  b.add_message("check-client-ip", args);
  b.finish();
  return out;
}

// split_frame + NotifyView::parse + every argument of every message; returns a checksum of what was read.
std::uint64_t decode_notify(std::span<const std::byte> bytes, std::vector<spop::Argument>& args, bool& ok) {
  spop::Frame frame;
  std::size_t used = 0;
  spop::NotifyView view;
  ok = spop::split_frame(bytes, spop::default_max_frame_size, frame, used) == spop::Errc::ok &&
       spop::NotifyView::parse(frame.payload, view) == spop::Errc::ok;
  std::uint64_t sum = frame.header.stream_id;
  for (const spop::MessageView& m : view) {
    m.arguments(args);
    sum += m.name().size();
    for (const spop::Argument& a : args) {
      sum += a.name.size() + static_cast<std::uint64_t>(a.value.type()) + a.value.as_uint64() + a.value.as_bytes().size();
    }
  }
  return sum;
}

void decode_loop(benchmark::State& state, const std::vector<std::byte>& bytes) {
  if (bytes.empty()) {
    state.SkipWithError("input frame missing (capture file not found?)");
    return;
  }
  std::vector<spop::Argument> args;
  args.reserve(64);
  bool ok = true;
  benchmark::DoNotOptimize(decode_notify(bytes, args, ok));  // warm-up
  if (!ok) {
    state.SkipWithError("the frame does not decode");
    return;
  }
  AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_notify(bytes, args, ok));
  }
  allocations.report(state);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes.size()));
}

// (a) The 484-byte NOTIFY of notify-types.bin (HAProxy 2.6): 2 messages, 15 arguments of every type.
void BM_DecodeNotifyTypesCapture(benchmark::State& state) {
  decode_loop(state, read_capture("haproxy-2.6/notify-types.bin"));
}
BENCHMARK(BM_DecodeNotifyTypesCapture);

// (b) One message with three string arguments.
void BM_DecodeNotifyThreeStrings(benchmark::State& state) { decode_loop(state, notify_with_three_strings()); }
BENCHMARK(BM_DecodeNotifyThreeStrings);

// (c) The ACK of the standard example (script-api.md): 11 SET-VARs, into a reused buffer.
void build_standard_ack(std::vector<std::byte>& out, std::uint64_t sid, std::uint64_t fid,
                        const spop::Ipv6Address& v6) {
  out.clear();
  spop::AckBuilder b(out, sid, fid, spop::default_max_frame_size);
  b.set_var(spop::Scope::txn, "null", spop::Value::null());
  b.set_var(spop::Scope::txn, "boolean", spop::Value::boolean(true));
  b.set_var(spop::Scope::txn, "int32", spop::Value::int32(1234));
  b.set_var(spop::Scope::txn, "uint32", spop::Value::uint32(1234));
  b.set_var(spop::Scope::txn, "int64", spop::Value::int64(1234));
  b.set_var(spop::Scope::txn, "uint64", spop::Value::uint64(1234));
  b.set_var(spop::Scope::txn, "ipv4", spop::Value::ipv4(spop::Ipv4Address{{127, 0, 0, 1}}));
  b.set_var(spop::Scope::txn, "ipv6", spop::Value::ipv6(v6));
  b.set_var(spop::Scope::txn, "str", spop::Value::string("1::f"));
  b.set_var(spop::Scope::txn, "bin", spop::Value::binary("1::f"));
  b.set_var(spop::Scope::sess, "ip_score", spop::Value::int32(42));
  b.finish();
}

void BM_BuildStandardAck(benchmark::State& state) {
  spop::Ipv6Address v6;
  spop::parse_ipv6("1::f", v6);
  std::vector<std::byte> out;
  build_standard_ack(out, 1, 1, v6);  // warm-up: the buffer reaches its size once
  if (out.size() != 160) {
    state.SkipWithError("unexpected ACK size");
    return;
  }
  AllocationCounter allocations;
  for (auto _ : state) {
    build_standard_ack(out, 1, 1, v6);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  allocations.report(state);
}
BENCHMARK(BM_BuildStandardAck);

// (d) What the agent does per request: take the NOTIFY off the receive buffer, read its arguments,
// answer with an ACK setting one variable.
void BM_DecodeNotifyAndBuildAck(benchmark::State& state) {
  const auto bytes = small_notify();
  std::vector<spop::Argument> args;
  args.reserve(16);
  std::vector<std::byte> out;
  out.reserve(256);
  auto once = [&]() -> bool {
    spop::Frame frame;
    std::size_t used = 0;
    spop::NotifyView view;
    if (spop::split_frame(bytes, spop::default_max_frame_size, frame, used) != spop::Errc::ok ||
        spop::NotifyView::parse(frame.payload, view) != spop::Errc::ok) {
      return false;
    }
    std::int32_t score = 0;
    for (const spop::MessageView& m : view) {
      m.arguments(args);
      for (const spop::Argument& a : args) {
        if (a.value.type() == spop::DataType::ipv4) score += a.value.as_ipv4().bytes[3];
      }
    }
    out.clear();
    spop::AckBuilder ack(out, frame.header.stream_id, frame.header.frame_id, spop::default_max_frame_size);
    ack.set_var(spop::Scope::sess, "ip_score", spop::Value::int32(score));
    ack.finish();
    return true;
  };
  if (!once()) {
    state.SkipWithError("the NOTIFY does not decode");
    return;
  }
  AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(once());
    benchmark::DoNotOptimize(out.data());
  }
  allocations.report(state);
}
BENCHMARK(BM_DecodeNotifyAndBuildAck);

}  // namespace

BENCHMARK_MAIN();
