// Pieces of spop-sim's self-contained HTML reports (run and replay): escaping, number formatting, table
// rows, the page's head, and the latency histogram in inline SVG.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "simulator/run/histogram.hpp"

namespace spop::sim::html {

std::string escape(std::string_view s);
/// `v` with `decimals` decimals.
std::string fmt(double v, int decimals = 3);
/// "<tr><td>...</td>...</tr>" with every cell escaped.
std::string row(std::initializer_list<std::string> cells);
/// The start of a page up to and including <body>, with the reports' style sheet.
std::string page_start(std::string_view title);
/// Bars for the non-empty range of latency buckets, merged into at most 60 bars on a log-spaced axis.
std::string latency_svg(const LatencyHistogram& h, std::string_view label = "latency histogram");

inline constexpr double chart_w = 720, chart_h = 240, pad_l = 60, pad_b = 40, pad_t = 10, pad_r = 10;

}  // namespace spop::sim::html
