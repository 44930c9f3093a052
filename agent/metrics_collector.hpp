// Turns the shared counters into Prometheus metric families, summed over every worker slot.
#pragma once

#include <memory>
#include <string>

namespace prometheus {
class Collectable;
}

namespace spoa::metrics {

class Segment;

/// A Collectable for prometheus::Exposer that reads `segment` at every scrape (it must outlive it).
std::shared_ptr<prometheus::Collectable> make_collector(const Segment& segment);

/// The same metrics in the Prometheus text format, as /metrics serves them.
std::string render_text(const Segment& segment);

}  // namespace spoa::metrics
