// spoa's recorder as a component (spoa's connections call it: tests/agent/record_test.cpp): what it writes
// reads back, sampling, rotation, reopening, redaction, mode 0600, several worker processes on one file, and what
// happens when the file cannot be written (one log line, record() keeps returning at once).
#include "agent/recorder.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <mutex>

#include "recording/reader.hpp"
#include "spop/frame.hpp"
#include "spop/notify.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoa {
namespace {

using namespace std::chrono_literals;
using spop::recording::RecordingReader;

// Log lines the recorder wrote.
class LogLines {
 public:
  LogSink sink() {
    return [this](LogLevel level, std::string_view text) {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(level == LogLevel::error ? "error: " : "info: ") + std::string(text));
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = spop::test::scratch_dir("recorder-test"); }

  RecorderSettings settings(const std::string& name = "traffic.rec") {
    RecorderSettings s;
    s.path = dir_ / name;
    s.source = 7;
    s.seed = 12345;
    s.log = log_.sink();
    return s;
  }

  // One exchange: a NOTIFY whose `ip` argument is 10.0.0.<n % 256>, and an ACK setting score = n.
  static std::vector<std::byte> notify(std::uint64_t n) {
    const spop::Argument args[] = {{"ip", spop::Value::ipv4({{10, 0, 0, static_cast<std::uint8_t>(n % 256)}})},
                                   {"path", spop::Value::string("/index.html")}};
    return spop::test::notify_bytes(n, 1, "check", args);
  }
  static std::vector<std::byte> ack(std::uint64_t n) {
    const spop::test::SetVar vars[] = {{spop::Scope::txn, "score", spop::Value::int64(static_cast<std::int64_t>(n))}};
    return spop::test::ack_bytes(n, 1, vars);
  }
  static Recorder::TimePoint at(std::int64_t ns) { return Recorder::TimePoint(std::chrono::nanoseconds(ns)); }

  static void record(Recorder& r, std::uint64_t n) { r.record(n / 10, notify(n), ack(n), at(1000 * static_cast<std::int64_t>(n)), at(1000 * static_cast<std::int64_t>(n) + 250)); }

  // Every record of one file; the reader must reach the end without an error.
  static std::vector<spop::recording::RecordMeta> read_all(const std::filesystem::path& p,
                                                           std::vector<std::vector<std::byte>>* notifies = nullptr) {
    RecordingReader r(p);
    EXPECT_TRUE(r.opened()) << (r.error() ? r.error()->to_string() : "");
    std::vector<spop::recording::RecordMeta> out;
    while (const auto* rec = r.next()) {
      out.push_back(rec->meta);
      if (notifies) notifies->emplace_back(rec->notify.begin(), rec->notify.end());
    }
    EXPECT_FALSE(r.error()) << r.error()->to_string();
    return out;
  }

  static unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }

  std::filesystem::path dir_;
  LogLines log_;
};

TEST_F(RecorderTest, WritesEveryExchangeAsItCameWithMode0600) {
  const mode_t old_umask = ::umask(0);  // the mode must not depend on the umask
  {
    Recorder r(settings());
    for (std::uint64_t n = 0; n < 100; ++n) record(r, n);
    r.record(99, notify(100), {}, at(5), at(0));  // a NOTIFY that got no ACK
    r.flush();
    EXPECT_EQ(r.stats().recorded, 101u);
    EXPECT_EQ(r.stats().dropped, 0u);
  }
  ::umask(old_umask);
  const auto path = dir_ / "traffic.rec";
  EXPECT_EQ(mode_of(path), 0600u);
  RecordingReader reader(path);
  ASSERT_TRUE(reader.opened());
  EXPECT_FALSE(reader.header().redacted());
  EXPECT_GT(reader.header().created_ns, 0);
  for (std::uint64_t n = 0; n < 100; ++n) {
    const auto* rec = reader.next();
    ASSERT_NE(rec, nullptr) << n;
    EXPECT_EQ(rec->meta.kind, spop::recording::RecordKind::exchange);
    EXPECT_EQ(rec->meta.source, 7u);
    EXPECT_EQ(rec->meta.connection, n / 10);
    EXPECT_EQ(rec->meta.notify_ns, static_cast<std::int64_t>(1000 * n));
    EXPECT_EQ(rec->meta.ack_ns, static_cast<std::int64_t>(1000 * n + 250));
    EXPECT_EQ(std::vector<std::byte>(rec->notify.begin(), rec->notify.end()), notify(n));
    EXPECT_EQ(std::vector<std::byte>(rec->ack.begin(), rec->ack.end()), ack(n));
  }
  const auto* last = reader.next();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->meta.kind, spop::recording::RecordKind::notify_only);
  EXPECT_EQ(reader.next(), nullptr);
  EXPECT_FALSE(reader.error());
  EXPECT_TRUE(log_.lines().empty());
}

