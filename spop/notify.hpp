// Zero-copy view of a NOTIFY payload (LIST-OF-MESSAGES): iterate messages, then their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/value.hpp"

namespace spop {

/// One message of a NOTIFY: its name and its arguments, still encoded.
class MessageView {
 public:
  MessageView() = default;
  std::string_view name() const noexcept { return name_; }
  std::uint8_t argument_count() const noexcept { return nb_args_; }
  /// Decodes the arguments into `out` (cleared first; its capacity is reused, so no allocation in
  /// steady state). Views in `out` point into the NOTIFY payload.
  void arguments(std::vector<Argument>& out) const;

 private:
  friend class NotifyView;
  std::string_view name_;
  std::uint8_t nb_args_ = 0;
  std::span<const std::byte> encoded_args_;  // validated by NotifyView::parse
};

/// A validated NOTIFY payload. parse() checks the whole list once; iterating it afterwards cannot fail.
/// Every view (names, string values) points into the payload, which the caller keeps alive.
class NotifyView {
 public:
  NotifyView() = default;

  /// Validates `payload`. Errors: Errc::truncated (an item runs past the end), Errc::varint_too_long,
  /// Errc::reserved_type (type id 10-15). An empty payload is a valid NOTIFY with no messages.
  static Errc parse(std::span<const std::byte> payload, NotifyView& out);

  class iterator {
   public:
    using value_type = MessageView;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    const MessageView& operator*() const noexcept { return current_; }
    const MessageView* operator->() const noexcept { return &current_; }
    iterator& operator++();
    iterator operator++(int) { auto c = *this; ++*this; return c; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.pos_ == b.pos_; }

   private:
    friend class NotifyView;
    iterator(const std::byte* pos, const std::byte* end);
    void load();
    const std::byte* pos_ = nullptr;   // start of current message (== end_ when done)
    const std::byte* next_ = nullptr;  // start of the following message
    const std::byte* end_ = nullptr;
    MessageView current_;
  };

  iterator begin() const;
  iterator end() const;
  std::size_t message_count() const noexcept { return messages_; }
  std::span<const std::byte> payload() const noexcept { return payload_; }
  /// The same validated view over `copy`, a byte-for-byte copy of payload() (same size) made by the
  /// caller to outlive the original bytes: no second validation. An empty view if the sizes differ.
  NotifyView over_copy(std::span<const std::byte> copy) const noexcept {
    NotifyView v;
    if (copy.size() != payload_.size()) return v;
    v.payload_ = copy;
    v.messages_ = messages_;
    return v;
  }

 private:
  std::span<const std::byte> payload_;
  std::size_t messages_ = 0;
};

}  // namespace spop
