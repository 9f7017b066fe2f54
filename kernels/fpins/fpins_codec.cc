// Scalar FPINS codec: the document's seed encoder and an exact nearest
// encoder. See fpins_codec.h and docs/fpins.md.
//
// Nearest search. Every product P of levels is an integer, and the
// magnitude error |256 / P - m| grows monotonically as P moves away from
// T = 256 / m on either side. So the integers floor(T), floor(T) - 1, ...
// and floor(T) + 1, floor(T) + 2, ..., merged in order of their magnitude
// error, are exactly the candidates in order of quality: the first one that
// factors into n = depth + 1 levels in [1, 256] is the optimum. A candidate
// factors only if it is 251-smooth (no prime factor above 251), which a
// block sieve over the candidates decides cheaply; smooth candidates are then
// packed into n levels by a depth-first divisor search (largest level first,
// levels non-increasing). The scan stops early when the next candidate
// cannot beat the incumbent (the seed's own factorisation, or the range
// ends).
//
// Where factorable integers are sparse (near the top of the range, where
// products of large levels are ~256^(n-1) apart, and for very large T at
// depth >= 4, where 251-smooth integers are rare) the scan gives up after a
// cap and the search branches on the largest level k instead: every optimum
// has a largest level k >= P*^(1/n), and P* >= 256 / (m + err) for the best
// error err found so far, so trying every k from 256 down to that bound, each
// with an exact search of the remaining n - 1 levels for magnitude m * k, is
// still exact. Only the total work budget can end the search before it has
// proved its result optimal; internal::EncodeNearestChecked reports when
// that happened.
#include "kernels/fpins/fpins_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace qins::fpins {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Primes up to 251, the largest prime that fits in a level.
constexpr uint32_t kPrimes[] = {
    2,   3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103, 107,
    109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181,
    191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251};

// Candidates one integer scan may test before branching on the largest level.
constexpr int64_t kScanCap = 2048;
// Divisor-search nodes spent on packing one candidate.
constexpr int kPackNodes = 4096;
// Sieve block sizes: small first (most scans end within a few candidates).
constexpr int kFirstBlock = 16;
constexpr int kMaxBlock = 1024;

Status CheckInput(float v, int depth) {
  if (depth < 0 || depth > kMaxDepth) {
    return InvalidArgument("FPINS: depth " + std::to_string(depth) +
                           " outside [0, " + std::to_string(kMaxDepth) + "]");
  }
  if (std::isnan(v)) return InvalidArgument("FPINS: NaN input");
  if (std::isinf(v)) return OutOfRange("FPINS: infinite input");
  return Status::Ok();
}

// Product in level order, in double, as the document's decoder computes it.
double Product(const int* q, int n) {
  double p = 1.0;
  for (int i = 0; i < n; ++i) p *= q[i];
  return p;
}

double MagError(const int* q, int n, double m) {
  return std::abs(256.0 / Product(q, n) - m);
}

// float_to_fpins_levels for magnitude m > 0: n = depth + 1 levels. Python's
// round() is round-half-to-even, as nearbyint is in the default rounding
// mode; pow is the same libm pow CPython calls.
bool SeedLevels(double m, int n, int* q) {
  const double target = 256.0 / m;
  if (!std::isfinite(target)) return false;  // unreachable for float input
  double remaining = target;
  for (int i = 0; i < n; ++i) {
    const int levels_left = n - i;
    const double level_value = std::pow(remaining, 1.0 / levels_left);
    const double r = std::clamp(std::nearbyint(level_value), 1.0, 256.0);
    q[i] = static_cast<int>(r);
    remaining /= q[i];
  }
  return true;
}

Encoded MakeEncoded(int8_t sign, const int* q, int n) {
  Encoded e;
  e.sign = sign;
  for (int i = 0; i < n; ++i) e.levels[i] = LevelToByte(q[i]);
  return e;
}

int8_t SignOf(float v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); }

// d^n, saturating at UINT64_MAX.
uint64_t PowSat(uint64_t d, int n) {
  uint64_t r = 1;
  for (int i = 0; i < n; ++i) {
    if (d != 0 && r > std::numeric_limits<uint64_t>::max() / d) {
      return std::numeric_limits<uint64_t>::max();
    }
    r *= d;
  }
  return r;
}