TEST_F(RecorderTest, TheDestructorWritesWhatIsBuffered) {
  {
    RecorderSettings s = settings();
    s.flush_interval = 1h;
    Recorder r(s);
    for (std::uint64_t n = 0; n < 20; ++n) record(r, n);
  }
  EXPECT_EQ(read_all(dir_ / "traffic.rec").size(), 20u);
}

// A full batch is written at once, without waiting for the interval (nor for flush()).
TEST_F(RecorderTest, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  RecorderSettings s = settings();
  s.flush_interval = 1h;
  s.batch_size = 2048;  // about 20 records
  Recorder r(s);
  for (std::uint64_t n = 0; n < 100; ++n) record(r, n);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (r.stats().recorded == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  const std::uint64_t written = r.stats().recorded;  // counted once in the file
  EXPECT_GT(written, 0u);
  EXPECT_GE(read_all(s.path).size(), written);
}

TEST_F(RecorderTest, SamplingKeepsTheShareAsked) {
  RecorderSettings s = settings();
  s.sample = 0.25;
  Recorder r(s);
  for (std::uint64_t n = 0; n < 20000; ++n) record(r, n);
  r.flush();
  const RecorderStats st = r.stats();
  EXPECT_EQ(st.recorded + st.sampled_out, 20000u);
  EXPECT_EQ(st.dropped, 0u);
  // 5000 expected; the binomial's standard deviation is 61: this cannot fail by chance.
  EXPECT_GT(st.recorded, 4500u);
  EXPECT_LT(st.recorded, 5500u);
  EXPECT_EQ(read_all(dir_ / "traffic.rec").size(), st.recorded);
}

TEST_F(RecorderTest, RotationKeepsABoundedNumberOfFiles) {
  RecorderSettings s = settings();
  s.max_size = 4096;
  s.max_files = 2;
  Recorder r(s);
  for (std::uint64_t n = 0; n < 600; ++n) {
    record(r, n);
    if (n % 20 == 19) r.flush();  // one batch per 20 records: about 1.7 KB each
  }
  r.flush();
  EXPECT_GE(r.stats().rotations, 5u);
  const auto base = dir_ / "traffic.rec";
  const std::filesystem::path rotated1 = base.string() + ".1", rotated2 = base.string() + ".2";
  ASSERT_TRUE(std::filesystem::exists(rotated1));
  ASSERT_TRUE(std::filesystem::exists(rotated2));
  EXPECT_FALSE(std::filesystem::exists(base.string() + ".3"));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) files.push_back(e.path());
  EXPECT_EQ(files.size(), 3u) << "no temporary file is left behind";
  // Newest last in FILE; each file holds whole batches, in order, and is no larger than the limit plus
  // the batch that crossed it.
  std::uint64_t next_connection = 0;
  for (const auto& p : {rotated2, rotated1, base}) {
    EXPECT_EQ(mode_of(p), 0600u);
    EXPECT_LE(std::filesystem::file_size(p), 4096u + 20 * 100);
    const auto records = read_all(p);
    if (p != base) {
      EXPECT_GE(records.size(), 20u);
    }
    for (const auto& m : records) {
      EXPECT_GE(m.connection, next_connection);
      next_connection = m.connection;
    }
  }
  EXPECT_EQ(next_connection, 59u) << "the newest file ends with the last record";
}

TEST_F(RecorderTest, AFileMovedAwayIsFollowedAndReopenStartsANewOne) {
  Recorder r(settings());
  const auto base = dir_ / "traffic.rec";
  for (std::uint64_t n = 0; n < 10; ++n) record(r, n);
  r.flush();
  // logrotate without copytruncate: FILE moved, the next batch goes to a new FILE.
  std::filesystem::rename(base, dir_ / "moved-1");
  for (std::uint64_t n = 10; n < 25; ++n) record(r, n);
  r.flush();
  EXPECT_EQ(read_all(dir_ / "moved-1").size(), 10u);
  EXPECT_EQ(read_all(base).size(), 15u);
  // logrotate's `create`: an empty FILE of its own, then SIGHUP (reopen): our header goes first.
  std::filesystem::rename(base, dir_ / "moved-2");
  std::ofstream(base).flush();
  r.reopen();
  for (std::uint64_t n = 25; n < 30; ++n) record(r, n);
  r.flush();
  EXPECT_EQ(read_all(dir_ / "moved-2").size(), 15u);
  EXPECT_EQ(read_all(base).size(), 5u);
  EXPECT_TRUE(log_.lines().empty());
}

