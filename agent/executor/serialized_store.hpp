// The shared store (spoa.state_*) seen by handlers on several executor threads: the stores themselves
// serve one caller at a time (one Redis connection, one embedded table handle), so calls take turns.
#pragma once

#include <memory>
#include <mutex>

#include "agent/engines/shared_store.hpp"

namespace spoa {

/// A SharedStore that forwards every call to `store` under one mutex.
class SerializedStore final : public SharedStore {
 public:
  explicit SerializedStore(std::shared_ptr<SharedStore> store) : store_(std::move(store)) {}

  std::string describe() const override { return store_->describe(); }
  std::optional<StateValue> get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    return store_->get(key);
  }
  void set(std::string_view key, const StateValue& value, std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mutex_);
    store_->set(key, value, ttl);
  }
  std::int64_t incr(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mutex_);
    return store_->incr(key, delta, ttl);
  }
  bool del(std::string_view key) override {
    std::lock_guard lock(mutex_);
    return store_->del(key);
  }

 private:
  std::shared_ptr<SharedStore> store_;
  std::mutex mutex_;
};

inline std::shared_ptr<SharedStore> serialized_store(std::shared_ptr<SharedStore> store) {
  return std::make_shared<SerializedStore>(std::move(store));
}

}  // namespace spoa