// Writes p as n levels q[0] >= q[1] >= ... in [1, kmax], if it can.
bool Pack(uint64_t p, int n, uint64_t kmax, int* q, int* nodes) {
  if (p == 1) {
    std::fill(q, q + n, 1);
    return true;
  }
  if (n == 0) return false;
  if (n == 1) {
    if (p > kmax) return false;
    q[0] = static_cast<int>(p);
    return true;
  }
  if (PowSat(kmax, n) < p) return false;
  for (uint64_t d = std::min(kmax, p); d >= 2; --d) {
    if (PowSat(d, n) < p) break;  // every level <= d: product < p
    if (p % d != 0) continue;
    if (--*nodes < 0) return false;
    q[0] = static_cast<int>(d);
    if (Pack(p / d, n - 1, d, q + 1, nodes)) return true;
  }
  return false;
}

// Smoothness of consecutive integers, a block at a time, walking one way.
class SmoothCursor {
 public:
  explicit SmoothCursor(bool descending) : descending_(descending) {}

  bool IsSmooth(uint64_t p) {
    if (len_ == 0 || p < start_ || p - start_ >= uint64_t(len_)) Refill(p);
    return smooth_[p - start_];
  }

 private:
  void Refill(uint64_t p) {
    int len = next_len_;
    next_len_ = std::min(2 * next_len_, kMaxBlock);
    if (descending_) {
      len = int(std::min<uint64_t>(len, p));  // integers >= 1 only
      start_ = p - uint64_t(len) + 1;
    } else {
      len = int(std::min<uint64_t>(
          len, std::numeric_limits<uint64_t>::max() - p + 1));
      start_ = p;
    }
    len_ = len;
    for (int i = 0; i < len; ++i) rest_[i] = start_ + uint64_t(i);
    for (uint32_t prime : kPrimes) {
      int i = int((prime - start_ % prime) % prime);
      for (; i < len; i += int(prime)) {
        do {
          rest_[i] /= prime;
        } while (rest_[i] % prime == 0);
      }
    }
    for (int i = 0; i < len; ++i) smooth_[i] = rest_[i] == 1;
  }

  bool descending_;
  uint64_t start_ = 0;
  int len_ = 0;
  int next_len_ = kFirstBlock;
  uint64_t rest_[kMaxBlock];
  bool smooth_[kMaxBlock];
};

struct Result {
  double err = kInf;
  int q[kMaxLevels] = {};
};

class NearestSearch {
 public:
  explicit NearestSearch(int64_t work_budget) : work_(work_budget) {}

  // True unless a budget ended some part of the search early.
  bool proven() const { return proven_; }

  // Improves *best (n levels for magnitude m) if any factorisation has a
  // smaller error than best->err.
  void Solve(double m, int n, Result* best) {
    if (m >= 256.0) {  // every magnitude is <= 256: all levels 1
      int q[kMaxLevels];
      std::fill(q, q + n, 1);
      Offer(q, n, m, best);
      return;
    }
    if (m <= MinMagnitude(n - 1)) {  // all levels 256
      int q[kMaxLevels];
      std::fill(q, q + n, 256);
      Offer(q, n, m, best);
      return;
    }
    int q[kMaxLevels];
    if (SeedLevels(m, n, q)) Offer(q, n, m, best);
    if (Scan(m, n, best)) return;
    if (n == 1) {  // the scan of one level always settles
      proven_ = false;
      return;
    }
    // Branch on the largest level k; see the file comment for the bound.
    // With largest level k, P is in [k, k^n]; a better P lies in
    // (256 / (m + err), 256 / (m - err)).
    for (int k = 256; k >= 1; --k) {
      const double p_lo = 256.0 / (m + best->err);
      if (std::pow(double(k), n) < p_lo * (1 - 1e-12)) break;
      if (m > best->err && k > 256.0 / (m - best->err) * (1 + 1e-12)) continue;
      if (work_ <= 0) {
        proven_ = false;
        return;
      }
      Result sub;
      sub.err = best->err * k;
      Solve(m * k, n - 1, &sub);
      if (sub.err < best->err * k) {
        int full[kMaxLevels];
        full[0] = k;
        std::copy(sub.q, sub.q + n - 1, full + 1);
        Offer(full, n, m, best);
      }
    }
  }