TEST_F(RecorderTest, RedactsNamedArgumentsInTheWriterThread) {
  RecorderSettings s = settings();
  s.redact = {"ip"};
  s.key = spop::recording::RedactionKey::random();
  {
    Recorder r(s);
    for (std::uint64_t n = 0; n < 512; ++n) record(r, n);
    auto broken = notify(1);
    broken.pop_back();  // a NOTIFY that does not parse cannot be redacted: it is not kept
    broken[3] = static_cast<std::byte>(std::to_integer<unsigned>(broken[3]) - 1);
    r.record(1, broken, ack(1), at(1), at(2));
    r.flush();
    EXPECT_EQ(r.stats().recorded, 512u);
    EXPECT_EQ(r.stats().dropped, 1u);
  }
  RecordingReader reader(dir_ / "traffic.rec");
  ASSERT_TRUE(reader.opened());
  EXPECT_TRUE(reader.header().redacted());
  EXPECT_EQ(reader.header().key_id, s.key.id());
  std::map<std::uint64_t, spop::Value> by_address;  // original last byte -> redacted address
  std::vector<std::vector<std::byte>> frames;
  for (std::uint64_t n = 0; const auto* rec = reader.next(); ++n) {
    frames.emplace_back(rec->notify.begin(), rec->notify.end());
    ASSERT_EQ(frames.back().size(), notify(n).size());
    EXPECT_EQ(std::vector<std::byte>(rec->ack.begin(), rec->ack.end()), ack(n)) << "ACKs are kept as sent";
    spop::Frame f;
    std::size_t used = 0;
    ASSERT_EQ(spop::split_frame(frames.back(), UINT32_MAX, f, used), spop::Errc::ok);
    spop::NotifyView view;
    ASSERT_EQ(spop::NotifyView::parse(f.payload, view), spop::Errc::ok);
    std::vector<spop::Argument> args;
    view.begin()->arguments(args);
    EXPECT_NE(args[0].value, spop::Value::ipv4({{10, 0, 0, static_cast<std::uint8_t>(n % 256)}}));
    EXPECT_EQ(args[1].value, spop::Value::string("/index.html")) << "other arguments are kept";
    // Equal inputs stay equal: n and n + 256 had the same address.
    const auto [it, fresh] = by_address.emplace(n % 256, args[0].value);
    if (!fresh) {
      EXPECT_EQ(it->second, args[0].value) << n;
    }
  }
  EXPECT_EQ(by_address.size(), 256u);
  EXPECT_FALSE(reader.error());
}

TEST_F(RecorderTest, AnUnwritablePathIsLoggedOnceAndRecordKeepsReturning) {
  RecorderSettings s = settings();
  std::ofstream(dir_ / "not-a-dir") << "x";
  s.path = dir_ / "not-a-dir" / "traffic.rec";  // ENOTDIR, for root too
  s.retry_interval = 50ms;
  Recorder r(s);
  for (int batch = 0; batch < 5; ++batch) {
    for (std::uint64_t n = 0; n < 10; ++n) record(r, n);
    r.flush();
  }
  std::this_thread::sleep_for(60ms);  // past the retry interval: the next batch tries again, silently
  for (std::uint64_t n = 0; n < 10; ++n) record(r, n);
  r.flush();
  EXPECT_EQ(r.stats().recorded, 0u);
  EXPECT_EQ(r.stats().dropped, 60u);
  EXPECT_GE(r.stats().write_errors, 2u);
  ASSERT_EQ(log_.lines().size(), 1u);
  EXPECT_EQ(log_.lines()[0], "error: recording stopped: cannot open " + s.path.string() +
                                 ": Not a directory; serving continues without recording, trying again every 50 ms");
  // Once the directory is there, a reopen (SIGHUP) resumes at once.
  std::filesystem::remove(dir_ / "not-a-dir");
  std::filesystem::create_directory(dir_ / "not-a-dir");
  r.reopen();
  for (std::uint64_t n = 0; n < 10; ++n) record(r, n);
  r.flush();
  EXPECT_EQ(r.stats().recorded, 10u);
  ASSERT_EQ(log_.lines().size(), 2u);
  EXPECT_EQ(log_.lines()[1], "info: recording to " + s.path.string() + " resumed (60 records were dropped meanwhile)");
  EXPECT_EQ(read_all(s.path).size(), 10u);
}

