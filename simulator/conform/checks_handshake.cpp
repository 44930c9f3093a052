// Handshake checks (HS-*): what the agent answers to HAPROXY-HELLOs of every legal and illegal shape.
#include <string>

#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

constexpr std::string_view engine_id = "5ee0c0de-0000-4000-8000-000000000001";

// A HELLO the agent must accept: AGENT-HELLO expected, with max-frame-size within `offered`.
Outcome accepts(Context& ctx, const Bytes& hello, std::uint32_t offered = default_max_frame_size) {
  Session s(ctx);
  if (std::string e = s.handshake_with(hello, offered); !e.empty()) return fail(e);
  return pass("version " + s.hello().version + ", max-frame-size " + std::to_string(s.frame_size()) +
              ", capabilities \"" + s.hello().capabilities + "\"");
}

Value str(std::string_view s) { return Value::string(s); }

std::string_view profile_caps(const Context& ctx) {
  return ctx.profile == HaproxyProfile::v2_6 ? "pipelining,async" : "pipelining";
}

Outcome standard(Context& ctx) { return accepts(ctx, standard_hello(ctx.profile)); }

Outcome minimum_frame_size(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake(min_max_frame_size); !e.empty()) return fail(e);
  AckReply ack;
  if (std::string e = s.round_trip(standard_message, standard_args(), ack); !e.empty()) {
    return fail("after agreeing on 256 bytes: " + e);
  }
  return pass();
}

Outcome smaller_frame_size(Context& ctx) { return accepts(ctx, standard_hello(ctx.profile, 1024), 1024); }

Outcome frame_size_uint64(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint64(default_max_frame_size)},
                      {keys::capabilities, str(profile_caps(ctx))},
                      {keys::engine_id, str(engine_id)}};
  return accepts(ctx, hello_frame(items));
}

Outcome no_capabilities(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str("")},
                      {keys::engine_id, str(engine_id)}};
  Session s(ctx);
  if (std::string e = s.handshake_with(hello_frame(items), default_max_frame_size); !e.empty()) return fail(e);
  AckReply ack;
  if (std::string e = s.round_trip(standard_message, standard_args(), ack); !e.empty()) {
    return fail("in sync mode: " + e);
  }
  return pass();
}

Outcome spaced_capabilities(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str(" async , foo,  pipelining ,bar-2 ")},
                      {keys::engine_id, str(engine_id)}};
  return accepts(ctx, hello_frame(items));
}

Outcome missing_capabilities(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::engine_id, str(engine_id)}};
  return accepts(ctx, hello_frame(items));
}

Bytes hello_with_versions(std::string_view versions) {
  const Kv items[] = {{keys::supported_versions, str(versions)},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str("pipelining")},
                      {keys::engine_id, str(engine_id)}};
  return hello_frame(items);
}

Outcome unsupported_version(Context& ctx) { return must_refuse(ctx, SendAt::start, hello_with_versions("1.0")); }
Outcome unsupported_version_status(Context& ctx) {
  return should_refuse_with(ctx, SendAt::start, hello_with_versions("1.0"), {Status::unsupported_version});
}
Outcome version_list(Context& ctx) { return accepts(ctx, hello_with_versions(" 1.5 , 2.0 ")); }

Bytes hello_without_versions() {
  const Kv items[] = {{keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str("pipelining")},
                      {keys::engine_id, str(engine_id)}};
  return hello_frame(items);
}

Outcome missing_version(Context& ctx) { return must_refuse(ctx, SendAt::start, hello_without_versions()); }
Outcome missing_version_status(Context& ctx) {
  return should_refuse_with(ctx, SendAt::start, hello_without_versions(), {Status::no_version});
}

Outcome missing_frame_size(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::capabilities, str("pipelining")},
                      {keys::engine_id, str(engine_id)}};
  return should_refuse_with(ctx, SendAt::start, hello_frame(items), {Status::no_max_frame_size});
}

Outcome frame_size_below_minimum(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(255)},
                      {keys::capabilities, str("pipelining")}};
  return should_refuse_with(ctx, SendAt::start, hello_frame(items), {Status::bad_max_frame_size});
}

Outcome key_order(Context& ctx) {
  const Kv items[] = {{keys::engine_id, str(engine_id)},
                      {keys::capabilities, str(profile_caps(ctx))},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::supported_versions, str("2.0")}};
  return accepts(ctx, hello_frame(items));
}

Outcome unknown_keys(Context& ctx) {
  Ipv6Address v6;
  parse_ipv6("2001:db8::1", v6);
  const Kv items[] = {{"x-first", Value::int64(-1)},
                      {keys::supported_versions, str("2.0")},
                      {"x-binary", Value::binary(std::string_view("\0\1\2", 3))},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {"x-null", Value::null()},
                      {keys::capabilities, str(profile_caps(ctx))},
                      {"x-ipv6", Value::ipv6(v6)},
                      {keys::engine_id, str(engine_id)},
                      {"x-bool", Value::boolean(true)}};
  return accepts(ctx, hello_frame(items));
}

Outcome prefix_keys(Context& ctx) {
  const Kv items[] = {{"supported-versions-list", str("2.0")},
                      {"max-frame-size-bytes", Value::uint32(default_max_frame_size)},
                      {"capabilities-set", str(profile_caps(ctx))},
                      {keys::engine_id, str(engine_id)}};
  return accepts(ctx, hello_frame(items));
}

Outcome no_engine_id(Context& ctx) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str(profile_caps(ctx))}};
  return accepts(ctx, hello_frame(items));
}

