// How a log record is rendered: text lines (a spdlog pattern with spoa's own flags), JSON lines, and
// the field list of a systemd journal entry. Shared by every sink of logging.cpp.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/logging.hpp"

namespace spoa {

/// Text: "2026-01-31 12:00:00.123 [warning] [w2 4242] c17 s300/f1 check-ip: text" with `with_time`,
/// else "[w2 4242] c17 s300/f1 check-ip: text" (syslog adds its own time and severity).
std::unique_ptr<spdlog::formatter> make_text_formatter(bool with_time);

/// JSON lines: {"time":"2026-01-31T12:00:00.123Z","level":"warning","worker":"w2","pid":4242,
/// "conn":17,"stream":300,"frame":1,"spop_message":"check-ip","message":"text"}. Keys without a value
/// in the record's context are left out. A multi-line text (a traceback) stays one object.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// The "KEY=value" fields of a journal entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, SPOA_WORKER,
/// SPOA_PID, and SPOA_CONN, SPOA_STREAM, SPOA_FRAME, SPOA_MESSAGE when the context has them.
std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view text,
                                        const LogContext& context);

/// syslog(3) severity (LOG_ERR...) of a spdlog level.
int syslog_severity(spdlog::level::level_enum level) noexcept;

}  // namespace spoa
