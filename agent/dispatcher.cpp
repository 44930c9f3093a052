// Loading scripts into engines and building the message table, with duplicate detection.
#include "agent/dispatcher.hpp"

#include <algorithm>
#include <cctype>

namespace spoa {

namespace {

std::string lower_extension(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

std::string known_list() {
  auto known = known_script_suffixes();
  if (known.empty()) return "none: this spoa was built without script engines";
  std::string out;
  for (const auto& s : known) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::optional<std::string> check_script_suffix(const std::filesystem::path& file) {
  std::string ext = lower_extension(file);
  auto known = known_script_suffixes();
  if (std::find(known.begin(), known.end(), ext) != known.end()) return std::nullopt;
  std::string type = ext.empty() ? std::string("no suffix") : "unknown script type '" + ext + "'";
  return "cannot load " + file.string() + ": " + type + " (known: " + known_list() + ")";
}

Dispatcher::~Dispatcher() = default;

Dispatcher Dispatcher::load(const std::vector<std::filesystem::path>& files, const EngineOptions& options) {
  Dispatcher d;
  // Files of one language go to one engine. The registry only builds engines from a suffix, so an
  // engine is made for each new suffix and merged with an existing one of the same language
  // (".lua" and ".luac" share the Lua state).
  std::unordered_map<std::string, Engine*> by_suffix;
  for (const auto& file : files) {
    std::string ext = lower_extension(file);
    Engine* engine = nullptr;
    if (auto it = by_suffix.find(ext); it != by_suffix.end()) {
      engine = it->second;
    } else {
      std::unique_ptr<Engine> made;
      try {
        made = make_engine_for(file, options);
      } catch (const std::exception& e) {  // an engine that cannot start (an interpreter failing to boot)
        throw StartupError(e.what());
      }
      if (!made) throw StartupError(check_script_suffix(file).value_or("cannot load " + file.string()));
      auto same = std::find_if(d.engines_.begin(), d.engines_.end(),
                               [&](const auto& e) { return e->language() == made->language(); });
      if (same != d.engines_.end()) {
        engine = same->get();
      } else {
        engine = made.get();
        d.engines_.push_back(std::move(made));
        d.files_.emplace_back();
      }
      by_suffix.emplace(ext, engine);
    }
    try {
      engine->load(file);
    } catch (const LoadError& e) {
      throw StartupError(e.what());
    }
    for (std::size_t i = 0; i < d.engines_.size(); ++i) {
      if (d.engines_[i].get() == engine) d.files_[i].push_back(file);
    }
  }

  for (const auto& engine : d.engines_) {
    for (auto& reg : engine->registrations()) {
      auto [it, inserted] = d.handlers_.try_emplace(reg.message, Entry{engine.get(), reg.file, 0, reg.on_loop});
      if (reg.on_loop) d.any_on_loop_ = true;
      if (!inserted && it->second.engine != engine.get()) {
        throw StartupError("message '" + reg.message + "' is registered twice: in " + it->second.file.string() +
                           " (" + std::string(it->second.engine->language()) + ") and in " + reg.file.string() +
                           " (" + std::string(engine->language()) + ")");
      }
    }
  }
  return d;
}

std::vector<Registration> Dispatcher::registrations() const {
  std::vector<Registration> out;
  for (const auto& engine : engines_) {
    auto regs = engine->registrations();
    out.insert(out.end(), regs.begin(), regs.end());
  }
  return out;
}

std::vector<Engine*> Dispatcher::engines() const {
  std::vector<Engine*> out;
  for (const auto& engine : engines_) out.push_back(engine.get());
  return out;
}

const std::vector<std::filesystem::path>& Dispatcher::files_of(const Engine* engine) const {
  static const std::vector<std::filesystem::path> none;
  for (std::size_t i = 0; i < engines_.size(); ++i) {
    if (engines_[i].get() == engine) return files_[i];
  }
  return none;
}

Engine* Dispatcher::find(std::string_view message) const noexcept {
  if (handlers_.empty()) return nullptr;
  auto it = handlers_.find(message);
  return it == handlers_.end() ? nullptr : it->second.engine;
}

Engine* Dispatcher::find(std::string_view message, std::uint32_t& tag) const noexcept {
  if (handlers_.empty()) return nullptr;
  auto it = handlers_.find(message);
  if (it == handlers_.end()) return nullptr;
  tag = it->second.tag;
  return it->second.engine;
}

Engine* Dispatcher::find(std::string_view message, std::uint32_t& tag, bool& on_loop) const noexcept {
  if (handlers_.empty()) return nullptr;
  auto it = handlers_.find(message);
  if (it == handlers_.end()) return nullptr;
  tag = it->second.tag;
  on_loop = it->second.on_loop;
  return it->second.engine;
}

void Dispatcher::tag_messages(const std::function<std::uint32_t(std::string_view)>& tag_of) {
  for (auto& [name, entry] : handlers_) entry.tag = tag_of(name);
}

}  // namespace spoa
