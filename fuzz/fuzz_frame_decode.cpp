// Fuzz target: arbitrary bytes through frame splitting and every payload decoder.
// Invariants: no out-of-bounds read (sanitizers), and every accepted payload re-encodes to bytes that
// decode to the same contents and re-encode to themselves (a fixpoint: the encoder is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "spop/kv.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::byte> reencode_notify(const spop::Frame& f, const spop::NotifyView& view) {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, f.header.stream_id, f.header.frame_id, 1u << 30);
  std::vector<spop::Argument> args;
  for (const auto& m : view) {
    m.arguments(args);
    require(args.size() == m.argument_count());
    require(b.add_message(m.name(), args) == spop::Errc::ok);
  }
  b.finish();
  return out;
}

void check_notify(const spop::Frame& f) {
  spop::NotifyView view;
  if (spop::NotifyView::parse(f.payload, view) != spop::Errc::ok) return;
  std::size_t n = 0;
  for (auto it = view.begin(); it != view.end(); ++it) ++n;
  require(n == view.message_count());
  const auto once = reencode_notify(f, view);
  spop::Frame again;
  std::size_t used = 0;
  require(spop::split_frame(once, 1u << 30, again, used) == spop::Errc::ok && used == once.size());
  spop::NotifyView view2;
  require(spop::NotifyView::parse(again.payload, view2) == spop::Errc::ok);
  require(view2.message_count() == view.message_count());
  require(reencode_notify(again, view2) == once);
}

void check_ack(const spop::Frame& f) {
  spop::AckContents contents;
  spop::read_ack_actions(f.payload, contents);
  require(contents.stop_offset <= f.payload.size());
  std::vector<std::byte> out;
  spop::AckBuilder b(out, f.header.stream_id, f.header.frame_id, 1u << 30);
  for (const auto& a : contents.actions) {
    const auto e = a.type == spop::ActionType::set_var ? b.set_var(a.scope, a.name, a.value)
                                                        : b.unset_var(a.scope, a.name);
    require(e == spop::Errc::ok);
  }
  b.finish();
  spop::Frame again;
  std::size_t used = 0;
  require(spop::split_frame(out, 1u << 30, again, used) == spop::Errc::ok);
  spop::AckContents round;
  spop::read_ack_actions(again.payload, round);
  require(round.stop_reason == spop::Errc::ok);
  require(round.actions.size() == contents.actions.size());
  for (std::size_t i = 0; i < round.actions.size(); ++i) {
    require(round.actions[i].name == contents.actions[i].name);
    require(round.actions[i].scope == contents.actions[i].scope);
    require(round.actions[i].value == contents.actions[i].value);
  }
}

void check_kv(const spop::Frame& f) {
  spop::HaproxyHello hh;
  spop::AgentHello ah;
  spop::DisconnectInfo di;
  (void)spop::parse_haproxy_hello(f.payload, hh);
  (void)spop::parse_agent_hello(f.payload, ah);
  (void)spop::parse_disconnect(f.payload, di);
  spop::KvReader reader(f.payload);
  spop::KvItem item;
  spop::Errc e;
  while ((e = reader.next(item)) == spop::Errc::ok) {
    require(reader.offset() <= f.payload.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  while (!in.empty()) {
    spop::Frame f;
    std::size_t used = 0;
    if (spop::split_frame(in, spop::default_max_frame_size, f, used) != spop::Errc::ok) break;
    require(used >= spop::frame_length_prefix + spop::min_frame_length && used <= in.size());
    switch (f.header.type) {
      case spop::FrameType::notify:
      case spop::FrameType::unset: check_notify(f); break;
      case spop::FrameType::ack: check_ack(f); break;
      default: check_kv(f); break;
    }
    in = in.subspan(used);
  }
  return 0;
}
