// The worker's event loop: accept loops, a coarse timer for connection timeouts and call budgets,
// signals, drain and reload. Handlers run on the CallScheduler's executor threads, never here.
#include "agent/worker.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <vector>

#include "agent/accept_balance.hpp"
#include "agent/asio_tuple.hpp"
#include "agent/connection.hpp"
#include "agent/dispatcher.hpp"
#include "agent/executor/call_scheduler.hpp"
#include "agent/exit_status.hpp"
#include "agent/listener.hpp"
#include "agent/logging.hpp"
#include "agent/metrics_meter.hpp"
#include "agent/options.hpp"
#include "agent/recorder.hpp"
#include "agent/script_reload.hpp"
#include "agent/systemd.hpp"
#include "agent/tls/context_holder.hpp"

namespace spoa {

namespace asio = boost::asio;

namespace {

// Timeouts are checked this often: precise enough for second-scale timeouts, cheap with many connections.
constexpr std::chrono::milliseconds tick_interval{50};
// After accept() fails for lack of descriptors or memory, wait before trying again instead of spinning.
constexpr std::chrono::milliseconds accept_backoff{100};
// Repeated "connection limit reached" lines are folded into one per this period.
constexpr std::chrono::seconds limit_log_period{10};
// How long forced connections get to unwind before the worker stops its loop regardless.
constexpr std::chrono::seconds force_close_grace{1};
// Connections taken per wake-up, so that one busy listener cannot starve the others.
constexpr int accepts_per_wakeup = 64;
// How long a worker with more connections than another leaves a new connection to the other one.
constexpr std::chrono::milliseconds accept_deferral{1};
// At exit, how long executor threads get to finish the call they run (after the drain) before the worker
// exits without them.
constexpr std::chrono::milliseconds executor_grace{1000};

struct Acceptor {
  asio::posix::stream_descriptor descriptor;
  int family;
  std::string name;
};

class Worker {
 public:
  Worker(const Options& options, const Listeners& listeners, std::unique_ptr<exec::ScriptSet> scripts,
         EngineOptions engine_options, std::unique_ptr<tls::ContextHolder> tls, const WorkerParams& params)
      : options_(options),
        engine_options_(std::move(engine_options)),
        params_(params),
        tls_(std::move(tls)),
        meter_(params.metrics),
        balance_(params.balance != nullptr && params.balance->active() ? params.balance : nullptr),
        scheduler_(io_, exec::SchedulerSettings{options.threads, options.max_calls, options.engine.call_budget},
                   meter_),
        settings_{options.agent},
        connections_(io_, settings_, scheduler_),
        tick_(io_),
        drain_timer_(io_),
        slot_timer_(io_, asio::steady_timer::time_point::max()),
        signals_(io_),
        reloader_(io_, [this](LoadedScripts loaded) { on_reload_loaded(std::move(loaded)); }) {
    for (const auto& s : listeners.sockets()) {
      // Our own descriptor, so that closing it (stop accepting) leaves the other workers' copies alone.
      int fd = ::fcntl(s.fd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup " + s.display());
      acceptors_.push_back(std::make_unique<Acceptor>(Acceptor{asio::posix::stream_descriptor(io_, fd), s.family, s.display()}));
    }
    settings_.write_timeout = options.write_timeout;
    connections_.on_close([this] { on_connection_closed(); });
    tag_for_metrics(scripts->dispatcher());
    scheduler_.install(std::move(scripts));
    scheduler_.on_room([this] { connections_.wake_paused(); });
    connections_.set_meter(meter_);
    if (options.record.enabled()) {
      // Born here, in the worker: its writer thread must not exist before the fork.
      recorder_ = std::make_unique<Recorder>(
          recorder_settings(options.record, static_cast<std::uint32_t>(::getpid()), engine_log_sink()));
      connections_.set_recorder(recorder_.get());
      spdlog::debug("recording to {}", describe(options.record));
    }
    connections_.set_tls(tls_.get());
  }

  ~Worker() {
    connections_.on_close(nullptr);
    // Before the event loop goes: no executor thread may post to it afterwards.
    if (!scheduler_.stop(executor_grace)) {
      spdlog::warn("stopping with handler(s) still running on executor threads");
    }
  }

  int run() {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    if (params_.handle_sighup) signals_.add(SIGHUP);
    asio::co_spawn(io_, signal_loop(), asio::detached);
    asio::co_spawn(io_, tick_loop(), asio::detached);
    for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
    if (balance_ != nullptr) balance_->set_accepting(balance_index(), true);
    if (params_.on_ready) params_.on_ready();
    io_.run();
    if (recorder_ != nullptr) report_recording();
    return exit_status::ok;
  }

 private:
  asio::awaitable<void> signal_loop() {
    while (!finished_) {
      auto [ec, sig] = co_await signals_.async_wait(use_tuple);
      if (ec) co_return;
      if (sig == SIGHUP) {
        if (recorder_ != nullptr) recorder_->reopen();  // logrotate moved the file away
        reload();
        continue;
      }
      if (draining_) {
        spdlog::warn("{} again: closing {} connection(s) now", sig == SIGINT ? "SIGINT" : "SIGTERM",
                     connections_.size());
        drain_timer_.cancel();
        force_close_then_stop();
        continue;
      }
      begin_drain();
    }
  }

  asio::awaitable<void> tick_loop() {
    while (!finished_) {
      tick_.expires_after(tick_interval);
      auto [ec] = co_await tick_.async_wait(use_tuple);
      if (ec || finished_) co_return;
      const auto now = spop::Clock::now();
      scheduler_.tick(now);
      connections_.tick(now);
    }
  }

  asio::awaitable<void> accept_loop(Acceptor& a) {
    const int listen_fd = a.descriptor.native_handle();
    for (;;) {
      while (connections_.size() >= options_.max_connections && !draining_) {
        note_limit_reached();
        co_await slot_timer_.async_wait(use_tuple);  // cancelled when a connection closes
      }
      if (draining_) co_return;
      auto [ec] = co_await a.descriptor.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
      if (ec || draining_) co_return;
      for (int i = 0; i < accepts_per_wakeup && connections_.size() < options_.max_connections; ++i) {
        if (balance_ != nullptr && balance_->another_has_fewer(balance_index())) {
          // Leave this connection to a worker with fewer (it woke up too); take it after a moment if
          // it is still waiting, so that a busy or stuck worker never holds up a new connection.
          asio::steady_timer wait(io_, accept_deferral);
          co_await wait.async_wait(use_tuple);
          if (draining_) co_return;
        }
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
          connections_.start(fd, a.family);
          publish_connection_count();
          continue;
        }
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) break;  // drained, or another worker took it
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
        spdlog::warn("accept on {} failed: {}; pausing accepts for {} ms", a.name, std::strerror(err),
                     accept_backoff.count());
        asio::steady_timer pause(io_, accept_backoff);
        co_await pause.async_wait(use_tuple);
        break;
      }
    }
  }

