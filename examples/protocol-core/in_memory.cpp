// Both ends of one SPOP connection in memory, with the protocol core alone (docs/protocol-core.md):
// an HAProxy 2.6 side sends the standard example's NOTIFY, an agent side answers it with one variable,
// and the HAProxy side reads the ACK as HAProxy would. No socket: the bytes are handed over by hand.
#include <cstdio>
#include <span>
#include <variant>
#include <vector>

#include "spop/agent_connection.hpp"
#include "spop/haproxy_connection.hpp"

namespace {

// Hands everything `from` has to write to `to`, as a socket would. `bytes` plays the receive buffer: the
// events of `to` may point into it, so it must outlive them (until the next feed()).
template <class From, class To>
void transfer(From& from, To& to, std::vector<std::byte>& bytes) {
  const auto out = from.pending_output();
  bytes.assign(out.begin(), out.end());
  from.consume_output(bytes.size());
  to.feed(bytes);
}

}  // namespace

int main() {
  spop::HaproxyOptions haproxy_options;
  haproxy_options.var_prefix = "iprep";  // the SPOE file's `option var-prefix iprep`
  spop::HaproxyConnection haproxy(haproxy_options);
  spop::AgentConnection agent;
  std::vector<std::byte> to_agent, to_haproxy;

  transfer(haproxy, agent, to_agent);    // HAPROXY-HELLO
  transfer(agent, haproxy, to_haproxy);  // AGENT-HELLO
  while (agent.next_event()) {  // a HelloEvent: nothing to do
  }

  // HAProxy's side: message check-client-ip with the client address.
  const spop::Argument args[] = {{"ip", spop::Value::ipv4({{127, 0, 0, 1}})}};
  const spop::NotifyMessage messages[] = {{"check-client-ip", args}};
  spop::NotifyIds ids;
  if (haproxy.send_notify(messages, spop::Clock::now(), ids)) return 1;
  transfer(haproxy, agent, to_agent);

  // The agent's side: one ACK per NOTIFY, same ids, actions built in place.
  std::vector<spop::Argument> received;
  while (auto ev = agent.next_event()) {
    if (const auto* notify = std::get_if<spop::NotifyEvent>(&*ev)) {
      spop::AckBuilder& ack = agent.start_ack(notify->stream_id, notify->frame_id);
      for (const spop::MessageView& message : notify->messages) {
        message.arguments(received);
        if (message.name() != "check-client-ip") continue;  // unknown messages get nothing
        if (ack.set_var(spop::Scope::sess, "ip_score", spop::Value::int32(42)) != spop::Errc::ok) return 1;
      }
      if (agent.commit_ack() != spop::Errc::ok) return 1;
    }
  }
  transfer(agent, haproxy, to_haproxy);

  // HAProxy's side again: the variables as HAProxy names and stores them.
  while (auto ev = haproxy.next_event()) {
    if (const auto* ack = std::get_if<spop::AckEvent>(&*ev)) {
      for (const spop::AckAction& action : ack->actions) {
        std::printf("%.*s = %lld\n", static_cast<int>(action.variable.size()), action.variable.data(),
                    static_cast<long long>(action.value.as_int64()));
      }
    }
  }
  return 0;
}
