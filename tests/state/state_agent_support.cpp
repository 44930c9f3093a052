#include "tests/state/state_agent_support.hpp"

#include "spop/ack_reader.hpp"

namespace spoa::test {

std::optional<std::map<std::string, std::int64_t>> ask(TestClient& c, std::uint64_t sid, const std::string& message) {
  if (!c.notify(sid, 1, message)) return std::nullopt;
  auto ack = c.read_frame();
  if (!ack || ack->header.type != spop::FrameType::ack || ack->header.stream_id != sid) return std::nullopt;
  spop::AckContents contents;
  spop::read_ack_actions(ack->payload, contents);
  std::map<std::string, std::int64_t> vars;
  for (const auto& a : contents.actions) vars[std::string(a.name)] = a.value.as_int64();
  return vars;
}

std::optional<std::map<std::string, std::int64_t>> ask_once(std::uint16_t port, const std::string& message) {
  TestClient c(port);
  if (!c.connected() || !c.hello()) return std::nullopt;
  return ask(c, 1, message);
}

CountingLoad::CountingLoad(std::vector<std::uint16_t> ports, int threads, std::string message, std::string variable)
    : message_(std::move(message)), variable_(std::move(variable)) {
  for (int i = 0; i < threads; ++i) {
    const std::uint16_t port = ports[static_cast<std::size_t>(i) % ports.size()];
    threads_.emplace_back([this, port] { run(port); });
  }
}

CountingLoad::~CountingLoad() { stop(); }

void CountingLoad::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::vector<std::int64_t> CountingLoad::values() const {
  std::lock_guard lock(mutex_);
  return values_;
}

void CountingLoad::run(std::uint16_t port) {
  std::optional<TestClient> c;
  std::uint64_t sid = 0;
  while (!stop_) {
    if (!c) {
      c.emplace(port);
      if (!c->connected() || !c->hello()) {
        c.reset();
        ++missing_;
        continue;
      }
    }
    auto vars = ask(*c, ++sid, message_);
    if (!vars) {
      ++missing_;
      c.reset();  // a fresh connection: the agent may have closed this one
      continue;
    }
    auto it = vars->find(variable_);
    if (it == vars->end()) {
      ++failed_;
      continue;
    }
    ++ok_;
    std::lock_guard lock(mutex_);
    values_.push_back(it->second);
  }
}

}  // namespace spoa::test
