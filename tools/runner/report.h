// Small helpers the modes share for their reports: JSON string escaping,
// mean/spread over repetitions, and the process's peak resident set.
#ifndef QINS_TOOLS_RUNNER_REPORT_H_
#define QINS_TOOLS_RUNNER_REPORT_H_

#include <string>
#include <vector>

#include "tools/runner/model_weights.h"

namespace qins::runner {

// "..." with JSON escapes.
std::string JsonString(const std::string& s);

struct MeanSpread {
  double mean = 0, stddev = 0, min = 0, max = 0;  // stddev: sample (n - 1)
};
MeanSpread Summarize(const std::vector<double>& v);

// VmHWM of /proc/self/status in bytes (0 if unavailable).
size_t PeakRssBytes();
// Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs);
// false where the kernel does not allow it.
bool ResetPeakRss();

// Bytes of the model's weights as stored: payload_bytes of every matrix
// (codes + scales, no alignment padding) plus the f32 norm vectors.
size_t WeightBytes(const ModelWeights& w);
// Weights of the linear layers (embedding and untied classifier included).
size_t WeightCount(const ModelWeights& w);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_REPORT_H_
