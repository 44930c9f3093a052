// The embedded store (see embedded_store.hpp): open addressing with linear probing in shared memory.
#include "agent/state/embedded_store.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>
#include <vector>

namespace spoa {

namespace {

constexpr std::uint32_t magic = 0x53504f53;  // "SPOS"
constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::string_view store_name = "embedded store";

// Slot states. `writing` marks a slot whose bytes are being replaced: if its writer dies, repair() drops it.
constexpr std::uint8_t slot_empty = 0;
constexpr std::uint8_t slot_used = 1;
constexpr std::uint8_t slot_writing = 2;

// FNV-1a, 64 bits: cheap, and identical in every process (they all run the same binary anyway).
std::uint64_t hash_key(std::string_view key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string quoted(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

std::int64_t monotonic_milliseconds() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

struct EmbeddedStore::Header {
  pthread_mutex_t mutex;
  std::uint32_t magic;
  std::uint32_t slots;
  std::uint32_t max_entries;
  std::uint32_t entries;
  std::uint64_t recoveries;
};

struct EmbeddedStore::Slot {
  std::uint8_t state;
  std::uint8_t kind;  // StateValue::Kind
  std::uint16_t key_length;
  std::uint16_t value_length;
  std::uint16_t unused;
  std::int64_t expires;  // monotonic ms; 0 = never
  std::uint64_t hash;
  std::int64_t integer;
  char key[state_limits::max_prefix + state_limits::max_key];  // a prefixed key
  char value[state_limits::max_value];

  std::string_view key_view() const noexcept { return {key, key_length}; }
};

// Locks the table; recovers it when the previous owner died holding the lock.
class EmbeddedStore::Lock {
 public:
  explicit Lock(EmbeddedStore& store) : mutex_(&store.header_->mutex) {
    int rc = ::pthread_mutex_lock(mutex_);
    if (rc == EOWNERDEAD) {
      try {
        store.repair();
      } catch (...) {  // no memory for the copy: an empty table is still a consistent one
        store.clear();
      }
      ++store.header_->recoveries;
      ::pthread_mutex_consistent(mutex_);
      rc = 0;
    }
    if (rc != 0) throw StateError(StateErrc::unavailable, std::string(store_name) + ": cannot lock: " + std::strerror(rc));
  }
  ~Lock() { ::pthread_mutex_unlock(mutex_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  pthread_mutex_t* mutex_;
};

std::size_t EmbeddedStore::slot_size() noexcept { return (sizeof(Slot) + 7) / 8 * 8; }

std::size_t EmbeddedStore::capacity_for(std::size_t bytes) noexcept {
  if (bytes < sizeof(Header)) return 0;
  return (bytes - sizeof(Header)) / slot_size() * 3 / 4;
}

EmbeddedStore::EmbeddedStore(std::size_t bytes, StateClock clock) : clock_(std::move(clock)) {
  const std::size_t slots = bytes < sizeof(Header) ? 0 : (bytes - sizeof(Header)) / slot_size();
  if (slots < 4 || slots > 0xFFFFFFFFu) {
    throw std::invalid_argument("embedded store: size " + std::to_string(bytes) + " holds " + std::to_string(slots) +
                                " slots (needs 4 to 4294967295 slots of " + std::to_string(slot_size()) + " bytes)");
  }
  bytes_ = sizeof(Header) + slots * slot_size();
  // Anonymous and shared: inherited by every worker forked later, gone with the last of them. Pages are
  // committed only when first touched.
  base_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    throw std::system_error(errno, std::generic_category(), "embedded store: mmap of " + std::to_string(bytes_) + " bytes");
  }
  header_ = new (base_) Header{};
  slots_ = static_cast<unsigned char*>(base_) + sizeof(Header);
  pthread_mutexattr_t attr;
  ::pthread_mutexattr_init(&attr);
  ::pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  ::pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  const int rc = ::pthread_mutex_init(&header_->mutex, &attr);
  ::pthread_mutexattr_destroy(&attr);
  if (rc != 0) {
    ::munmap(base_, bytes_);
    throw std::system_error(rc, std::generic_category(), "embedded store: pthread_mutex_init");
  }
  header_->magic = magic;
  header_->slots = static_cast<std::uint32_t>(slots);
  header_->max_entries = static_cast<std::uint32_t>(slots * 3 / 4);
}

EmbeddedStore::~EmbeddedStore() {
  // No pthread_mutex_destroy: other processes may still use the mapping.
  if (base_ != nullptr) ::munmap(base_, bytes_);
}

EmbeddedStore::Slot& EmbeddedStore::slot(std::size_t i) const noexcept {
  return *reinterpret_cast<Slot*>(slots_ + i * slot_size());
}

std::size_t EmbeddedStore::home(std::uint64_t hash) const noexcept { return hash % header_->slots; }

bool EmbeddedStore::expired(const Slot& s, std::int64_t now) const noexcept {
  return s.expires != 0 && now >= s.expires;
}

std::size_t EmbeddedStore::find(std::string_view key, std::uint64_t hash, std::int64_t now) {
  const std::size_t n = header_->slots;
  // At most 3/4 of the slots are used, so an empty slot ends every probe run.
  for (std::size_t i = home(hash), step = 0; step < n; i = (i + 1) % n, ++step) {
    Slot& s = slot(i);
    if (s.state == slot_empty) return npos;
    if (s.hash != hash || s.key_view() != key) continue;
    if (!expired(s, now)) return i;
    erase(i);
    return npos;
  }
  return npos;
}

void EmbeddedStore::erase(std::size_t hole) {
  const std::size_t n = header_->slots;
  std::size_t j = hole;
  for (;;) {
    j = (j + 1) % n;
    Slot& next = slot(j);
    if (next.state == slot_empty) break;
    // An entry may move back into the hole only if the hole lies between its home and its slot.
    const std::size_t k = home(next.hash);
    const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays) continue;
    Slot& target = slot(hole);
    target.state = slot_writing;
    std::memcpy(reinterpret_cast<unsigned char*>(&target) + 1, reinterpret_cast<const unsigned char*>(&next) + 1,
                sizeof(Slot) - 1);
    target.state = slot_used;
    hole = j;
  }
  slot(hole).state = slot_empty;
  --header_->entries;
}

void EmbeddedStore::drop_expired(std::int64_t now) {
  for (std::size_t i = 0; i < header_->slots;) {
    const Slot& s = slot(i);
    if (s.state == slot_used && expired(s, now)) {
      erase(i);  // a later entry may have moved into i: look at it again
    } else {
      ++i;
    }
  }
}

std::size_t EmbeddedStore::claim(std::uint64_t hash, std::int64_t now) {
  if (header_->entries >= header_->max_entries) drop_expired(now);
  if (header_->entries >= header_->max_entries) {
    throw StateError(StateErrc::full, std::string(store_name) + ": full (" + std::to_string(header_->max_entries) +
                                          " entries; raise --state-size or give keys a TTL)");
  }
  const std::size_t n = header_->slots;
  std::size_t i = home(hash);
  while (slot(i).state != slot_empty) i = (i + 1) % n;
  ++header_->entries;
  return i;
}

void EmbeddedStore::write_value(Slot& s, const StateValue& value) {
  s.kind = static_cast<std::uint8_t>(value.kind);
  s.integer = value.integer;
  s.value_length = static_cast<std::uint16_t>(value.is_integer() ? 0 : value.data.size());
  if (!value.is_integer()) std::memcpy(s.value, value.data.data(), value.data.size());
}

void EmbeddedStore::clear() noexcept {
  for (std::size_t i = 0; i < header_->slots; ++i) slot(i).state = slot_empty;
  header_->entries = 0;
}

void EmbeddedStore::repair() {
  // Copies of the complete entries, the first of each key kept (an interrupted move leaves two).
  std::vector<std::size_t> kept;
  std::vector<unsigned char> copy;
  const std::size_t n = header_->slots;
  for (std::size_t i = 0; i < n; ++i) {
    if (slot(i).state == slot_used) kept.push_back(i);
  }
  copy.resize(kept.size() * slot_size());
  for (std::size_t k = 0; k < kept.size(); ++k) std::memcpy(copy.data() + k * slot_size(), &slot(kept[k]), sizeof(Slot));
  clear();
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const Slot& s = *reinterpret_cast<const Slot*>(copy.data() + k * slot_size());
    if (s.key_length == 0 || s.key_length > sizeof s.key || s.value_length > state_limits::max_value) continue;
    std::size_t i = home(s.hash);
    bool duplicate = false;
    while (slot(i).state != slot_empty) {
      if (slot(i).hash == s.hash && slot(i).key_view() == s.key_view()) duplicate = true;
      i = (i + 1) % n;
    }
    if (duplicate || header_->entries >= header_->max_entries) continue;
    std::memcpy(&slot(i), &s, sizeof(Slot));
    ++header_->entries;
  }
}

std::optional<StateValue> EmbeddedStore::do_get(const StateKey& k) {
  const std::string_view key = k.stored;
  const std::uint64_t h = hash_key(key);
  Lock lock(*this);
  const std::size_t i = find(key, h, clock_());
  if (i == npos) return std::nullopt;
  const Slot& s = slot(i);
  StateValue v;
  v.kind = static_cast<StateValue::Kind>(s.kind);
  v.integer = s.integer;
  if (!v.is_integer()) v.data.assign(s.value, s.value_length);
  return v;
}

void EmbeddedStore::do_set(const StateKey& k, const StateValue& value, std::chrono::milliseconds ttl) {
  const std::string_view key = k.stored;
  const std::uint64_t h = hash_key(key);
  Lock lock(*this);
  const std::int64_t now = clock_();
  std::size_t i = find(key, h, now);
  const bool fresh = i == npos;
  if (fresh) i = claim(h, now);
  Slot& s = slot(i);
  s.state = slot_writing;
  if (fresh) {
    s.hash = h;
    s.key_length = static_cast<std::uint16_t>(key.size());
    std::memcpy(s.key, key.data(), key.size());
  }
  write_value(s, value);
  s.expires = ttl.count() > 0 ? now + ttl.count() : 0;
  s.state = slot_used;
}

std::int64_t EmbeddedStore::do_incr(const StateKey& k, std::int64_t delta, std::chrono::milliseconds ttl) {
  const std::string_view key = k.stored;
  const std::uint64_t h = hash_key(key);
  Lock lock(*this);
  const std::int64_t now = clock_();
  std::size_t i = find(key, h, now);
  std::int64_t result = delta;
  if (i != npos) {
    Slot& s = slot(i);
    if (s.kind != static_cast<std::uint8_t>(StateValue::Kind::integer)) {
      throw StateError(StateErrc::not_integer,
                       std::string(store_name) + ": value of key " + quoted(k.name) + " is not an integer");
    }
    if (__builtin_add_overflow(s.integer, delta, &result)) {
      throw StateError(StateErrc::overflow, std::string(store_name) + ": incrementing key " + quoted(k.name) + " by " +
                                                std::to_string(delta) + " would overflow int64");
    }
    s.integer = result;  // one aligned store: no half-written state to guard
    if (ttl.count() > 0 && s.expires == 0) s.expires = now + ttl.count();
    return result;
  }
  i = claim(h, now);
  Slot& s = slot(i);
  s.state = slot_writing;
  s.hash = h;
  s.key_length = static_cast<std::uint16_t>(key.size());
  std::memcpy(s.key, key.data(), key.size());
  write_value(s, StateValue::of_integer(delta));
  s.expires = ttl.count() > 0 ? now + ttl.count() : 0;
  s.state = slot_used;
  return result;
}

bool EmbeddedStore::do_del(const StateKey& k) {
  const std::string_view key = k.stored;
  const std::uint64_t h = hash_key(key);
  Lock lock(*this);
  const std::size_t i = find(key, h, clock_());
  if (i == npos) return false;
  erase(i);
  return true;
}

EmbeddedStoreStats EmbeddedStore::stats() {
  Lock lock(*this);
  return {header_->entries, header_->max_entries, static_cast<std::size_t>(header_->recoveries)};
}

}  // namespace spoa
