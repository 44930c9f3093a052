#include "simulator/run/condition.hpp"

#include <vector>

namespace spop::sim {

namespace {

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::optional<bool> evaluate_static_condition(std::string_view condition, std::string& why) {
  std::vector<std::string_view> words = words_of(condition);
  if (words.empty()) return true;
  bool negate_all = false;
  if (words.front() == "if" || words.front() == "unless") {
    negate_all = words.front() == "unless";
    words.erase(words.begin());
  }
  if (words.empty()) {
    why = "an empty condition";
    return std::nullopt;
  }
  // HAProxy: OR of AND-terms. Evaluate term by term.
  bool any_or = false;
  bool and_value = true;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view w = words[i];
    if (w == "||" || w == "or") {
      any_or = any_or || and_value;
      and_value = true;
      continue;
    }
    bool negate = false;
    if (w.starts_with('!')) {
      negate = true;
      w.remove_prefix(1);
      if (w.empty() && i + 1 < words.size()) w = words[++i];
    }
    std::optional<bool> term;
    if (w == "TRUE") term = true;
    else if (w == "FALSE") term = false;
    else if (w == "{" && i + 2 < words.size() && words[i + 2] == "}") {
      if (words[i + 1] == "always_true") term = true;
      else if (words[i + 1] == "always_false") term = false;
      if (term) i += 2;
      else w = words[i + 1];
    }
    if (!term && w == "{" && i + 1 < words.size()) w = words[i + 1];
    if (!term) {
      why = "the ACL '" + std::string(w) + "' depends on traffic spop-sim does not model";
      return std::nullopt;
    }
    and_value = and_value && (negate ? !*term : *term);
  }
  const bool value = any_or || and_value;
  return negate_all ? !value : value;
}

}  // namespace spop::sim
