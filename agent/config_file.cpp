// YAML configuration file reading with yaml-cpp: keys are long option names, values are what would
// follow the option on the command line.
#include "agent/config_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <set>

namespace spoa {

namespace {

std::string where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1);
}

// The option names the command line sets, by long name (short flags are mapped to theirs).
std::set<std::string> names_on_command_line(const std::vector<OptionSpec>& known, const std::vector<std::string>& argv) {
  std::set<std::string> out;
  auto by_flag = [&](char c) {
    for (const auto& o : known) {
      if (o.flag.size() == 1 && o.flag[0] == c) out.insert(o.name);
    }
  };
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") break;
    if (a.rfind("--", 0) == 0) {
      out.insert(a.substr(2));
    } else if (a.size() >= 2 && a[0] == '-') {
      // "-d" or combined switches "-dv"; a value glued to a flag ("-p0") names only its flag.
      for (std::size_t k = 1; k < a.size(); ++k) {
        by_flag(a[k]);
        auto it = std::find_if(known.begin(), known.end(),
                               [&](const OptionSpec& o) { return o.flag.size() == 1 && o.flag[0] == a[k]; });
        if (it != known.end() && it->takes_value) break;
      }
    }
  }
  return out;
}

std::optional<std::string> config_path(const std::vector<std::string>& argv, std::string& error) {
  std::optional<std::string> path;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "--") break;
    if (argv[i] != "--config") continue;
    if (i + 1 >= argv.size()) {
      error = "--config needs a file name";
      return std::nullopt;
    }
    if (path) {
      error = "--config may be given only once";
      return std::nullopt;
    }
    path = argv[++i];
  }
  return path;
}

// Appends the arguments of one `key: value` pair. Returns an error message or "".
std::string append_option(const OptionSpec& spec, const YAML::Node& value, const std::string& file,
                          const std::string& at, std::vector<std::string>& out) {
  const std::string option = "--" + spec.name;
  if (!spec.takes_value) {
    bool on = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, on)) {
      return at + ": option '" + spec.name + "' is a switch: its value must be true or false";
    }
    if (on) out.push_back(option);
    return "";
  }
  if (value.IsSequence()) {
    if (!spec.repeatable) return at + ": option '" + spec.name + "' takes one value, not a list";
    for (const auto& item : value) {
      if (!item.IsScalar()) return where(file, item.Mark()) + ": option '" + spec.name + "': list items must be plain values";
      out.push_back(option);
      out.push_back(item.Scalar());
    }
    return "";
  }
  if (!value.IsScalar()) return at + ": option '" + spec.name + "' needs a value";
  out.push_back(option);
  out.push_back(value.Scalar());
  return "";
}

}  // namespace

bool allowed_in_config(const std::string& name) {
  return name != "config" && name != "help" && name != "version" && name != "check" && name != "ignore_rest";
}

std::variant<std::vector<std::string>, std::string> expand_config_file(const std::vector<OptionSpec>& known,
                                                                       const std::vector<std::string>& argv) {
  std::string error;
  auto path = config_path(argv, error);
  if (!error.empty()) return error;
  if (!path) return argv;

  YAML::Node root;
  try {
    root = YAML::LoadFile(*path);
  } catch (const YAML::BadFile&) {
    return "cannot read config file " + *path;
  } catch (const YAML::Exception& e) {
    return where(*path, e.mark) + ": " + e.msg;
  }
  if (root.IsNull()) return argv;  // an empty file sets nothing
  if (!root.IsMap()) return *path + ": expected a mapping of option names to values (e.g. 'workers: 4')";

  const auto on_command_line = names_on_command_line(known, argv);
  std::vector<std::string> from_file;
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const std::string at = where(*path, entry.first.Mark());
    if (!entry.first.IsScalar()) return at + ": option names must be plain strings";
    const std::string name = entry.first.Scalar();
    auto spec = std::find_if(known.begin(), known.end(), [&](const OptionSpec& o) { return o.name == name; });
    if (spec == known.end() || !allowed_in_config(name)) {
      return at + ": unknown option '" + name + "' (keys are spoa's long option names, e.g. 'workers')";
    }
    if (!seen.insert(name).second) return at + ": option '" + name + "' is set twice";
    if (on_command_line.count(name) != 0) continue;  // the command line wins
    if (auto problem = append_option(*spec, entry.second, *path, at, from_file); !problem.empty()) return problem;
  }
  std::vector<std::string> out{argv.front()};
  out.insert(out.end(), from_file.begin(), from_file.end());
  out.insert(out.end(), argv.begin() + 1, argv.end());
  return out;
}

}  // namespace spoa
