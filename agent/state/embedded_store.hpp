// The embedded shared store: a fixed-capacity hash table in an anonymous shared memory mapping, created by
// the supervisor before it forks, so that every worker of one agent (-n N) sees the same keys.
//
// One process-shared robust mutex guards the table: a worker killed while holding it does not block the
// others; the next one to lock rebuilds the table from its complete entries and carries on. The same
// mutex serialises the threads of one process (executor threads), so the store is thread-safe as well.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "agent/engines/shared_store.hpp"

namespace spoa {

/// Monotonic milliseconds; replaceable in tests.
using StateClock = std::function<std::int64_t()>;

/// CLOCK_MONOTONIC in milliseconds: shared by every process of the machine, immune to clock changes.
std::int64_t monotonic_milliseconds() noexcept;

/// What the table holds now (for logs and tests).
struct EmbeddedStoreStats {
  std::size_t entries = 0;      ///< stored keys, expired ones not yet dropped included
  std::size_t max_entries = 0;  ///< capacity: 3/4 of the slots (linear probing stays short)
  std::size_t recoveries = 0;   ///< times a process found the lock abandoned by a dead owner
};

class EmbeddedStore final : public SharedStore {
 public:
  /// Bytes one entry takes in the mapping (a slot holds the longest key and value).
  static std::size_t slot_size() noexcept;
  /// Entries a mapping of `bytes` holds.
  static std::size_t capacity_for(std::size_t bytes) noexcept;

  /// Maps `bytes` of shared memory (rounded down to whole slots). Throws std::invalid_argument below 4
  /// slots, std::system_error when the mapping fails. Only processes forked after this share the table.
  explicit EmbeddedStore(std::size_t bytes, StateClock clock = monotonic_milliseconds);
  ~EmbeddedStore() override;
  EmbeddedStore(const EmbeddedStore&) = delete;
  EmbeddedStore& operator=(const EmbeddedStore&) = delete;

  std::string describe() const override { return "embedded store"; }

  EmbeddedStoreStats stats();

 protected:
  std::optional<StateValue> do_get(const StateKey& key) override;
  void do_set(const StateKey& key, const StateValue& value, std::chrono::milliseconds ttl) override;
  std::int64_t do_incr(const StateKey& key, std::int64_t delta, std::chrono::milliseconds ttl) override;
  bool do_del(const StateKey& key) override;

 private:
  struct Header;
  struct Slot;
  class Lock;

  Slot& slot(std::size_t i) const noexcept;
  std::size_t home(std::uint64_t hash) const noexcept;
  bool expired(const Slot& s, std::int64_t now) const noexcept;
  /// Index of the live entry for `key`, or npos; drops it (and returns npos) when it has expired.
  std::size_t find(std::string_view key, std::uint64_t hash, std::int64_t now);
  /// Frees slot `i` and moves later entries of its probe run back (no tombstones).
  void erase(std::size_t i);
  /// A free slot for a new key; throws StateError(full) when none is left after dropping expired entries.
  std::size_t claim(std::uint64_t hash, std::int64_t now);
  void drop_expired(std::int64_t now);
  /// After a dead lock owner: rebuilds the table from its complete entries (drops half-written ones and
  /// duplicates left by an interrupted move).
  void repair();
  /// Empties the table (repair's fallback when it cannot allocate its copy).
  void clear() noexcept;
  static void write_value(Slot& s, const StateValue& value);

  void* base_ = nullptr;
  std::size_t bytes_ = 0;
  Header* header_ = nullptr;
  unsigned char* slots_ = nullptr;
  StateClock clock_;
};

}  // namespace spoa