 private:
  static void Offer(int* q, int n, double m, Result* best) {
    for (int i = 1; i < n; ++i) {  // canonical order: non-increasing
      for (int j = i; j > 0 && q[j - 1] < q[j]; --j) std::swap(q[j - 1], q[j]);
    }
    const double err = MagError(q, n, m);
    if (err < best->err) {
      best->err = err;
      std::copy(q, q + n, best->q);
    }
  }

  // Scans integers near 256 / m in order of magnitude error. Returns true if
  // it settled: it found the best factorable one, or showed that none beats
  // best->err. False if it hit its cap.
  bool Scan(double m, int n, Result* best) {
    const double t = 256.0 / m;  // in (1, 256^n), so below 2^64
    const uint64_t p_max = n >= 8 ? std::numeric_limits<uint64_t>::max()
                                  : PowSat(256, n);  // 256^8 itself: an end
    uint64_t lo = static_cast<uint64_t>(std::floor(t));
    uint64_t hi = lo + 1;
    SmoothCursor lo_cursor(/*descending=*/true), hi_cursor(false);
    for (int64_t tested = 0;; ++tested) {
      const double e_lo = lo >= 1 ? std::abs(256.0 / double(lo) - m) : kInf;
      const double e_hi =
          hi != 0 && hi <= p_max ? std::abs(m - 256.0 / double(hi)) : kInf;
      const bool take_lo = e_lo <= e_hi;
      if (std::min(e_lo, e_hi) >= best->err) return true;
      if (tested >= kScanCap || work_ <= 0) return false;
      --work_;
      const uint64_t p = take_lo ? lo : hi;
      if (take_lo) {
        --lo;
      } else {
        ++hi;
      }
      if (!(take_lo ? lo_cursor : hi_cursor).IsSmooth(p)) continue;
      int q[kMaxLevels];
      int nodes = kPackNodes;
      if (Pack(p, n, 256, q, &nodes)) {
        Offer(q, n, m, best);
        return true;
      }
      if (nodes < 0) proven_ = false;
    }
  }

  int64_t work_;
  bool proven_ = true;
};

StatusOr<Encoded> EncodeNearestImpl(float v, int depth, bool* proven,
                                    int64_t work_budget) {
  if (Status s = CheckInput(v, depth); !s.ok()) return s;
  const int n = depth + 1;
  if (v == 0) {
    if (proven != nullptr) *proven = true;
    return Encoded{};  // sign 0, all level bytes 0
  }
  NearestSearch search(work_budget);
  Result best;
  search.Solve(std::abs(double(v)), n, &best);
  if (proven != nullptr) *proven = search.proven();
  return MakeEncoded(SignOf(v), best.q, n);
}

}  // namespace

double MinMagnitude(int depth) { return std::ldexp(1.0, -8 * depth); }
double MaxMagnitude(int /*depth*/) { return 256.0; }

StatusOr<Encoded> EncodeSeed(float v, int depth) {
  if (Status s = CheckInput(v, depth); !s.ok()) return s;
  if (v == 0) return Encoded{};  // the seed returns [128] * (depth + 1)
  const int n = depth + 1;
  int q[kMaxLevels];
  if (!SeedLevels(std::abs(double(v)), n, q)) {
    return OutOfRange("FPINS: 256 / |v| overflows");
  }
  return MakeEncoded(SignOf(v), q, n);
}

StatusOr<Encoded> EncodeNearest(float v, int depth) {
  return EncodeNearestImpl(v, depth, nullptr, internal::kNearestWorkBudget);
}

double DecodeMagnitude(const uint8_t* levels, int depth) {
  if (levels == nullptr || depth < 0 || depth > kMaxDepth) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double product = 1.0;
  for (int i = 0; i <= depth; ++i) product *= ByteToLevel(levels[i]);
  return 256.0 / product;
}

float Decode(const Encoded& e, int depth) {
  if (e.sign == 0) return 0.0f;
  const float mag = static_cast<float>(DecodeMagnitude(e.levels, depth));
  return e.sign < 0 ? -mag : mag;
}

namespace internal {
StatusOr<Encoded> EncodeNearestChecked(float v, int depth, bool* proven,
                                       int64_t work_budget) {
  return EncodeNearestImpl(v, depth, proven, work_budget);
}
}  // namespace internal

}  // namespace qins::fpins
