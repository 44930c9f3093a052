// spoa's recording options (--record, --record-sample, --record-max-size, --record-max-files,
// --record-redact; issue 27) and the recorder settings they describe (agent/recorder.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/option_group.hpp"
#include "agent/recorder.hpp"

namespace spoa {

/// Rotated files kept unless --record-max-files says otherwise: FILE.1 .. FILE.5.
inline constexpr unsigned default_record_max_files = 5;

struct RecordOptions {
  std::optional<std::filesystem::path> path;  ///< --record FILE; nullopt: recording off
  double sample = 1.0;                        ///< --record-sample RATIO in (0, 1]
  std::uint64_t max_size = 0;                 ///< --record-max-size SIZE; 0 = never rotate
  unsigned max_files = default_record_max_files;  ///< --record-max-files N
  std::vector<std::string> redact;            ///< --record-redact ARG (repeatable)
  /// The agent's redaction key: drawn once by main() before any worker is forked, so that every worker
  /// and every rotated file of one agent run share it (and a restart draws a new one). Never written.
  spop::recording::RedactionKey key;
  bool enabled() const noexcept { return path.has_value(); }
};

/// A bad value, reported by options.cpp like its other bad values.
using RecordOptionError = OptionError;

/// The five TCLAP arguments, added to `cmd` on construction (they must outlive cmd.parse()).
class RecordArgs {
 public:
  explicit RecordArgs(TCLAP::CmdLine& cmd);
  ~RecordArgs();
  RecordArgs(const RecordArgs&) = delete;
  RecordArgs& operator=(const RecordArgs&) = delete;

  /// Checks the parsed values into `out`; the first bad one otherwise (a --record-* option without
  /// --record is one).
  std::optional<RecordOptionError> apply(RecordOptions& out) const;

 private:
  std::unique_ptr<TCLAP::ValueArg<std::string>> path_, sample_, max_size_, max_files_;
  std::unique_ptr<TCLAP::MultiArg<std::string>> redact_;
};

/// The line --check prints: "FILE, all NOTIFYs, rotated at 100M (5 files kept), values of src, xff
/// redacted". Also says whether FILE's directory is missing or not writable.
std::string describe(const RecordOptions& options);

/// What a worker's Recorder is made of: the options with the agent's redaction key (options.key), the
/// worker's pid as the records' source, and where its log lines go.
RecorderSettings recorder_settings(const RecordOptions& options, std::uint32_t source, LogSink log);

/// "0.01" and "1" (a share in (0, 1]) or "5%"; nullopt otherwise.
std::optional<double> parse_sample_ratio(std::string_view text);

}  // namespace spoa
