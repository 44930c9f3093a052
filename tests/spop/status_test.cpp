#include "spop/status.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <system_error>

#include "spop/errc.hpp"

namespace spop {
namespace {

constexpr std::string_view unknown_text = "an unknown error occurred";

TEST(Status, MessagesAreHaproxysExactTexts) {
  // spoe_frm_err_reasons (2.6) / spop_err_reasons (3.x), copied from spop-protocol.md §4.
  const std::pair<std::uint32_t, std::string_view> table[] = {
      {0, "normal"},
      {1, "I/O error"},
      {2, "a timeout occurred"},
      {3, "frame is too big"},
      {4, "invalid frame received"},
      {5, "version value not found"},
      {6, "max-frame-size value not found"},
      {7, "capabilities value not found"},
      {8, "unsupported version"},
      {9, "max-frame-size too big or too small"},
      {10, "fragmentation not supported"},
      {11, "invalid interlaced frames"},
      {12, "frame-id not found"},
      {13, "resource allocation error"},
      {99, "an unknown error occurred"},
  };
  for (const auto& [code, text] : table) {
    EXPECT_EQ(status_message(static_cast<Status>(code)), text) << code;
    EXPECT_TRUE(is_known_status(code)) << code;
  }
}

TEST(Status, EnumeratorsHaveTheWireValues) {
  EXPECT_EQ(static_cast<std::uint32_t>(Status::normal), 0u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::frame_too_big), 3u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::invalid_frame), 4u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::unsupported_version), 8u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::bad_max_frame_size), 9u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::fragmentation_not_supported), 10u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::frame_id_not_found), 12u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::resource_allocation), 13u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::unknown), 99u);
}

TEST(Status, CodesHaproxyDoesNotDefineAreUnknown) {
  for (std::uint32_t code = 14; code < 99; ++code) {
    EXPECT_EQ(status_message(static_cast<Status>(code)), unknown_text) << code;
    EXPECT_FALSE(is_known_status(code)) << code;
  }
  for (std::uint32_t code : {100u, 101u, 255u, 256u, 65535u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    EXPECT_EQ(status_message(static_cast<Status>(code)), unknown_text) << code;
    EXPECT_FALSE(is_known_status(code)) << code;
  }
}

// Every Errc, from the first to the last enumerator.
constexpr Errc all_errc[] = {
    Errc::ok,           Errc::need_more,       Errc::varint_too_long, Errc::truncated,
    Errc::reserved_type, Errc::frame_too_big,  Errc::frame_too_small, Errc::bad_frame_ids,
    Errc::unknown_frame_type, Errc::invalid_payload, Errc::bad_kv,    Errc::missing_fin,
    Errc::value_out_of_range, Errc::invalid_argument,
};

TEST(Errc, ListIsComplete) {
  // The enumerators are consecutive from 0: the table above covers them all if it ends at the last one.
  for (std::size_t i = 0; i < std::size(all_errc); ++i) EXPECT_EQ(static_cast<std::size_t>(all_errc[i]), i);
  EXPECT_EQ(make_error_code(static_cast<Errc>(std::size(all_errc))).message(), "unknown spop error");
}

TEST(Errc, EveryValueHasItsOwnMessage) {
  std::set<std::string> seen;
  for (Errc e : all_errc) {
    const std::error_code ec = make_error_code(e);
    SCOPED_TRACE(ec.value());
    EXPECT_EQ(&ec.category(), &spop_category());
    EXPECT_STREQ(ec.category().name(), "spop");
    EXPECT_FALSE(ec.message().empty());
    EXPECT_NE(ec.message(), "unknown spop error");
    EXPECT_TRUE(seen.insert(ec.message()).second) << "duplicate: " << ec.message();
  }
}

TEST(Errc, ConvertsToErrorCodeImplicitly) {
  const std::error_code ec = Errc::frame_too_big;
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec, Errc::frame_too_big);
  EXPECT_EQ(ec.message(), "frame is too big");
  EXPECT_FALSE(std::error_code(Errc::ok));
}

TEST(Errc, MapsToTheStatusAPeerShouldReceive) {
  for (Errc e : all_errc) {
    SCOPED_TRACE(static_cast<int>(e));
    Status expected = Status::invalid_frame;
    if (e == Errc::ok) expected = Status::normal;
    if (e == Errc::frame_too_big) expected = Status::frame_too_big;
    if (e == Errc::missing_fin) expected = Status::fragmentation_not_supported;
    EXPECT_EQ(to_status(e), expected);
  }
  EXPECT_EQ(static_cast<std::uint32_t>(to_status(Errc::frame_too_big)), 3u);
  EXPECT_EQ(static_cast<std::uint32_t>(to_status(Errc::missing_fin)), 10u);
  EXPECT_EQ(static_cast<std::uint32_t>(to_status(Errc::truncated)), 4u);
}

}  // namespace
}  // namespace spop
