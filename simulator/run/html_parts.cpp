#include "simulator/run/html_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace spop::sim::html {


std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string latency_svg(const LatencyHistogram& h, std::string_view label) {
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + fmt(chart_w, 0) + "' height='" +
                    fmt(chart_h, 0) + "' role='img' aria-label='" + escape(label) + "'>";
  if (h.count() == 0) return svg + "<text x='20' y='40'>no completed request</text></svg>";
  const auto& counts = h.counts();
  std::size_t first = LatencyHistogram::bucket_count, last = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) {
      first = std::min(first, i);
      last = i;
    }
  const std::size_t span = last - first + 1;
  const std::size_t bars = std::min<std::size_t>(span, 60);
  std::vector<std::uint64_t> merged(bars, 0);
  for (std::size_t i = first; i <= last; ++i) merged[(i - first) * bars / span] += counts[i];
  const std::uint64_t top = *std::max_element(merged.begin(), merged.end());
  const double plot_w = chart_w - pad_l - pad_r, plot_h = chart_h - pad_t - pad_b;
  const double bw = plot_w / static_cast<double>(bars);
  for (std::size_t b = 0; b < bars; ++b) {
    const double hgt = plot_h * static_cast<double>(merged[b]) / static_cast<double>(top);
    const std::size_t bucket = first + b * span / bars;
    svg += "<rect x='" + fmt(pad_l + bw * static_cast<double>(b), 1) + "' y='" + fmt(pad_t + plot_h - hgt, 1) +
           "' width='" + fmt(std::max(bw - 1, 1.0), 1) + "' height='" + fmt(hgt, 1) + "' fill='#4a7ebb'><title>&gt;= " +
           fmt(static_cast<double>(LatencyHistogram::bucket_low(bucket)) / 1e6) + " ms: " + std::to_string(merged[b]) +
           "</title></rect>";
  }
  // x labels: lowest, middle and highest bucket bounds.
  for (std::size_t b : {std::size_t{0}, bars / 2, bars - 1}) {
    const std::size_t bucket = first + b * span / bars;
    svg += "<text x='" + fmt(pad_l + bw * static_cast<double>(b), 1) + "' y='" + fmt(chart_h - 20, 0) +
           "' font-size='11'>" + fmt(static_cast<double>(LatencyHistogram::bucket_low(bucket)) / 1e6) + " ms</text>";
  }
  svg += "<text x='4' y='" + fmt(pad_t + 10, 0) + "' font-size='11'>" + std::to_string(top) + "</text>";
  svg += "<text x='" + fmt(pad_l, 0) + "' y='" + fmt(chart_h - 4, 0) +
         "' font-size='11'>latency (log-spaced buckets); bar height = requests</text>";
  return svg + "</svg>";
}

std::string row(std::initializer_list<std::string> cells) {
  std::string out = "<tr>";
  for (const std::string& c : cells) out += "<td>" + escape(c) + "</td>";
  return out + "</tr>";
}

std::string page_start(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>" + escape(title) +
         "</title><style>"
         "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin-bottom:1em}"
         "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.bad{color:#c0392b}.ok{color:#27ae60}"
         "</style></head><body>\n";
}

}  // namespace spop::sim::html
