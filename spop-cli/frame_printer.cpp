#include "spop-cli/frame_printer.hpp"

#include <cstdio>

#include "spop-cli/hex_text.hpp"
#include "spop/haproxy_connection.hpp"
#include "spop/wire.hpp"

namespace spop_cli {

namespace {

}  // namespace

std::string display_name(std::string_view name) {
  if (name.empty()) return "\"\"";
  bool plain = true;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\\') plain = false;
  }
  if (plain) return std::string(name);
  std::string s = "\"";
  for (unsigned char c : name) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  return s + "\"";
}

std::string flags_text(std::uint32_t flags) {
  std::string s;
  const auto add = [&s](std::string_view part) {
    if (!s.empty()) s += '|';
    s += part;
  };
  if (flags & spop::frame_flags::fin) add("FIN");
  if (flags & spop::frame_flags::abort) add("ABORT");
  if (const std::uint32_t other = flags & ~(spop::frame_flags::fin | spop::frame_flags::abort); other != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", other);
    add(buf);
  }
  return s.empty() ? "none" : s;
}

std::string frame_summary(const FrameModel& f) {
  if (f.bad_header) return "frame with a malformed header, len=" + std::to_string(f.length);
  return frame_type_name(f.type) + " stream-id=" + std::to_string(f.stream_id) +
         " frame-id=" + std::to_string(f.frame_id) + " len=" + std::to_string(f.length) +
         " flags=" + flags_text(f.flags);
}

namespace {

class TreePrinter {
 public:
  TreePrinter(std::ostream& os, const PrintOptions& o) : os_(os), o_(o) {}

  void frame(const FrameModel& f) {
    os_ << o_.indent;
    if (o_.frame_offset) os_ << '@' << f.offset << ' ';
    os_ << frame_summary(f) << '\n';
    if (!f.bad_header) payload(f);
    if (f.issue) line(1, std::nullopt, "error at byte " + std::to_string(f.issue->offset) + ": " + f.issue->reason);
    if (!f.trailing.empty()) {
      line(1, std::nullopt,
           "unparsed bytes (" + std::to_string(f.trailing.size()) + "): " + to_spaced_hex(spop::byte_span(f.trailing)));
    }
    for (const std::string& n : f.notes) line(1, std::nullopt, "note: " + n);
  }

 private:
  void line(int depth, std::optional<std::size_t> offset, std::string_view text) {
    os_ << o_.indent;
    for (int i = 0; i < depth; ++i) os_ << "  ";
    if (o_.offsets && offset) os_ << '@' << *offset << ' ';
    os_ << text << '\n';
  }

  void payload(const FrameModel& f) {
    switch (f.kind) {
      case PayloadKind::kv:
        for (const KvEntry& kv : f.kv)
          line(1, kv.offset, display_name(kv.key) + " = " + spop::describe(kv.value.view()));
        break;
      case PayloadKind::messages:
        for (const MessageEntry& m : f.messages) {
          line(1, m.offset,
               "message " + display_name(m.name) + " (" + std::to_string(m.args.size()) +
                   (m.args.size() == 1 ? " arg)" : " args)"));
          for (const ArgEntry& a : m.args)
            line(2, a.offset, display_name(a.name) + " = " + spop::describe(a.value.view()));
        }
        break;
      case PayloadKind::actions:
        if (f.actions.empty() && !f.issue) line(1, std::nullopt, "(no actions)");
        for (const ActionEntry& a : f.actions) line(1, a.offset, action_text(a));
        break;
      case PayloadKind::raw:
        line(1, std::nullopt,
             "payload (" + std::to_string(f.raw.size()) + " bytes): " + to_spaced_hex(spop::byte_span(f.raw)));
        break;
    }
  }

  std::string action_text(const ActionEntry& a) const {
    const auto scope = static_cast<spop::Scope>(a.scope);
    std::string var = o_.var_prefix ? spop::variable_name(scope, *o_.var_prefix, a.name)
                                    : std::string(spop::to_string(scope)) + " " + display_name(a.name);
    if (a.type == 1) return "set-var " + var + " = " + spop::describe(a.value.view());
    return "unset-var " + var;
  }

  std::ostream& os_;
  const PrintOptions& o_;
};

}  // namespace

void print_frame(std::ostream& os, const FrameModel& frame, const PrintOptions& options) {
  TreePrinter(os, options).frame(frame);
}

}  // namespace spop_cli
