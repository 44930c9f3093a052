// Maps script suffixes to engine factories. Each language is compiled in when its folder exists.
#include <algorithm>
#include <cctype>

#include "agent/engines/engine.hpp"

#ifdef SPOA_WITH_LUA
#include "agent/engines/lua/lua_engine.hpp"
#endif
#ifdef SPOA_WITH_PYTHON
#include "agent/engines/python/python_engine.hpp"
#endif
#ifdef SPOA_WITH_PHP
#include "agent/engines/php/php_engine.hpp"
#endif

namespace spoa {

namespace {

struct Factory {
  std::string_view suffix;
  std::unique_ptr<Engine> (*make)(const EngineOptions&);
};

constexpr Factory factories[] = {
#ifdef SPOA_WITH_LUA
    {".lua", &make_lua_engine},
    {".luac", &make_lua_engine},
#endif
#ifdef SPOA_WITH_PYTHON
    {".py", &make_python_engine},
#endif
#ifdef SPOA_WITH_PHP
    {".php", &make_php_engine},
#endif
    {"", nullptr},  // keeps the array non-empty when no language is built
};

}  // namespace

std::unique_ptr<Engine> make_engine_for(const std::filesystem::path& file, const EngineOptions& options) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& f : factories) {
    if (f.make != nullptr && f.suffix == ext) return f.make(options);
  }
  return nullptr;
}

std::vector<std::string> known_script_suffixes() {
  std::vector<std::string> out;
  for (const auto& f : factories) {
    if (f.make != nullptr) out.emplace_back(f.suffix);
  }
  return out;
}

}  // namespace spoa