Bytes standard_items_hello(std::uint32_t flags, std::uint64_t sid, std::uint64_t fid) {
  const Kv items[] = {{keys::supported_versions, str("2.0")},
                      {keys::max_frame_size, Value::uint32(default_max_frame_size)},
                      {keys::capabilities, str("pipelining")},
                      {keys::engine_id, str(engine_id)}};
  return hello_frame(items, flags, sid, fid);
}

Outcome hello_without_fin(Context& ctx) {
  return should_refuse_with(ctx, SendAt::start, standard_items_hello(0, 0, 0),
                            {Status::fragmentation_not_supported, Status::invalid_frame});
}

Outcome hello_with_ids(Context& ctx) {
  return should_refuse_with(ctx, SendAt::start, standard_items_hello(frame_flags::fin, 1, 1), {Status::invalid_frame});
}

Outcome notify_first(Context& ctx) {
  return must_refuse(ctx, SendAt::start, notify_frame(1, 1, standard_message, standard_args()));
}

}  // namespace

void add_handshake_checks(std::vector<Check>& out) {
  const std::string_view g = "handshake";
  out.insert(out.end(), {
      {"HS-01", g, Level::must, "§3, §5.1-§5.4", "the profile's HELLO gets a valid AGENT-HELLO",
       "HAPROXY-HELLO as the profile sends it (2.6: \"pipelining,async\", 3.2: \"pipelining\"; engine-id)",
       "AGENT-HELLO: FIN, ids 0/0, version \"2.0\", max-frame-size an integer in [256, 16380]", standard},
      {"HS-02", g, Level::must, "§1, §5.3", "max-frame-size 256, the minimum, is accepted and used",
       "HELLO offering max-frame-size 256, then a NOTIFY", "AGENT-HELLO with 256, then an ACK of at most 256 bytes",
       minimum_frame_size},
      {"HS-03", g, Level::must, "§5.3", "a smaller max-frame-size is honoured", "HELLO offering max-frame-size 1024",
       "AGENT-HELLO with max-frame-size in [256, 1024]", smaller_frame_size},
      {"HS-04", g, Level::should, "§2.2, §3", "max-frame-size of another integer type is read",
       "HELLO whose max-frame-size is a UINT64", "AGENT-HELLO", frame_size_uint64},
      {"HS-05", g, Level::must, "§5.4", "no capabilities: sync mode works",
       "HELLO with capabilities \"\", then a NOTIFY", "AGENT-HELLO, then the ACK", no_capabilities},
      {"HS-06", g, Level::should, "§5.4", "capability lists with spaces and unknown names are read",
       "HELLO with capabilities \" async , foo,  pipelining ,bar-2 \"", "AGENT-HELLO", spaced_capabilities},
      {"HS-07", g, Level::must, "§5.4", "a HELLO without capabilities is accepted",
       "HELLO without the capabilities item", "AGENT-HELLO", missing_capabilities},
      {"HS-08", g, Level::must, "§5.2", "an unsupported version is refused", "HELLO with supported-versions \"1.0\"",
       "no AGENT-HELLO: AGENT-DISCONNECT or close", unsupported_version},
      {"HS-09", g, Level::should, "§4, §5.2", "an unsupported version is refused with status 8",
       "HELLO with supported-versions \"1.0\"", "AGENT-DISCONNECT status 8", unsupported_version_status},
      {"HS-10", g, Level::should, "§5.2", "2.0 is found in a list of versions",
       "HELLO with supported-versions \" 1.5 , 2.0 \"", "AGENT-HELLO with version \"2.0\"", version_list},
      {"HS-11", g, Level::must, "§5.2", "a HELLO without supported-versions is refused",
       "HELLO without supported-versions", "no AGENT-HELLO: AGENT-DISCONNECT or close", missing_version},
      {"HS-12", g, Level::should, "§4, §5.2", "a missing version is refused with status 5",
       "HELLO without supported-versions", "AGENT-DISCONNECT status 5", missing_version_status},
      {"HS-13", g, Level::should, "§4, §5.3", "a missing max-frame-size is refused with status 6",
       "HELLO without max-frame-size", "AGENT-DISCONNECT status 6", missing_frame_size},
      {"HS-14", g, Level::should, "§1, §5.3", "max-frame-size below 256 is refused with status 9",
       "HELLO with max-frame-size 255", "AGENT-DISCONNECT status 9", frame_size_below_minimum},
      {"HS-15", g, Level::must, "§3", "HELLO items are found by key, in any order",
       "HELLO with its items in reverse order", "AGENT-HELLO", key_order},
      {"HS-16", g, Level::must, "§3", "unknown HELLO keys are skipped",
       "HELLO with unknown keys of five types between the known ones", "AGENT-HELLO", unknown_keys},
      {"HS-17", g, Level::should, "§3", "keys are matched by prefix, as HAProxy does",
       "HELLO with keys supported-versions-list, max-frame-size-bytes, capabilities-set",
       "AGENT-HELLO (the keys read as supported-versions, max-frame-size, capabilities)", prefix_keys},
      {"HS-18", g, Level::must, "§3", "a HELLO without engine-id is accepted", "HELLO without engine-id",
       "AGENT-HELLO", no_engine_id},
      {"HS-19", g, Level::should, "§1, §5.1", "a HELLO without FIN is refused", "HELLO with flags 0 (no FIN)",
       "AGENT-DISCONNECT status 10 (or 4)", hello_without_fin},
      {"HS-20", g, Level::should, "§1, §5.1", "a HELLO with non-zero ids is refused",
       "HELLO with stream-id 1, frame-id 1", "AGENT-DISCONNECT status 4", hello_with_ids},
      {"HS-21", g, Level::must, "§5.1", "a NOTIFY before the HELLO is refused",
       "a NOTIFY as the first frame", "no ACK: AGENT-DISCONNECT or close", notify_first},
  });
}

}  // namespace spop::sim::conform
