#include "spop-cli/trace.hpp"

#include <cstdio>

#include "spop-cli/frame_printer.hpp"
#include "spop-cli/hex_text.hpp"

namespace spop_cli {

Tracer::Tracer(std::ostream& os) : os_(os), start_(std::chrono::steady_clock::now()) {}

void Tracer::record(bool outgoing, std::span<const std::byte> bytes) {
  FrameStream& stream = outgoing ? out_ : in_;
  std::vector<std::byte>& raw = outgoing ? raw_out_ : raw_in_;
  const bool had_error = stream.error().has_value();
  raw.insert(raw.end(), bytes.begin(), bytes.end());
  frames_.clear();
  stream.append(bytes, frames_);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  char when[32];
  std::snprintf(when, sizeof when, "[%9.3f ms] ", ms);
  std::size_t used = 0;
  for (const FrameModel& f : frames_) {
    const std::size_t size = spop::frame_length_prefix + f.length;
    os_ << when << (outgoing ? "haproxy -> agent: " : "agent -> haproxy: ") << frame_summary(f) << '\n'
        << hex_dump(std::span<const std::byte>(raw).subspan(used, size), "    ");
    if (f.issue) os_ << "    error at byte " << f.issue->offset << ": " << f.issue->reason << '\n';
    used += size;
  }
  raw.erase(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(used));
  if (!had_error && stream.error()) {
    os_ << when << (outgoing ? "haproxy -> agent: " : "agent -> haproxy: ") << "byte " << stream.error()->offset << ": "
        << stream.error()->reason << '\n'
        << hex_dump(raw, "    ");
  }
  if (stream.error()) raw.clear();
}

}  // namespace spop_cli
