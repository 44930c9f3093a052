// Reading the shared counters at scrape time (see metrics_collector.hpp). The metric names and labels
// are listed in docs/operations.md ("Metrics"); keep both in step.
#include "agent/metrics_collector.hpp"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "agent/metrics_segment.hpp"

namespace spoa::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::array<const char*, failure_kinds> failure_names{"script_error", "timeout", "out_of_memory",
                                                                 "cancelled"};
constexpr std::array<const char*, 2> by_names{"agent", "haproxy"};

std::string status_label(std::size_t slot) { return slot <= 13 ? std::to_string(slot) : slot == 14 ? "99" : "other"; }

std::uint64_t load(const Counter& c) { return c.load(std::memory_order_relaxed); }

/// One message's numbers summed over the workers that saw it.
struct MessageTotals {
  std::uint64_t calls = 0;
  std::array<std::uint64_t, failure_kinds> failures{};
  std::array<std::uint64_t, latency_buckets> buckets{};
  std::uint64_t duration_ns = 0;
};

// Families are filled through references while later ones are added: capacity is reserved so that
// adding never moves them.
class Families {
 public:
  Families() { families_.reserve(max_families); }
  MetricFamily& add(std::string name, std::string help, MetricType type) {
    if (families_.size() == max_families) throw std::logic_error("metrics: raise max_families");
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }
  std::vector<MetricFamily> take() { return std::move(families_); }

 private:
  static constexpr std::size_t max_families = 32;
  std::vector<MetricFamily> families_;
};

ClientMetric sample(double value, MetricType type, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Gauge) m.gauge.value = value;
  else m.counter.value = value;
  return m;
}

double as_double(std::uint64_t v) { return static_cast<double>(v); }

/// The shared-state counters summed over the workers.
struct StateTotals {
  std::array<std::uint64_t, state_op_names.size()> calls{};
  std::array<std::uint64_t, state_errc_names.size()> errors{};
  std::uint64_t outages = 0, connects = 0, connect_failures = 0, failovers = 0;
  std::int64_t unavailable = 0;

  void add(const StateCounters& c) {
    for (std::size_t i = 0; i < calls.size(); ++i) calls[i] += load(c.calls[i]);
    for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += load(c.errors[i]);
    outages += load(c.outages);
    connects += load(c.connects);
    connect_failures += load(c.connect_failures);
    failovers += load(c.failovers);
    unavailable += c.unavailable.load(std::memory_order_relaxed);
  }

  void report(Families& f) const {
    auto& by_op = f.add("spoa_state_calls_total", "spoa.state_* calls, by operation (failed ones included)",
                        MetricType::Counter);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      by_op.metric.push_back(sample(as_double(calls[i]), MetricType::Counter, {{"operation", state_op_names[i]}}));
    }
    auto& failed = f.add("spoa_state_errors_total",
                         "spoa.state_* calls that failed, by reason (unavailable, timeout: the Redis store could "
                         "not serve)",
                         MetricType::Counter);
    for (std::size_t i = 0; i < errors.size(); ++i) {
      failed.metric.push_back(sample(as_double(errors[i]), MetricType::Counter, {{"reason", state_errc_names[i]}}));
    }
    f.add("spoa_state_outages_total", "Times a worker's Redis store became unavailable (one per outage)",
          MetricType::Counter)
        .metric.push_back(sample(as_double(outages), MetricType::Counter));
    f.add("spoa_state_unavailable", "Workers whose Redis store is unavailable now", MetricType::Gauge)
        .metric.push_back(sample(static_cast<double>(unavailable), MetricType::Gauge));
    auto& connections = f.add("spoa_state_connects_total", "Connections to Redis opened, by result", MetricType::Counter);
    connections.metric.push_back(sample(as_double(connects), MetricType::Counter, {{"result", "ok"}}));
    connections.metric.push_back(sample(as_double(connect_failures), MetricType::Counter, {{"result", "failed"}}));
    f.add("spoa_state_failovers_total", "Times Redis Sentinel named a new master to a worker", MetricType::Counter)
        .metric.push_back(sample(as_double(failovers), MetricType::Counter));
  }
};
ClientMetric histogram(const MessageTotals& t, std::vector<prometheus::ClientMetric::Label> labels) {
  ClientMetric h;
  h.label = std::move(labels);
  std::uint64_t cumulative = 0;
  for (std::size_t k = 0; k < latency_buckets; ++k) {
    cumulative += t.buckets[k];
    const double bound = k < latency_bounds.size() ? latency_bounds[k] : std::numeric_limits<double>::infinity();
    h.histogram.bucket.push_back({cumulative, bound});
  }
  h.histogram.sample_count = cumulative;
  h.histogram.sample_sum = static_cast<double>(t.duration_ns) / 1e9;
  return h;
}

