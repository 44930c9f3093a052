// Atomic write of the ready file: temporary file, fsync-free rename (readers only need atomicity).
#include "agent/ready_file.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "agent/listener.hpp"

namespace spoa {

bool write_ready_file(const std::filesystem::path& path, const Listeners& listeners) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& s : listeners.sockets()) out << s.ready_line() << '\n';
    out.flush();
    if (!out) {
      spdlog::error("cannot write the ready file {}: {}", tmp.string(), std::strerror(errno));
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    spdlog::error("cannot write the ready file {}: {}", path.string(), ec.message());
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace spoa