  // --- reload (SIGHUP) -------------------------------------------------------------------------
  // The new scripts load on a thread of their own; the swap happens here, between two hand-offs, so
  // every call runs wholly on the old or wholly on the new set.
  void reload() {
    if (draining_) return;  // shutting down: the old scripts answer what is left
    // The certificate, key and CA first, independently of the scripts: a bad new file keeps the old
    // context (logged there); new connections use the new one, open ones keep theirs.
    if (tls_ != nullptr) tls_->reload();
    if (reloader_.busy()) {
      spdlog::warn("SIGHUP: the previous reload is still loading; this one is ignored");
      return;
    }
    // systemd hears these only from a foreground worker (-d): supervised workers forgot NOTIFY_SOCKET,
    // their supervisor speaks for the service.
    notify_reloading("reloading");
    reload_started_ = std::chrono::steady_clock::now();
    try {
      reloader_.start(options_.files, engine_options_, options_.threads);
    } catch (const std::exception& e) {
      on_reload_loaded(LoadedScripts{nullptr, std::string("cannot start the loading thread: ") + e.what()});
    }
  }

  void on_reload_loaded(LoadedScripts loaded) {
    if (finished_) return;
    bool ok = false;
    if (loaded.scripts == nullptr) {
      spdlog::error("reload failed, keeping old scripts: {}", loaded.error);
    } else if (draining_) {
      spdlog::info("reload loaded, but the worker is shutting down: keeping the old scripts");
    } else {
      const auto messages = loaded.scripts->dispatcher().message_count();
      tag_for_metrics(loaded.scripts->dispatcher());
      try {
        scheduler_.install(std::move(loaded.scripts));
        ok = true;
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                reload_started_);
        spdlog::info("reload complete: {} script(s), {} message(s) registered ({} ms)", options_.files.size(),
                     messages, took.count());
      } catch (const std::exception& e) {
        spdlog::error("reload failed, keeping old scripts: {}", e.what());
      }
    }
    meter_.reload(ok);
    if (params_.on_reload) params_.on_reload(ok);
    notify_ready(ok ? "serving the reloaded scripts (foreground, one worker)"
                    : "serving the previous scripts: the reload failed (foreground, one worker)");
  }

  // At exit, once every connection has ended: what this worker recorded.
  void report_recording() {
    recorder_->flush();
    const RecorderStats r = recorder_->stats();
    spdlog::info("recording: {} exchange(s) written to {}, {} left out by --record-sample, {} dropped", r.recorded,
                 recorder_->settings().path.string(), r.sampled_out, r.dropped);
  }

  void tag_for_metrics(Dispatcher& d) {
    if (!meter_.on()) return;
    d.tag_messages([this](std::string_view name) { return meter_.slot_for(name); });
  }

  void note_limit_reached() {
    auto now = std::chrono::steady_clock::now();
    ++limit_hits_;
    if (now - last_limit_log_ < limit_log_period && last_limit_log_.time_since_epoch().count() != 0) return;
    spdlog::warn("{} connections open (--max-connections): not accepting until one closes{}", connections_.size(),
                 limit_hits_ > 1 ? fmt::format(" (limit reached {} times since the last report)", limit_hits_) : "");
    last_limit_log_ = now;
    limit_hits_ = 0;
  }

