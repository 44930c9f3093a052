// The --record options (see record_options.hpp).
#include "agent/record_options.hpp"

#include <tclap/CmdLine.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "agent/options.hpp"

namespace spoa {

namespace {

constexpr std::uint64_t min_record_rotation_size = std::uint64_t{64} << 10;

std::string rotation_size_text(std::uint64_t bytes) {
  for (const auto& [shift, unit] : {std::pair{30, "G"}, std::pair{20, "M"}, std::pair{10, "K"}}) {
    if (bytes >= (std::uint64_t{1} << shift) && bytes % (std::uint64_t{1} << shift) == 0)
      return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes);
}

}  // namespace

std::optional<double> parse_sample_ratio(std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (percent) v /= 100;
  if (!(v > 0) || v > 1) return std::nullopt;
  return v;
}

RecordArgs::RecordArgs(TCLAP::CmdLine& cmd) {
  // Declared bottom-up, like options.cpp, so that the usage lists --record first.
  redact_ = std::make_unique<TCLAP::MultiArg<std::string>>(
      "", "record-redact",
      "Replace the values of this NOTIFY argument in recordings by a keyed hash of the same type and length "
      "(equal values stay equal); repeatable",
      false, "arg", cmd);
  max_files_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "record-max-files", "Rotated recordings kept: FILE.1 (newest) .. FILE.N (default: 5)", false, "5", "n",
      cmd);
  max_size_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "record-max-size",
      "Rotate the recording when it reaches this size: FILE becomes FILE.1, FILE.1 FILE.2... (e.g. 100M; "
      "default: 0 = never; at least 64K)",
      false, "0", "size", cmd);
  sample_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "record-sample", "Record this share of the NOTIFYs, e.g. 0.01 or 1% (default: 1, all)", false, "1",
      "ratio", cmd);
  path_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "record",
      "Record the NOTIFYs received and the ACKs sent back into FILE (mode 0600) for spop-sim replay; all "
      "workers append to it; SIGHUP reopens it (logrotate)",
      false, "", "file", cmd);
}

RecordArgs::~RecordArgs() = default;

std::optional<RecordOptionError> RecordArgs::apply(RecordOptions& out) const {
  if (path_->isSet()) {
    if (path_->getValue().empty()) return RecordOptionError{"--record", "", "a file name"};
    out.path = path_->getValue();
  } else {
    for (const auto* a : {sample_.get(), max_size_.get(), max_files_.get()}) {
      if (a->isSet()) return RecordOptionError{"--" + a->getName(), a->getValue(), "only with --record FILE"};
    }
    if (redact_->isSet()) return RecordOptionError{"--record-redact", redact_->getValue().front(), "only with --record FILE"};
  }
  const auto sample = parse_sample_ratio(sample_->getValue());
  if (!sample) return RecordOptionError{"--record-sample", sample_->getValue(), "a share in (0, 1] such as 0.01, or 1%"};
  out.sample = *sample;
  const auto size = parse_size(max_size_->getValue());
  if (!size || (*size != 0 && *size < min_record_rotation_size)) {
    return RecordOptionError{"--record-max-size", max_size_->getValue(), "0 (never) or a size of 64K or more, e.g. 100M"};
  }
  out.max_size = *size;
  unsigned files = 0;
  const std::string& n = max_files_->getValue();
  const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), files);
  if (ec != std::errc{} || end != n.data() + n.size() || files < 1 || files > 1000) {
    return RecordOptionError{"--record-max-files", n, "1..1000"};
  }
  out.max_files = files;
  for (const std::string& name : redact_->getValue()) {
    if (name.empty()) return RecordOptionError{"--record-redact", "", "an argument name"};
    out.redact.push_back(name);
  }
  return std::nullopt;
}

std::string describe(const RecordOptions& o) {
  if (!o.enabled()) return "off";
  std::string out = o.path->string();
  char share[32];
  std::snprintf(share, sizeof share, "%g%%", o.sample * 100);
  out += o.sample >= 1 ? ", all NOTIFYs" : std::string(", ") + share + " of the NOTIFYs";
  out += o.max_size == 0 ? ", never rotated"
                         : ", rotated at " + rotation_size_text(o.max_size) + " (" + std::to_string(o.max_files) +
                               (o.max_files == 1 ? " file" : " files") + " kept)";
  if (!o.redact.empty()) {
    out += ", values of ";
    for (std::size_t i = 0; i < o.redact.size(); ++i) out += (i ? ", " : "") + o.redact[i];
    out += " redacted";
  }
  const std::filesystem::path dir = o.path->has_parent_path() ? o.path->parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) out += " (directory " + dir.string() + " does not exist)";
  else if (::access(dir.c_str(), W_OK) != 0) out += " (directory " + dir.string() + " is not writable)";
  return out;
}

RecorderSettings recorder_settings(const RecordOptions& options, std::uint32_t source, LogSink log) {
  RecorderSettings s;
  s.path = options.path.value_or(std::filesystem::path());
  s.sample = options.sample;
  s.max_size = options.max_size;
  s.max_files = options.max_files;
  s.redact = options.redact;
  s.key = options.key;
  s.source = source;
  s.log = std::move(log);
  return s;
}

}  // namespace spoa
