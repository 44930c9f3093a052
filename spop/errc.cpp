#include "spop/errc.hpp"

#include <string>

namespace spop {

namespace {

class SpopCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "spop"; }

  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok: return "success";
      case Errc::need_more: return "more bytes needed";
      case Errc::varint_too_long: return "varint longer than 10 bytes";
      case Errc::truncated: return "item runs past the end of the frame";
      case Errc::reserved_type: return "reserved data type id";
      case Errc::frame_too_big: return "frame is too big";
      case Errc::frame_too_small: return "frame length below 7 bytes";
      case Errc::bad_frame_ids: return "stream-id or frame-id not allowed for this frame";
      case Errc::unknown_frame_type: return "unknown frame type";
      case Errc::invalid_payload: return "invalid payload";
      case Errc::bad_kv: return "malformed key/value item";
      case Errc::missing_fin: return "frame without FIN";
      case Errc::value_out_of_range: return "value out of range for its type";
      case Errc::invalid_argument: return "invalid argument";
    }
    return "unknown spop error";
  }
};

}  // namespace

const std::error_category& spop_category() noexcept {
  static const SpopCategory category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), spop_category()}; }

Status to_status(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return Status::normal;
    case Errc::frame_too_big: return Status::frame_too_big;
    case Errc::missing_fin: return Status::fragmentation_not_supported;
    default: return Status::invalid_frame;
  }
}

}  // namespace spop