  unsigned balance_index() const noexcept { return static_cast<unsigned>(params_.index); }

  void publish_connection_count() noexcept {
    if (balance_ != nullptr) balance_->set_connections(balance_index(), connections_.size());
  }

  void on_connection_closed() {
    publish_connection_count();
    slot_timer_.cancel();
    if (draining_ && connections_.size() == 0) finish();
  }

  void begin_drain() {
    draining_ = true;
    if (balance_ != nullptr) balance_->set_accepting(balance_index(), false);
    spdlog::info("shutting down: draining {} connection(s)", connections_.size());
    notify_stopping("draining");  // systemd: heard only with -d (supervised workers have no NOTIFY_SOCKET)
    boost::system::error_code ignored;
    for (auto& a : acceptors_) a->descriptor.close(ignored);
    slot_timer_.cancel();
    connections_.drain();
    if (connections_.size() == 0) {
      finish();
      return;
    }
    drain_timer_.expires_after(options_.drain_timeout);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      spdlog::warn("drain timeout ({} ms) reached: closing {} connection(s)", options_.drain_timeout.count(),
                   connections_.size());
      force_close_then_stop();
    });
  }

  // Closing sockets normally ends every connection within one turn of the loop; the last resort makes
  // sure a connection that fails to unwind can never keep the worker alive past shutdown.
  void force_close_then_stop() {
    connections_.force_close();
    if (connections_.size() == 0) return;
    drain_timer_.expires_after(force_close_grace);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      spdlog::error("{} connection(s) did not close after being forced; stopping the worker anyway",
                    connections_.size());
      finish();
      io_.stop();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    scheduler_.stop_answering();
    tick_.cancel();
    drain_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    spdlog::debug("worker finished");
  }

  const Options& options_;
  EngineOptions engine_options_;  // for reloads
  const WorkerParams& params_;
  std::unique_ptr<tls::ContextHolder> tls_;  // nullptr: plaintext listeners
  metrics::WorkerMeter meter_;
  AcceptBalance* balance_;  // nullptr: one worker, nothing to share
  // --record (nullptr: off). Declared before everything that serves connections, so destroyed after
  // them: a connection that ends records the NOTIFYs it leaves unanswered. Its destructor writes what
  // is still buffered.
  std::unique_ptr<Recorder> recorder_;
  // Declared before io_ and connections_ (so destroyed after them: a connection destroyed with io_
  // forgets its calls in a live scheduler); its threads are stopped in ~Worker(), before io_ goes.
  exec::CallScheduler scheduler_;
  ConnectionSettings settings_;
  // connections_ only keeps a reference to io_ and is declared first so that it outlives io_: if
  // io_ is destroyed with connections still pending, they unlink themselves from a live set.
  ConnectionSet connections_;
  asio::io_context io_{1};  // one thread: lets Asio skip its internal locking
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  asio::steady_timer tick_;
  asio::steady_timer drain_timer_;
  asio::steady_timer slot_timer_;
  asio::signal_set signals_;
  ScriptReloader reloader_;
  std::chrono::steady_clock::time_point reload_started_{};
  bool draining_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_limit_log_{};
  std::uint64_t limit_hits_ = 0;
};

}  // namespace

int run_worker(const Options& options, const Listeners& listeners, const WorkerParams& params) {
  // This process's copy of the store counts into this worker's slot (before scripts load: they may use it).
  if (options.engine.state != nullptr && params.metrics != nullptr) options.engine.state->count_into(&params.metrics->state);
  EngineOptions engine_options = options.engine;
  engine_options.log = engine_log_sink();
  std::unique_ptr<exec::ScriptSet> scripts;
  try {
    scripts = exec::ScriptSet::load(options.files, engine_options, options.threads);
  } catch (const StartupError& e) {
    spdlog::critical("cannot start: {}", e.what());
    return exit_status::load_failure;
  }
  if (!options.files.empty()) {
    spdlog::debug("{} script(s) loaded: {} message(s) registered, {} executor thread(s) per language",
                  options.files.size(), scripts->dispatcher().message_count(), options.threads);
  }
  std::unique_ptr<tls::ContextHolder> tls;
  if (options.tls.enabled()) {
    // Read by each worker (a restarted worker reads the files as they are now); main() has checked them
    // once before forking, so a failure here means they changed since.
    try {
      tls = std::make_unique<tls::ContextHolder>(options.tls);
    } catch (const std::exception& e) {
      spdlog::critical("cannot start: TLS: {}", e.what());
      return exit_status::load_failure;
    }
    spdlog::debug("serving TLS with {}", tls->certificate());
  }
  try {
    Worker worker(options, listeners, std::move(scripts), std::move(engine_options), std::move(tls), params);
    return worker.run();
  } catch (const std::system_error& e) {  // executor threads that cannot start
    spdlog::critical("cannot start: {}", e.what());
    return exit_status::load_failure;
  }
}

}  // namespace spoa
