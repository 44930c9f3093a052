// ScriptReloader (see script_reload.hpp).
#include "agent/script_reload.hpp"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <thread>
#include <utility>

namespace spoa {

struct ScriptReloader::Mailbox {
  std::mutex mutex;
  boost::asio::io_context* io = nullptr;  // null once the reloader is gone
  Done done;
};

ScriptReloader::ScriptReloader(boost::asio::io_context& io, Done done) : mailbox_(std::make_shared<Mailbox>()) {
  mailbox_->io = &io;
  mailbox_->done = [this, done = std::move(done)](LoadedScripts loaded) {
    busy_ = false;
    done(std::move(loaded));
  };
}

ScriptReloader::~ScriptReloader() {
  std::lock_guard lock(mailbox_->mutex);
  mailbox_->io = nullptr;
}

bool ScriptReloader::start(const std::vector<std::filesystem::path>& files, const EngineOptions& options,
                           unsigned threads) {
  if (busy_) return false;
  auto load = [files, options, threads, mailbox = mailbox_] {
    auto loaded = std::make_shared<LoadedScripts>();
    try {
      loaded->scripts = exec::ScriptSet::load(files, options, threads);
    } catch (const std::exception& e) {  // StartupError (naming the file), or an engine that cannot start
      loaded->error = e.what();
    }
    std::lock_guard lock(mailbox->mutex);
    if (mailbox->io == nullptr) return;  // the worker is gone; `loaded` is freed here
    boost::asio::post(*mailbox->io, [mailbox, loaded] {
      if (mailbox->io != nullptr) mailbox->done(std::move(*loaded));
    });
  };
  // Like the executor threads: no process-directed signal for this thread.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  try {
    std::thread(std::move(load)).detach();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  busy_ = true;
  return true;
}

}  // namespace spoa
