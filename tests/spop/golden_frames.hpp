// Golden frames shared by the codec tests: the example frames of spop-protocol.md §6 (hex grouped by
// field), the real HAProxy captures, and helpers that decode a payload and build it again with our encoders.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "spop/ack_builder.hpp"
#include "spop/ack_reader.hpp"
#include "spop/frame.hpp"
#include "spop/kv.hpp"
#include "spop/notify.hpp"
#include "spop/notify_builder.hpp"
#include "tests/support/hex.hpp"

namespace spop::test::golden {

// ---- spop-protocol.md §6 ----------------------------------------------------------------------
// Layout of every frame: LEN  TYPE  FLAGS  STREAM-ID  FRAME-ID  payload.

/// HAPROXY-HELLO: supported-versions "2.0", max-frame-size 16380, capabilities "pipelining,async" (85 bytes).
inline constexpr std::string_view haproxy_hello =
    "00000051 01 00000001 00 00"
    " 12 737570706f727465642d76657273696f6e73  08 03 322e30"       // supported-versions = STRING "2.0"
    " 0e 6d61782d6672616d652d73697a65  03 fcf006"                   // max-frame-size = UINT32 16380
    " 0c 6361706162696c6974696573  08 10 706970656c696e696e672c6173796e63";  // capabilities = "pipelining,async"

/// Health-check HAPROXY-HELLO: capabilities "", healthcheck true (82 bytes).
inline constexpr std::string_view healthcheck_hello =
    "0000004e 01 00000001 00 00"
    " 12 737570706f727465642d76657273696f6e73  08 03 322e30"
    " 0e 6d61782d6672616d652d73697a65  03 fcf006"
    " 0c 6361706162696c6974696573  08 00"                           // capabilities = ""
    " 0b 6865616c7468636865636b  11";                              // healthcheck = BOOL true

/// AGENT-HELLO: version "2.0", max-frame-size 16380, capabilities "pipelining" (68 bytes).
inline constexpr std::string_view agent_hello =
    "00000040 65 00000001 00 00"
    " 07 76657273696f6e  08 03 322e30"                              // version = "2.0"
    " 0e 6d61782d6672616d652d73697a65  03 fcf006"
    " 0c 6361706162696c6974696573  08 0a 706970656c696e696e67";    // capabilities = "pipelining"

/// NOTIFY sid 1 fid 1: message "check-client-ip" with ip = IPV4 127.0.0.1 (36 bytes).
inline constexpr std::string_view notify =
    "00000020 03 00000001 01 01"
    " 0f 636865636b2d636c69656e742d6970  01"                        // "check-client-ip", 1 argument
    " 02 6970  06 7f000001";                                        // ip = IPV4 127.0.0.1

/// The same NOTIFY with stream-id 300 (37 bytes).
inline constexpr std::string_view notify_sid300 =
    "00000021 03 00000001 fc03 01"
    " 0f 636865636b2d636c69656e742d6970  01"
    " 02 6970  06 7f000001";

/// ACK sid 1 fid 1: SET-VAR txn "ip_score" = INT32 42 (25 bytes).
inline constexpr std::string_view ack =
    "00000015 67 00000001 01 01"
    " 01 03 02  08 69705f73636f7265  02 2a";                        // set-var, 3 args, txn, name, INT32 42

/// ACK sid 1 fid 1: UNSET-VAR txn "ip_score" (23 bytes).
inline constexpr std::string_view ack_unset =
    "00000013 67 00000001 01 01"
    " 02 02 02  08 69705f73636f7265";                               // unset-var, 2 args, txn, name

/// ACK with no action (11 bytes).
inline constexpr std::string_view ack_empty = "00000007 67 00000001 01 01";

/// AGENT-DISCONNECT: status-code 0, message "normal" (41 bytes).
inline constexpr std::string_view agent_disconnect =
    "00000025 66 00000001 00 00"
    " 0b 7374617475732d636f6465  03 00"                             // status-code = UINT32 0
    " 07 6d657373616765  08 06 6e6f726d616c";                        // message = "normal"

struct Example {
  std::string_view name;
  std::string_view hex;
  std::size_t size;  ///< total bytes, LEN prefix included (spop-protocol.md §6)
};

inline constexpr std::array examples = {
    Example{"haproxy_hello", haproxy_hello, 85},
    Example{"healthcheck_hello", healthcheck_hello, 82},
    Example{"agent_hello", agent_hello, 68},
    Example{"notify", notify, 36},
    Example{"notify_sid300", notify_sid300, 37},
    Example{"ack", ack, 25},
    Example{"ack_unset", ack_unset, 23},
    Example{"ack_empty", ack_empty, 11},
    Example{"agent_disconnect", agent_disconnect, 41},
};

// ---- captures ---------------------------------------------------------------------------------

/// Every raw frame captured from a real HAProxy (tests/captures/<dir>/<name>.bin).
inline constexpr std::array<std::string_view, 12> captures = {
    "haproxy-2.6/hello.bin",
    "haproxy-2.6/hello-healthcheck.bin",
    "haproxy-2.6/notify-simple.bin",
    "haproxy-2.6/notify-types.bin",
    "haproxy-2.6/ack-setvar-txn-x-int32-1-sid0-fid1.bin",
    "haproxy-2.6/agent-hello.bin",
    "haproxy-2.6/agent-disconnect.bin",
    "haproxy-2.6/haproxy-disconnect-softstop.bin",
    "haproxy-3.2/hello.bin",
    "haproxy-3.2/notify-sid1.bin",
    "haproxy-3.2/notify-sid3.bin",
    "haproxy-3.2/ack-setvar-sess-ip_score-int32-42.bin",
};

/// A named whole frame (LEN prefix included).
struct NamedFrame {
  std::string name;
  std::vector<std::byte> bytes;
};

/// Every §6 example and every capture, as bytes.
inline std::vector<NamedFrame> all_frames() {
  std::vector<NamedFrame> out;
  for (const auto& e : examples) out.push_back({std::string(e.name), hex(e.hex)});
  for (std::string_view c : captures) out.push_back({std::string(c), read_file(capture(c))});
  return out;
}

/// Large enough for any test frame.
inline constexpr std::uint32_t big_limit = 1u << 24;

// ---- decode, then build again with our encoders ------------------------------------------------

/// The single whole frame in `bytes`; a test failure unless `bytes` is exactly one valid frame.
inline Frame frame_of(std::span<const std::byte> bytes, std::uint32_t max = big_limit) {
  Frame f;
  std::size_t used = 0;
  EXPECT_EQ(split_frame(bytes, max, f, used), Errc::ok);
  EXPECT_EQ(used, bytes.size());
  return f;
}

/// The payload of the single frame in `frame` (which must hold exactly one frame).
inline std::vector<std::byte> payload_of(std::span<const std::byte> frame) {
  Frame f;
  std::size_t used = 0;
  if (split_frame(frame, big_limit, f, used) != Errc::ok || used != frame.size()) return {};
  return {f.payload.begin(), f.payload.end()};
}

/// Decodes a NOTIFY payload and builds it again with NotifyBuilder; nullopt if it does not decode.
inline std::optional<std::vector<std::byte>> rebuild_notify_payload(std::span<const std::byte> payload) {
  NotifyView view;
  if (NotifyView::parse(payload, view) != Errc::ok) return std::nullopt;
  std::vector<std::byte> frame;
  NotifyBuilder b(frame, 0, 0, big_limit);
  std::vector<Argument> args;
  for (const MessageView& m : view) {
    m.arguments(args);
    if (b.add_message(m.name(), args) != Errc::ok) return std::nullopt;
  }
  b.finish();
  return payload_of(frame);
}

/// Decodes an ACK payload and builds it again with AckBuilder; nullopt if reading stopped early.
inline std::optional<std::vector<std::byte>> rebuild_ack_payload(std::span<const std::byte> payload) {
  AckContents contents;
  read_ack_actions(payload, contents);
  if (contents.stop_reason != Errc::ok) return std::nullopt;
  std::vector<std::byte> frame;
  AckBuilder b(frame, 0, 0, big_limit);
  for (const Action& a : contents.actions) {
    const Errc e = a.type == ActionType::set_var ? b.set_var(a.scope, a.name, a.value) : b.unset_var(a.scope, a.name);
    if (e != Errc::ok) return std::nullopt;
  }
  b.finish();
  return payload_of(frame);
}

/// Decodes a KV-LIST payload and writes each item again with put_kv; nullopt if it does not decode.
inline std::optional<std::vector<std::byte>> rebuild_kv_payload(std::span<const std::byte> payload) {
  KvReader reader(payload);
  KvItem item;
  std::vector<std::byte> out;
  WireWriter w(out);
  while (true) {
    const Errc e = reader.next(item);
    if (e == Errc::need_more) return out;
    if (e != Errc::ok) return std::nullopt;
    if (put_kv(w, item.key, item.value) != Errc::ok) return std::nullopt;
  }
}

/// The payload decoded with the decoder of its frame type and encoded again.
inline std::optional<std::vector<std::byte>> rebuild_payload(FrameType type, std::span<const std::byte> payload) {
  switch (type) {
    case FrameType::notify: return rebuild_notify_payload(payload);
    case FrameType::ack: return rebuild_ack_payload(payload);
    default: return rebuild_kv_payload(payload);
  }
}

}  // namespace spop::test::golden
