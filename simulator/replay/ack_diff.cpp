#include "simulator/replay/ack_diff.hpp"

#include <algorithm>

namespace spop::sim::replay {

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Iterative matching with one backtrack point: the last '*' seen absorbs one more character
  // whenever what follows it fails.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

AckComparer::AckComparer(std::string var_prefix, std::vector<std::string> ignore)
    : prefix_(std::move(var_prefix)), ignore_(std::move(ignore)) {}

bool AckComparer::ignored(std::string_view variable) {
  if (ignore_.empty()) return false;
  const std::string key(variable);
  if (const auto it = ignored_.find(key); it != ignored_.end()) return it->second;
  const bool match = std::any_of(ignore_.begin(), ignore_.end(),
                                 [&](const std::string& pattern) { return glob_match(pattern, variable); });
  ignored_.emplace(key, match);
  return match;
}

std::vector<std::string> AckComparer::ignored_names() const {
  std::vector<std::string> out;
  for (const auto& [name, match] : ignored_)
    if (match) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

void AckComparer::outcomes_of(std::span<const spop::AckAction> actions, std::vector<Outcome>& out) {
  out.clear();
  for (const spop::AckAction& a : actions) {
    if (ignored(a.variable)) continue;
    const bool unset = a.type == spop::ActionType::unset_var || a.value.is_null();
    out.push_back(Outcome{std::string(a.variable), unset ? std::string("unset") : spop::describe(a.value)});
  }
  // The last action on a variable is what HAProxy is left with.
  std::stable_sort(out.begin(), out.end(), [](const Outcome& a, const Outcome& b) { return a.name < b.name; });
  std::vector<Outcome> last;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (i + 1 == out.size() || out[i + 1].name != out[i].name) last.push_back(std::move(out[i]));
  out = std::move(last);
}

void AckComparer::compare(std::span<const std::byte> recorded, std::span<const std::byte> replayed_payload,
                          std::span<const spop::AckAction> replayed, std::vector<VariableDifference>& out) {
  out.clear();
  if (std::equal(recorded.begin(), recorded.end(), replayed_payload.begin(), replayed_payload.end())) return;
  // Name the recorded actions as the HAProxy side named the replayed ones.
  spop::read_ack_actions(recorded, recorded_);
  recorded_actions_.clear();
  names_.clear();
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const spop::Action& a : recorded_.actions) {
    const std::size_t at = names_.size();
    spop::append_variable_name(names_, a.scope, prefix_, a.name);
    spans.emplace_back(at, names_.size() - at);
    recorded_actions_.push_back(spop::AckAction{a.type, a.scope, a.name, {}, a.value});
  }
  for (std::size_t i = 0; i < recorded_actions_.size(); ++i)
    recorded_actions_[i].variable = std::string_view(names_).substr(spans[i].first, spans[i].second);
  outcomes_of(recorded_actions_, before_);
  outcomes_of(replayed, after_);
  auto b = before_.begin(), a = after_.begin();
  while (b != before_.end() || a != after_.end()) {
    if (a == after_.end() || (b != before_.end() && b->name < a->name)) {
      out.push_back(VariableDifference{b->name, b->state, std::string(not_set)});
      ++b;
    } else if (b == before_.end() || a->name < b->name) {
      out.push_back(VariableDifference{a->name, std::string(not_set), a->state});
      ++a;
    } else {
      if (b->state != a->state) out.push_back(VariableDifference{b->name, b->state, a->state});
      ++a;
      ++b;
    }
  }
}

}  // namespace spop::sim::replay
