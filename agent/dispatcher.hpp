// Message name -> engine: loads the -f scripts of one worker and finds the handler of each message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/engines/engine.hpp"

namespace spoa {

/// A script set that cannot start: a LoadError, a name registered twice across engines, or an
/// unknown suffix. what() is the whole message, naming the file(s).
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// nullopt when some engine handles the suffix of `file`, else a message naming the file and the
/// known suffixes ("cannot load x.rb: unknown script type '.rb' (known: .lua, .luac, .py)").
std::optional<std::string> check_script_suffix(const std::filesystem::path& file);

/// The engines of one worker and the table of registered message names.
///
/// Files are loaded in command-line order; files of the same language share one engine (one Lua
/// state, one Python interpreter per worker). A name may be registered once across all engines.
/// find() is the per-message lookup on the hot path: one hash lookup, no allocation.
class Dispatcher {
 public:
  Dispatcher() = default;  ///< no scripts: every message has no handler
  Dispatcher(Dispatcher&&) = default;
  Dispatcher& operator=(Dispatcher&&) = default;
  ~Dispatcher();

  /// Creates the engines and loads `files`. Throws StartupError.
  static Dispatcher load(const std::vector<std::filesystem::path>& files, const EngineOptions& options);

  /// The engine handling `message`, or nullptr.
  Engine* find(std::string_view message) const noexcept;
  /// The same, also giving the message's tag (see tag_messages(); 0 until tagged).
  Engine* find(std::string_view message, std::uint32_t& tag) const noexcept;
  /// The same, also saying whether the handler runs on the engine's event loop (Registration::on_loop).
  Engine* find(std::string_view message, std::uint32_t& tag, bool& on_loop) const noexcept;
  /// Some handler runs on an engine's event loop.
  bool any_on_loop() const noexcept { return any_on_loop_; }
  /// Gives every registered message a number computed once here, not per call (its metrics entry).
  void tag_messages(const std::function<std::uint32_t(std::string_view)>& tag_of);
  bool empty() const noexcept { return handlers_.empty(); }
  std::size_t message_count() const noexcept { return handlers_.size(); }
  std::size_t engine_count() const noexcept { return engines_.size(); }
  /// Every registered message with its file, in load order (for spoa --check).
  std::vector<Registration> registrations() const;
  /// The engines, in creation order.
  std::vector<Engine*> engines() const;
  /// The files loaded into `engine`, in command-line order (to load them again into a twin engine).
  const std::vector<std::filesystem::path>& files_of(const Engine* engine) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    Engine* engine;
    std::filesystem::path file;  // for duplicate messages
    std::uint32_t tag = 0;
    bool on_loop = false;
  };

  std::vector<std::unique_ptr<Engine>> engines_;
  std::vector<std::vector<std::filesystem::path>> files_;  // parallel to engines_
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> handlers_;
  bool any_on_loop_ = false;
};

}  // namespace spoa
