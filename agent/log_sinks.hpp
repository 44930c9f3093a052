// spdlog sinks for syslog (a datagram per record to a unix socket, /dev/log by default) and for the
// systemd journal (sd_journal_send with spoa's fields). stderr uses spdlog's own sink.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <filesystem>
#include <mutex>

namespace spoa {

/// One RFC 3164 datagram per record: "<PRI>Mmm dd hh:mm:ss spoa[pid]: body", the body rendered by
/// the sink's formatter. A multi-line record stays one datagram. The socket path is an option so
/// that a container without /dev/log, or a test, can point it elsewhere; records are dropped (with
/// one note on stderr) while nothing listens there.
class SyslogSocketSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SyslogSocketSink(std::filesystem::path socket, int facility);
  ~SyslogSocketSink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool connect_socket();

  std::filesystem::path path_;
  int facility_;
  int fd_ = -1;
  bool warned_ = false;
};

/// One journal entry per record with the fields of journal_fields(). Formatting is ignored: the
/// journal stores fields, not lines. Without a journal, records are dropped with one note on stderr.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool warned_ = false;
};

}  // namespace spoa