std::vector<MetricFamily> collect(const Segment& seg) {
  std::int64_t connections = 0;
  std::uint64_t connections_total = 0, notifies = 0, unhandled = 0, reloads_ok = 0, reloads_failed = 0;
  std::array<std::uint64_t, frame_in_names.size()> frames_in{};
  std::array<std::uint64_t, frame_out_names.size()> frames_out{};
  std::array<std::array<std::uint64_t, status_slots>, 2> disconnects{};
  std::map<std::string, MessageTotals, std::less<>> messages;  // sorted: a stable exposition order
  StateTotals state;
  std::int64_t calls_queued = 0, calls_running = 0;
  MessageTotals waits;  // buckets and duration_ns of the wait histogram

  for (unsigned w = 0; w < seg.workers(); ++w) {
    const WorkerCounters& c = seg.worker(w);
    connections += c.connections.load(std::memory_order_relaxed);
    connections_total += load(c.connections_total);
    notifies += load(c.notifies);
    unhandled += load(c.unhandled_messages);
    reloads_ok += load(c.reloads_ok);
    reloads_failed += load(c.reloads_failed);
    calls_queued += c.calls_queued.load(std::memory_order_relaxed);
    calls_running += c.calls_running.load(std::memory_order_relaxed);
    for (std::size_t k = 0; k < latency_buckets; ++k) waits.buckets[k] += load(c.wait_buckets[k]);
    waits.duration_ns += load(c.wait_ns);
    for (std::size_t i = 0; i < frames_in.size(); ++i) frames_in[i] += load(c.frames_in[i]);
    for (std::size_t i = 0; i < frames_out.size(); ++i) frames_out[i] += load(c.frames_out[i]);
    for (std::size_t b = 0; b < 2; ++b) {
      for (std::size_t s = 0; s < status_slots; ++s) disconnects[b][s] += load(c.disconnects[b][s]);
    }
    state.add(c.state);
    const std::uint32_t count = std::min<std::uint32_t>(c.message_count.load(std::memory_order_acquire),
                                                        static_cast<std::uint32_t>(max_messages));
    for (std::uint32_t i = 0; i < count; ++i) {
      const MessageCounters& m = c.messages[i];
      MessageTotals& t = messages[std::string(m.name.data(), m.name_length)];
      t.calls += load(m.calls);
      for (std::size_t k = 0; k < failure_kinds; ++k) t.failures[k] += load(m.failures[k]);
      for (std::size_t k = 0; k < latency_buckets; ++k) t.buckets[k] += load(m.buckets[k]);
      t.duration_ns += load(m.duration_ns);
    }
  }

  Families f;
  f.add("spoa_connections", "SPOP connections open now", MetricType::Gauge)
      .metric.push_back(sample(static_cast<double>(connections), MetricType::Gauge));
  f.add("spoa_connections_total", "SPOP connections accepted", MetricType::Counter)
      .metric.push_back(sample(as_double(connections_total), MetricType::Counter));

  auto& in = f.add("spoa_frames_received_total", "Frames received, by frame type", MetricType::Counter);
  for (std::size_t i = 0; i < frames_in.size(); ++i) {
    in.metric.push_back(sample(as_double(frames_in[i]), MetricType::Counter, {{"type", frame_in_names[i]}}));
  }
  auto& out = f.add("spoa_frames_sent_total", "Frames sent, by frame type", MetricType::Counter);
  for (std::size_t i = 0; i < frames_out.size(); ++i) {
    out.metric.push_back(sample(as_double(frames_out[i]), MetricType::Counter, {{"type", frame_out_names[i]}}));
  }
  f.add("spoa_notifies_total", "Whole NOTIFYs received", MetricType::Counter)
      .metric.push_back(sample(as_double(notifies), MetricType::Counter));

  auto& disc = f.add("spoa_disconnects_total", "DISCONNECT frames, by sender and status code", MetricType::Counter);
  for (std::size_t b = 0; b < 2; ++b) {
    for (std::size_t s = 0; s < status_slots; ++s) {
      if (disconnects[b][s] == 0) continue;  // only the codes that occurred
      disc.metric.push_back(sample(as_double(disconnects[b][s]), MetricType::Counter,
                                   {{"by", by_names[b]}, {"status", status_label(s)}}));
    }
  }

  auto& calls = f.add("spoa_messages_total", "Handler calls, by message name", MetricType::Counter);
  auto& errors = f.add("spoa_message_errors_total",
                       "Failed handler calls, by message name and reason (timeout: stopped by --call-budget)",
                       MetricType::Counter);
  auto& latency = f.add("spoa_handler_duration_seconds", "Handler call duration, by message name",
                        MetricType::Histogram);
  for (const auto& [name, t] : messages) {
    calls.metric.push_back(sample(as_double(t.calls), MetricType::Counter, {{"message", name}}));
    for (std::size_t k = 0; k < failure_kinds; ++k) {
      errors.metric.push_back(
          sample(as_double(t.failures[k]), MetricType::Counter, {{"message", name}, {"reason", failure_names[k]}}));
    }
    latency.metric.push_back(histogram(t, {{"message", name}}));
  }
  f.add("spoa_calls_queued", "NOTIFYs waiting for an executor thread now", MetricType::Gauge)
      .metric.push_back(sample(static_cast<double>(calls_queued), MetricType::Gauge));
  f.add("spoa_calls_running", "NOTIFYs whose handlers run on an executor thread now", MetricType::Gauge)
      .metric.push_back(sample(static_cast<double>(calls_running), MetricType::Gauge));
  f.add("spoa_call_wait_seconds", "Time from a NOTIFY's arrival to its first handler starting on an executor thread",
        MetricType::Histogram)
      .metric.push_back(histogram(waits, {}));
  f.add("spoa_messages_unhandled_total", "Messages no script registered a handler for", MetricType::Counter)
      .metric.push_back(sample(as_double(unhandled), MetricType::Counter));

  auto& reloads = f.add("spoa_reloads_total", "Script reloads (SIGHUP), per worker, by result", MetricType::Counter);
  reloads.metric.push_back(sample(as_double(reloads_ok), MetricType::Counter, {{"result", "ok"}}));
  reloads.metric.push_back(sample(as_double(reloads_failed), MetricType::Counter, {{"result", "failed"}}));
  state.report(f);
  f.add("spoa_worker_restarts_total", "Workers restarted after they died", MetricType::Counter)
      .metric.push_back(sample(as_double(load(seg.supervisor().worker_restarts)), MetricType::Counter));
  f.add("spoa_workers", "Worker processes running", MetricType::Gauge)
      .metric.push_back(sample(static_cast<double>(seg.supervisor().workers_running.load(std::memory_order_relaxed)),
                               MetricType::Gauge));
  return f.take();
}

class Collector final : public prometheus::Collectable {
 public:
  explicit Collector(const Segment& segment) : segment_(segment) {}
  std::vector<MetricFamily> Collect() const override { return collect(segment_); }

 private:
  const Segment& segment_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> make_collector(const Segment& segment) {
  return std::make_shared<Collector>(segment);
}

std::string render_text(const Segment& segment) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collect(segment));
  return out.str();
}

}  // namespace spoa::metrics
