// ScriptSet::load (see script_set.hpp).
#include "agent/executor/script_set.hpp"

#include <utility>

namespace spoa::exec {

std::unique_ptr<ScriptSet> ScriptSet::load(const std::vector<std::filesystem::path>& files,
                                           const EngineOptions& options, unsigned threads) {
  auto set = std::make_unique<ScriptSet>();
  set->dispatcher_ = Dispatcher::load(files, options);
  for (Engine* engine : set->dispatcher_.engines()) {
    LanguageEngines lang;
    lang.language = engine->language();
    lang.model = engine->thread_model();
    lang.primary = engine;
    if (lang.model == ThreadModel::per_thread) {
      // Every twin runs the same files in the same order, so each thread sees the same handlers.
      for (unsigned i = 1; i < threads; ++i) {
        const auto& own = set->dispatcher_.files_of(engine);
        std::unique_ptr<Engine> twin = make_engine_for(own.front(), options);
        for (const auto& file : own) {
          try {
            twin->load(file);
          } catch (const LoadError& e) {
            throw StartupError(e.what());
          }
        }
        lang.twins.push_back(std::move(twin));
      }
    }
    set->languages_.push_back(std::move(lang));
  }
  for (Engine* engine : set->dispatcher_.engines()) {
    try {
      engine->prepare();
    } catch (const LoadError& e) {
      for (Engine* each : set->dispatcher_.engines()) each->leave_thread();
      throw StartupError(e.what());
    }
  }
  for (Engine* engine : set->dispatcher_.engines()) engine->leave_thread();
  return set;
}

ScriptSet::~ScriptSet() {
  // Twins first: the dispatcher's engines may own what they share (one interpreter, for instance).
  for (auto& lang : languages_) lang.twins.clear();
}

std::size_t ScriptSet::language_of(const Engine* primary) const noexcept {
  for (std::size_t i = 0; i < languages_.size(); ++i) {
    if (languages_[i].primary == primary) return i;
  }
  return 0;
}

}  // namespace spoa::exec
