// The report's renderings: the JSON structure machines rely on, the text summary, and an HTML page
// that stands alone (inline SVG, nothing fetched).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "simulator/run/run_report.hpp"

namespace spop::sim {
namespace {

using testing::HasSubstr;

RunReport sample_report() {
  RunReport r;
  r.agent = "127.0.0.1:12345";
  r.profile = "2.6";
  r.mode = "closed loop, 1 connection(s) x 1 in flight";
  r.elapsed_s = 2;
  r.sent = 12;
  r.completed = 10;
  r.errors = 2;
  r.errors_by_kind["processing timeout"] = 2;
  for (int i = 1; i <= 10; ++i) r.latency.record(std::uint64_t(i) * 1'000'000);  // 1..10 ms
  r.variables["m1"]["txn.p.score"] = VariableSeen{10, {{"int32", 10}}, "int32:42"};
  FaultOutcome f;
  f.name = "oversize_frame";
  f.injected = 1;
  f.reactions["AGENT-DISCONNECT 3 \"frame is too big\""] = 1;
  f.expected = "AGENT-DISCONNECT 3";
  r.faults.push_back(f);
  r.violations.push_back(Violation{"latency p99", "is 10000us, above 5ms", {"s.yaml", 3, 5}});
  r.violation_count = 1;
  r.timeline = {{0, 5, 0}, {0.1, 5, 2}};
  r.warnings.push_back("a <warning> & more");
  return r;
}

TEST(RunReportJson, HasTheDocumentedStructure) {
  const nlohmann::json j = to_json(sample_report());
  for (const char* k : {"agent", "profile", "mode", "elapsed_s", "sent", "completed", "errors", "error_rate", "aborted",
                        "ignored_acks", "connections_opened", "bytes_out", "bytes_in", "cpu_s", "cpu_us_per_notify",
                        "throughput_rps", "latency", "errors_by_kind", "anomalies", "variables", "faults", "warnings",
                        "expectations", "timeline", "healthcheck"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_DOUBLE_EQ(j["throughput_rps"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(j["error_rate"].get<double>(), 2.0 / 12.0);
  EXPECT_EQ(j["latency"]["count"], 10);
  EXPECT_NEAR(j["latency"]["p50_ms"].get<double>(), 5.0, 5.0 / 64);  // within the bucket precision
  EXPECT_DOUBLE_EQ(j["latency"]["max_ms"].get<double>(), 10.0);
  EXPECT_EQ(j["errors_by_kind"]["processing timeout"], 2);
  EXPECT_EQ(j["variables"]["m1"]["txn.p.score"]["types"]["int32"], 10);
  EXPECT_EQ(j["faults"][0]["name"], "oversize_frame");
  EXPECT_EQ(j["faults"][0]["haproxy_accepts"], true);
  EXPECT_EQ(j["expectations"]["passed"], false);
  EXPECT_EQ(j["expectations"]["violations"][0]["where"], "s.yaml:3:5");
  EXPECT_EQ(j["timeline"]["slices"][1][2], 2);
  EXPECT_TRUE(j["healthcheck"].is_null());
}

TEST(RunReportText, SummarisesAndListsFailures) {
  const std::string t = to_text(sample_report());
  EXPECT_THAT(t, HasSubstr("12 NOTIFYs sent, 10 answered, 2 errors"));
  EXPECT_THAT(t, HasSubstr("p99.9"));
  EXPECT_THAT(t, HasSubstr("2  processing timeout"));
  EXPECT_THAT(t, HasSubstr("txn.p.score  int32 x10  e.g. int32:42"));
  EXPECT_THAT(t, HasSubstr("fault oversize_frame: injected 1, HAProxy would accept"));
  EXPECT_THAT(t, HasSubstr("FAILED: 1 expectation violation(s)"));
  EXPECT_THAT(t, HasSubstr("s.yaml:3:5: latency p99"));
}

TEST(RunReportHtml, IsSelfContainedWithBothCharts) {
  const std::string h = to_html(sample_report());
  EXPECT_THAT(h, HasSubstr("aria-label='latency histogram'"));
  EXPECT_THAT(h, HasSubstr("aria-label='throughput over time'"));
  EXPECT_THAT(h, HasSubstr("<polyline"));
  EXPECT_THAT(h, HasSubstr("a &lt;warning&gt; &amp; more"));  // escaped
  EXPECT_THAT(h, testing::Not(HasSubstr("<script")));
  EXPECT_THAT(h, testing::Not(HasSubstr("href=")));
  EXPECT_THAT(h, testing::Not(HasSubstr("src=")));
}

}  // namespace
}  // namespace spop::sim
