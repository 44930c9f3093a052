// LuaEngine::load(): finding the file's siblings for `require`, compiling (source or .luac) and running it.
#include <string>
#include <system_error>

#include "agent/engines/lua/lua_engine_impl.hpp"
#include "agent/engines/lua/lua_errors.hpp"

namespace spoa::lua {

namespace {

// Runs inside lua_pcall: package.path = <prefix> .. package.path.
int prepend_package_path(lua_State* L) {
  const auto* prefix = static_cast<const std::string*>(lua_touserdata(L, 1));
  lua_getglobal(L, "package");
  lua_pushlstring(L, prefix->data(), prefix->size());
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  return 0;
}

/// Restores LuaContext::loading however load() ends.
class LoadingScope {
 public:
  LoadingScope(LuaContext& ctx, const std::filesystem::path& file) : ctx_(ctx) { ctx_.loading = &file; }
  ~LoadingScope() { ctx_.loading = nullptr; }
  LoadingScope(const LoadingScope&) = delete;
  LoadingScope& operator=(const LoadingScope&) = delete;

 private:
  LuaContext& ctx_;
};

/// Lua's messages usually start with "file:line:"; make sure the file is named when they do not
/// (error objects without position, memory errors).
std::string name_the_file(const std::filesystem::path& file, std::string text) {
  if (text.rfind(file.string(), 0) != 0) text = file.string() + ": " + text;
  return text;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string LuaEngine::with_full_names(std::string text) const {
  for (const auto& [shown, full] : shortened_names_) replace_all(text, shown, full);
  return text;
}

void LuaEngine::add_to_package_path(const std::filesystem::path& script) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(script, ec).lexically_normal().parent_path();
  if (ec || dir.empty()) return;  // the load itself will report the unusable path
  for (const auto& known : script_dirs_) {
    if (known == dir) return;
  }
  const std::string d = dir.string();
  const std::string prefix = d + "/?.lua;" + d + "/?/init.lua;";
  const int base = lua_gettop(state_);
  lua_pushcfunction(state_, prepend_package_path);
  lua_pushlightuserdata(state_, const_cast<std::string*>(&prefix));
  const int status = lua_pcall(state_, 1, 0, 0);
  if (status != LUA_OK) {
    std::string text = error_text(state_, -1);
    lua_settop(state_, base);
    throw LoadError(script.string() + ": cannot extend package.path: " + text);
  }
  script_dirs_.push_back(std::move(dir));
}

void LuaEngine::load(const std::filesystem::path& file) {
  add_to_package_path(file);
  const std::string full = file.string();
  if (const std::string shown = shown_source(state_, "@" + full); !shown.empty() && shown != full) {
    shortened_names_.emplace_back(shown, full);
  }
  const int base = lua_gettop(state_);
  lua_pushcfunction(state_, traceback_handler);
  // "bt": text and precompiled (luac) chunks; the chunk name "@<file>" makes messages "file:line: ...".
  int status = luaL_loadfilex(state_, file.c_str(), "bt");
  if (status == LUA_OK) {
    LoadingScope loading(*context_, file);
    status = lua_pcall(state_, 0, 0, base + 1);
  }
  if (status != LUA_OK) {
    std::string text = error_text(state_, -1);
    lua_settop(state_, base);
    throw LoadError(name_the_file(file, with_full_names(std::move(text))));
  }
  lua_settop(state_, base);
}

}  // namespace spoa::lua
