#include "tests/recording/recording_builder.hpp"

#include <fstream>
#include <stdexcept>

#include "recording/writer.hpp"
#include "spop/ack_builder.hpp"
#include "spop/notify_builder.hpp"

namespace spop::test {

std::vector<std::byte> notify_bytes(std::uint64_t sid, std::uint64_t fid, std::string_view message,
                                    std::span<const spop::Argument> args) {
  std::vector<std::byte> out;
  spop::NotifyBuilder b(out, sid, fid, spop::default_max_frame_size);
  if (b.add_message(message, args) != spop::Errc::ok) throw std::runtime_error("notify_bytes: message too big");
  b.finish();
  return out;
}

std::vector<std::byte> ack_bytes(std::uint64_t sid, std::uint64_t fid, std::span<const SetVar> actions) {
  std::vector<std::byte> out;
  spop::AckBuilder b(out, sid, fid, spop::default_max_frame_size);
  for (const SetVar& a : actions) {
    const spop::Errc e = a.unset ? b.unset_var(a.scope, a.name) : b.set_var(a.scope, a.name, a.value);
    if (e != spop::Errc::ok) throw std::runtime_error("ack_bytes: action too big");
  }
  b.finish();
  return out;
}

RecordingBuilder::RecordingBuilder(const recording::FileHeader& header) {
  recording::append_file_header(bytes_, header);
}

std::size_t RecordingBuilder::add(std::span<const std::byte> notify, std::span<const std::byte> ack,
                                  std::uint64_t connection, std::int64_t notify_ns, std::int64_t ack_ns) {
  const std::size_t at = bytes_.size();
  recording::RecordMeta meta;
  meta.connection = connection;
  meta.notify_ns = notify_ns;
  meta.ack_ns = ack_ns;
  recording::append_record(bytes_, meta, notify, ack);
  return at;
}

std::filesystem::path RecordingBuilder::write(const std::filesystem::path& path) const {
  write_bytes(path, bytes_);
  return path;
}

void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace spop::test
