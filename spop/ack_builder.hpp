// Builds one ACK frame (SET-VAR / UNSET-VAR actions) in place, never past the negotiated frame size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop {

/// Appends an ACK frame (length prefix, header, actions) to the end of a caller-owned buffer.
///
/// The constructor writes the header; each action is appended whole or not at all; finish()
/// back-patches LEN. LEN never exceeds `max_frame_size`: an action that would cross it is refused
/// with Errc::frame_too_big and the frame stays valid without it. Integers are written with the
/// type id the Value carries; negative values are sign-extended to 64 bits (10-byte varint).
/// Allocates only when `out` must grow; reuse `out` to avoid that in steady state.
///
/// To keep appends cheap, `out` is grown ahead by up to 128 spare bytes (never past the frame's
/// maximum): until finish() or cancel() its tail after the frame is unspecified. finish(), cancel()
/// and the destructor of an unfinished builder drop the spare bytes.
class AckBuilder {
 public:
  AckBuilder(std::vector<std::byte>& out, std::uint64_t stream_id, std::uint64_t frame_id,
             std::uint32_t max_frame_size);
  AckBuilder(const AckBuilder&) = delete;
  AckBuilder& operator=(const AckBuilder&) = delete;
  ~AckBuilder();

  /// SET-VAR `01 03 <scope> <name> <value>`. Errc::frame_too_big when it does not fit.
  Errc set_var(Scope scope, std::string_view name, const Value& value);
  /// UNSET-VAR `02 02 <scope> <name>`. Errc::frame_too_big when it does not fit.
  Errc unset_var(Scope scope, std::string_view name);

  std::size_t action_count() const noexcept { return actions_; }
  /// Current LEN of the frame (header + actions so far).
  std::size_t frame_length() const noexcept;
  /// Bytes still available before the frame reaches `max_frame_size`.
  std::size_t remaining() const noexcept;
  std::uint64_t stream_id() const noexcept { return stream_id_; }
  std::uint64_t frame_id() const noexcept { return frame_id_; }

  /// Called after each action is appended, with the offset in `out` just past the frame's last byte
  /// (the bytes before it form a frame that only lacks LEN). Lets another party follow the complete
  /// actions of a frame still being built; null (the default) costs one test per action.
  using ActionObserver = void (*)(void* context, std::size_t frame_end) noexcept;
  void observe_actions(ActionObserver observer, void* context) noexcept {
    observer_ = observer;
    observer_context_ = context;
  }
  /// Offset in `out` of the frame's first byte (its LEN field).
  std::size_t frame_start() const noexcept { return start_; }

  /// Writes LEN. The frame is then complete in `out`; the builder must not be used again.
  void finish() noexcept;
  /// Removes everything this builder appended to `out`.
  void cancel() noexcept;

 private:
  std::byte* append(std::size_t n);  // n bytes at end_, growing *out_ (with spare) when needed

  std::vector<std::byte>* out_;
  std::size_t start_;  // offset of the LEN field in *out_
  std::size_t end_;    // offset just past the frame's last byte; *out_ may be longer (spare bytes)
  std::uint64_t stream_id_;
  std::uint64_t frame_id_;
  std::uint32_t max_frame_size_;
  std::size_t actions_ = 0;
  ActionObserver observer_ = nullptr;
  void* observer_context_ = nullptr;
  bool open_ = true;   // neither finished nor cancelled
};

}  // namespace spop
