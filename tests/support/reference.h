// Independent scalar references and test data for kernel tests.
#ifndef QINS_TESTS_SUPPORT_REFERENCE_H_
#define QINS_TESTS_SUPPORT_REFERENCE_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace qins::testing {

// y = W x in double precision, and sum_k |W[i,k] x[k]| per row (for error
// bounds).
inline void GemvReference(const float* w, size_t rows, size_t cols,
                          size_t stride, const float* x, std::vector<double>& y,
                          std::vector<double>& abs_sum) {
  y.assign(rows, 0.0);
  abs_sum.assign(rows, 0.0);
  for (size_t i = 0; i < rows; ++i) {
    double s = 0, a = 0;
    for (size_t k = 0; k < cols; ++k) {
      const double p = static_cast<double>(w[i * stride + k]) * x[k];
      s += p;
      a += std::fabs(p);
    }
    y[i] = s;
    abs_sum[i] = a;
  }
}

inline std::vector<float> RandomFloats(size_t n, uint32_t seed,
                                       float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

}  // namespace qins::testing

#endif  // QINS_TESTS_SUPPORT_REFERENCE_H_
