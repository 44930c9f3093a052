// SchedulerHarness (see scheduler_harness.hpp).
#include "tests/executor/scheduler_harness.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/notify_builder.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa::exec::test {

using namespace std::chrono_literals;

void RecordingOwner::call_answered(Call& call) {
  const auto frame = call.ack_frame();
  spop::Frame parsed;
  Answer answer;
  if (spop::decode_frame(frame.subspan(spop::frame_length_prefix), parsed) == spop::Errc::ok) {
    answer.stream = parsed.header.stream_id;
    spop::AckContents contents;
    spop::read_ack_actions(parsed.payload, contents);
    for (const auto& a : contents.actions) {
      answer.vars.emplace_back(std::string(a.name), a.value.is_null() ? -1 : static_cast<std::int64_t>(a.value.as_uint64()));
    }
  }
  answers.push_back(std::move(answer));
}

SchedulerHarness::SchedulerHarness(SchedulerSettings settings)
    : settings_(settings),
      scheduler_(std::make_unique<CallScheduler>(io_, settings_, metrics::WorkerMeter{})),
      dir_(spop::test::scratch_dir("executor")) {
  options.call_budget = settings_.call_budget;
}

SchedulerHarness::~SchedulerHarness() {
  scheduler_->stop(5s);
  scheduler_.reset();
}

std::filesystem::path SchedulerHarness::script(const std::string& name, const std::string& text) {
  const auto path = dir_ / name;
  std::ofstream(path) << text;
  return path;
}

void SchedulerHarness::install(const std::vector<std::filesystem::path>& files) {
  scheduler_->install(ScriptSet::load(files, options, settings_.threads));
}

bool SchedulerHarness::submit(std::uint64_t stream, const std::vector<std::string>& messages, RecordingOwner& owner,
                              const std::vector<spop::Argument>& args, bool hand_over) {
  std::vector<std::byte> frame;
  spop::NotifyBuilder builder(frame, stream, 1, 16380);
  for (const auto& m : messages) builder.add_message(m, args);
  builder.finish();
  spop::Frame parsed;
  if (spop::decode_frame(std::span<const std::byte>(frame).subspan(spop::frame_length_prefix), parsed) !=
      spop::Errc::ok) {
    throw std::runtime_error("bad NOTIFY");
  }
  spop::NotifyView view;
  if (spop::NotifyView::parse(parsed.payload, view) != spop::Errc::ok) throw std::runtime_error("bad payload");
  Call& call = scheduler_->acquire();
  call.prepare(1, stream, 1, view, 16380);  // copies the payload: `frame` may go
  if (!scheduler_->submit(call, owner)) {
    scheduler_->discard(call);
    return false;
  }
  if (hand_over) scheduler_->flush();
  return true;
}

bool SchedulerHarness::run_until(const std::function<bool()>& done) {
  const auto guard = std::chrono::steady_clock::now() + 30s;  // a hang guard, not a timing assertion
  while (!done()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    io_.restart();
    io_.run_for(10ms);
    scheduler_->tick(std::chrono::steady_clock::now());
  }
  return true;
}

std::filesystem::path SchedulerHarness::gate(const std::string& name) {
  const auto path = dir_ / name;
  if (::mkfifo(path.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path.string());
  return path;
}

void SchedulerHarness::release(const std::filesystem::path& gate) {
  // Blocks until the handler has the FIFO open for reading; the line then ends its read.
  std::ofstream(gate) << "go\n";
}

}  // namespace spoa::exec::test
