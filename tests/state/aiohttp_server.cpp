// AiohttpServer (see aiohttp_server.hpp).
#include "tests/state/aiohttp_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/state/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa::test {

namespace {

// Binds port 0, writes the port it got to <dir>/port (renamed into place: never read half-written).
constexpr const char* server_source = R"PY(
import os, sys
from aiohttp import web
async def score(request):
    return web.Response(text=request.match_info['ip'].rsplit('.', 1)[-1])
async def main():
    app = web.Application()
    app.router.add_get('/score/{ip}', score)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    with open(os.path.join(sys.argv[1], 'port.tmp'), 'w') as f:
        f.write(str(port))
    os.rename(os.path.join(sys.argv[1], 'port.tmp'), os.path.join(sys.argv[1], 'port'))
    await asyncio.Event().wait()
import asyncio
asyncio.run(main())
)PY";

// Debian's interpreter, whose dist-packages hold python3-aiohttp (a pyenv or venv python3 earlier in
// PATH may not have it).
std::string python() { return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

}  // namespace

bool aiohttp_available() {
  const pid_t pid = spawn_quietly({python(), "-c", "import aiohttp"});
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

AiohttpServer::AiohttpServer() : dir_(spop::test::scratch_dir("aiohttp")) {
  pid_ = spawn_quietly({python(), "-c", server_source, dir_.string()});
  if (pid_ <= 0) return;
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // a hang guard
  while (std::chrono::steady_clock::now() < guard) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: aiohttp missing or broken
      pid_ = -1;
      return;
    }
    std::ifstream in(dir_ / "port");
    unsigned port = 0;
    if (in >> port && port > 0 && port < 65536) {
      port_ = static_cast<std::uint16_t>(port);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

AiohttpServer::~AiohttpServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace spoa::test