TEST_F(RecorderTest, AFullDiskLeavesAReadableFile) {
  // RLIMIT_FSIZE makes writes past the limit fail (EFBIG) as a full disk does (ENOSPC): the first write
  // crossing it is cut short, and that piece must be taken back.
  RecorderSettings s = settings();
  s.retry_interval = 1h;
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 10000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  RecorderStats st;
  {
    Recorder r(s);
    for (std::uint64_t n = 0; n < 400; ++n) {
      record(r, n);
      if (n % 30 == 29) r.flush();
    }
    r.flush();
    st = r.stats();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_GT(st.recorded, 0u);
  EXPECT_GT(st.dropped, 0u);
  EXPECT_EQ(st.recorded + st.dropped, 400u);
  EXPECT_EQ(read_all(s.path).size(), st.recorded) << "no record cut in half";
  EXPECT_LE(std::filesystem::file_size(s.path), 10000u);
  ASSERT_EQ(log_.lines().size(), 1u);
  EXPECT_EQ(log_.lines()[0].rfind("error: recording stopped: cannot write " + s.path.string() + ": File too large;", 0), 0u)
      << log_.lines()[0];
}

TEST_F(RecorderTest, AFullBufferDropsInsteadOfWaiting) {
  RecorderSettings s = settings();
  s.buffer_size = 1024;  // about 10 records
  Recorder r(s);
  for (std::uint64_t n = 0; n < 2000; ++n) record(r, n);
  r.flush();
  const RecorderStats st = r.stats();
  EXPECT_EQ(st.recorded + st.dropped, 2000u);
  EXPECT_GT(st.dropped, 0u);
  EXPECT_EQ(read_all(s.path).size(), st.recorded);
}

TEST_F(RecorderTest, AForeignFileIsLeftAlone) {
  const auto path = dir_ / "traffic.rec";
  std::ofstream(path) << "precious notes\n";
  {
    Recorder r(settings());
    for (std::uint64_t n = 0; n < 5; ++n) record(r, n);
    r.flush();
    EXPECT_EQ(r.stats().recorded, 0u);
    EXPECT_EQ(r.stats().dropped, 5u);
  }
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious notes\n");
  ASSERT_EQ(log_.lines().size(), 1u);
  EXPECT_EQ(log_.lines()[0], "error: recording stopped: " + path.string() +
                                 " exists and is not a spop recording: it is left alone; serving continues without "
                                 "recording, trying again every 10 s");
}

TEST_F(RecorderTest, AnEarlierRunsFileWithAnotherKeyIsRotatedAway) {
  RecorderSettings s = settings();
  s.redact = {"ip"};
  s.key = spop::recording::RedactionKey::random();
  {
    Recorder first(s);
    for (std::uint64_t n = 0; n < 4; ++n) record(first, n);
  }
  s.key = spop::recording::RedactionKey::random();  // a restarted agent draws a new key
  {
    Recorder second(s);
    for (std::uint64_t n = 0; n < 6; ++n) record(second, n);
  }
  const auto base = dir_ / "traffic.rec";
  RecordingReader older(base.string() + ".1"), newer(base);
  EXPECT_NE(older.header().key_id, newer.header().key_id);
  EXPECT_EQ(newer.header().key_id, s.key.id());
  EXPECT_EQ(read_all(base.string() + ".1").size(), 4u);
  EXPECT_EQ(read_all(base).size(), 6u);
}

TEST_F(RecorderTest, SeveralWorkerProcessesShareOneFile) {
  RecorderSettings s = settings();
  s.max_size = 16384;
  s.max_files = 100;  // nothing is deleted: every record can be counted
  constexpr int workers = 3, per_worker = 400;
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      {
        RecorderSettings mine = s;
        mine.source = static_cast<std::uint32_t>(w + 1);
        mine.log = nullptr;
        Recorder r(mine);
        for (std::uint64_t n = 0; n < per_worker; ++n) {
          record(r, n);
          if (n % 25 == 24) r.flush();
        }
        r.flush();
        status = r.stats().recorded == per_worker ? 0 : 1;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::map<std::uint32_t, std::uint64_t> per_source;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    for (const auto& m : read_all(e.path())) ++per_source[m.source];
  }
  EXPECT_EQ(per_source, (std::map<std::uint32_t, std::uint64_t>{{1, per_worker}, {2, per_worker}, {3, per_worker}}));
}

}  // namespace
}  // namespace spoa
