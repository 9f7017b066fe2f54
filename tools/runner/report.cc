#include "tools/runner/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace qins::runner {

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      o += buf;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

MeanSpread Summarize(const std::vector<double>& v) {
  MeanSpread r;
  if (v.empty()) return r;
  double sum = 0;
  for (double x : v) sum += x;
  r.mean = sum / v.size();
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.stddev = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0.0;
  r.min = *std::min_element(v.begin(), v.end());
  r.max = *std::max_element(v.begin(), v.end());
  return r;
}

size_t PeakRssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return static_cast<size_t>(std::stoull(line.substr(6))) * 1024;
    }
  }
  return 0;
}

bool ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

size_t WeightBytes(const ModelWeights& w) {
  size_t b = w.final_norm.size() * 4;
  for (const QuantizedMatrix* m : w.Matrices()) b += m->payload_bytes();
  for (const LayerWeights& l : w.layers)
    b += (l.attn_norm.size() + l.ffn_norm.size()) * 4;
  return b;
}

size_t WeightCount(const ModelWeights& w) {
  size_t c = 0;
  for (const QuantizedMatrix* m : w.Matrices()) c += m->rows() * m->cols();
  return c;
}

}  // namespace qins::runner
