#include "spop/notify.hpp"

#include "spop/wire.hpp"

namespace spop {

namespace {

// Reads one message header and skips its arguments. On success `r` is past the message.
Errc read_message(WireReader& r, std::string_view& name, std::uint8_t& nb_args,
                  std::span<const std::byte>& encoded_args) noexcept {
  if (Errc e = r.read_raw_string(name); e != Errc::ok) return e;
  if (Errc e = r.read_u8(nb_args); e != Errc::ok) return e;
  const auto rest = r.rest();
  const std::size_t args_start = r.offset();
  for (unsigned i = 0; i < nb_args; ++i) {
    std::string_view arg_name;
    if (Errc e = r.read_raw_string(arg_name); e != Errc::ok) return e;
    if (Errc e = r.skip_value(); e != Errc::ok) return e;
  }
  encoded_args = rest.first(r.offset() - args_start);
  return Errc::ok;
}

}  // namespace

void MessageView::arguments(std::vector<Argument>& out) const {
  out.clear();
  WireReader r(encoded_args_);
  for (unsigned i = 0; i < nb_args_; ++i) {
    Argument a;
    // Validated by NotifyView::parse, so these reads cannot fail.
    r.read_raw_string(a.name);
    r.read_value(a.value);
    out.push_back(a);
  }
}

Errc NotifyView::parse(std::span<const std::byte> payload, NotifyView& out) {
  WireReader r(payload);
  std::size_t count = 0;
  while (!r.empty()) {
    std::string_view name;
    std::uint8_t nb_args = 0;
    std::span<const std::byte> args;
    if (Errc e = read_message(r, name, nb_args, args); e != Errc::ok) return e;
    ++count;
  }
  out.payload_ = payload;
  out.messages_ = count;
  return Errc::ok;
}

NotifyView::iterator::iterator(const std::byte* pos, const std::byte* end) : pos_(pos), next_(pos), end_(end) {
  load();
}

void NotifyView::iterator::load() {
  if (pos_ == end_) return;
  WireReader r(std::span<const std::byte>(pos_, end_));
  read_message(r, current_.name_, current_.nb_args_, current_.encoded_args_);
  next_ = pos_ + r.offset();
}

NotifyView::iterator& NotifyView::iterator::operator++() {
  pos_ = next_;
  load();
  return *this;
}

NotifyView::iterator NotifyView::begin() const {
  return iterator(payload_.data(), payload_.data() + payload_.size());
}

NotifyView::iterator NotifyView::end() const {
  const std::byte* e = payload_.data() + payload_.size();
  return iterator(e, e);
}

}  // namespace spop
