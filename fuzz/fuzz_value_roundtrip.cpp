// Fuzz target (structure-aware): random typed values, KV lists, NOTIFYs and ACKs are encoded, then
// decoded, and must come back equal; no builder may ever produce a frame above its size limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/kv.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"

namespace {

using fuzz::random_value;
using fuzz::require;

void roundtrip_notify(FuzzedDataProvider& in, std::uint32_t limit) {
  fuzz::Storage storage;
  struct Message {
    std::string name;
    std::vector<spop::Argument> args;
  };
  std::vector<Message> accepted;
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, in.ConsumeIntegral<std::uint64_t>(), in.ConsumeIntegral<std::uint64_t>(), limit);
  const int messages = in.ConsumeIntegralInRange<int>(0, 6);
  for (int m = 0; m < messages && storage.size() < 4000; ++m) {
    Message msg{in.ConsumeRandomLengthString(40), {}};
    const int nargs = in.ConsumeIntegralInRange<int>(0, 12);
    for (int a = 0; a < nargs && storage.size() < 4000; ++a) {
      storage.push_back(in.ConsumeRandomLengthString(20));
      const std::string_view name = storage.back();
      msg.args.push_back({name, random_value(in, storage)});
    }
    if (b.add_message(msg.name, msg.args) == spop::Errc::ok) accepted.push_back(std::move(msg));
  }
  b.finish();
  require(out.size() <= limit + spop::frame_length_prefix);
  spop::Frame f;
  std::size_t used = 0;
  require(spop::split_frame(out, limit, f, used) == spop::Errc::ok && used == out.size());
  spop::NotifyView view;
  require(spop::NotifyView::parse(f.payload, view) == spop::Errc::ok);
  require(view.message_count() == accepted.size());
  std::size_t i = 0;
  std::vector<spop::Argument> args;
  for (const auto& m : view) {
    require(m.name() == accepted[i].name);
    m.arguments(args);
    require(args.size() == accepted[i].args.size());
    for (std::size_t k = 0; k < args.size(); ++k) {
      require(args[k].name == accepted[i].args[k].name);
      require(args[k].value == accepted[i].args[k].value);
    }
    ++i;
  }
}

void roundtrip_ack(FuzzedDataProvider& in, std::uint32_t limit) {
  fuzz::Storage storage;
  std::vector<spop::Action> accepted;
  std::vector<std::byte> out;
  spop::AckBuilder b(out, in.ConsumeIntegral<std::uint32_t>(), in.ConsumeIntegral<std::uint32_t>(), limit);
  const int actions = in.ConsumeIntegralInRange<int>(0, 40);
  for (int k = 0; k < actions && storage.size() < 4000; ++k) {
    spop::Action a;
    a.scope = static_cast<spop::Scope>(in.ConsumeIntegralInRange<int>(0, 4));
    storage.push_back(in.ConsumeRandomLengthString(70));
    a.name = storage.back();
    const bool unset = in.ConsumeBool();
    a.type = unset ? spop::ActionType::unset_var : spop::ActionType::set_var;
    if (!unset) a.value = random_value(in, storage);
    const std::size_t before = b.action_count();
    const auto e = unset ? b.unset_var(a.scope, a.name) : b.set_var(a.scope, a.name, a.value);
    require(b.frame_length() <= limit);
    if (e == spop::Errc::ok) {
      accepted.push_back(a);
    } else {
      require(e == spop::Errc::frame_too_big && b.action_count() == before);
    }
  }
  b.finish();
  spop::Frame f;
  std::size_t used = 0;
  require(spop::split_frame(out, limit, f, used) == spop::Errc::ok && used == out.size());
  spop::AckContents got;
  spop::read_ack_actions(f.payload, got);
  require(got.stop_reason == spop::Errc::ok && got.actions.size() == accepted.size());
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    require(got.actions[k].type == accepted[k].type);
    require(got.actions[k].scope == accepted[k].scope);
    require(got.actions[k].name == accepted[k].name);
    require(got.actions[k].value == accepted[k].value);
  }
}

void roundtrip_kv(FuzzedDataProvider& in, std::uint32_t limit) {
  fuzz::Storage storage;
  std::vector<spop::KvItem> accepted;
  std::vector<std::byte> out;
  spop::FrameWriter fw(out, spop::FrameHeader{spop::FrameType::haproxy_hello, spop::frame_flags::fin, 0, 0}, limit);
  const int items = in.ConsumeIntegralInRange<int>(0, 20);
  for (int k = 0; k < items && storage.size() < 500; ++k) {
    storage.push_back(in.ConsumeRandomLengthString(30));
    spop::KvItem item{storage.back(), random_value(in, storage)};
    if (spop::put_kv(fw.payload(), item.key, item.value) == spop::Errc::ok) accepted.push_back(item);
  }
  fw.finish();
  spop::Frame f;
  std::size_t used = 0;
  require(spop::split_frame(out, limit, f, used) == spop::Errc::ok);
  spop::KvReader reader(f.payload);
  spop::KvItem got;
  for (const auto& want : accepted) {
    require(reader.next(got) == spop::Errc::ok);
    require(got.key == want.key && got.value == want.value);
  }
  require(reader.next(got) == spop::Errc::need_more);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto limit = in.ConsumeIntegralInRange<std::uint32_t>(spop::min_max_frame_size, 20000);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: roundtrip_notify(in, limit); break;
    case 1: roundtrip_ack(in, limit); break;
    default: roundtrip_kv(in, limit); break;
  }
  return 0;
}
