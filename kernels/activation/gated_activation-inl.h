// Per-target gated activations (qins/activation.h): gate = act(gate) * up.
// Included once per target by dispatch/activation_dispatch.cc.
//
// Cost per vector of N floats: SiLU one Exp (Highway's: a range reduction,
// a degree-6 polynomial, the 2^q scaling; ~15 ops), an add and a divide;
// GELU one Tanh (an Expm1 of ~18 ops and a divide) and 6 multiplies/adds;
// each plus 3 subnormal flushes (compare, and, select). Against the
// runner's former scalar loop of one libm tanhf / expf call per element
// (~37 us per 2048-float row of Gemma 3 270M, 4.8% of its decode time on
// the AMD EPYC Zen 4 host, 2026-12-07), all of it in registers.
//
// FP environment: subnormal inputs are replaced by a zero of their sign and
// act(g) and the product by a zero of their sign where they are below
// FLT_MIN, before anything reads them, so DAZ/FTZ (which would do the same
// to them) change nothing. Intermediates that can be subnormal (exp(-g)
// past -87, g^2 for tiny g) are only ever added to 1, where a subnormal and
// a zero give the same sum.

#if defined(QINS_KERNELS_ACTIVATION_GATED_ACTIVATION_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_ACTIVATION_GATED_ACTIVATION_INL_H_
#undef QINS_KERNELS_ACTIVATION_GATED_ACTIVATION_INL_H_
#else
#define QINS_KERNELS_ACTIVATION_GATED_ACTIVATION_INL_H_
#endif

#include <float.h>
#include <stddef.h>
#include <string.h>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// v with every subnormal lane replaced by a zero of its sign (NaN, Inf and
// normal lanes unchanged): 3 ops.
template <class D, class V>
HWY_INLINE V FlushSubnormals(D d, V v) {
  const auto tiny = hn::Lt(hn::Abs(v), hn::Set(d, FLT_MIN));
  return hn::IfThenElse(tiny, hn::And(v, hn::SignBit(d)), v);
}

// g / (1 + exp(-g)). exp's argument is clamped at 100 (Highway's Exp holds
// up to 104 and gives +Inf from 88.73 on, so the quotient is -0 there; the
// exact value's magnitude is below 3e-37 by then); below -100, -0 outright
// (so that -Inf gives -0, not -Inf / Inf).
struct SiluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V g) const {
    const V e = hn::Exp(d, hn::Min(hn::Neg(g), hn::Set(d, 100.0f)));
    const V r = hn::Div(g, hn::Add(hn::Set(d, 1.0f), e));
    return hn::IfThenElse(hn::Lt(g, hn::Set(d, -100.0f)), hn::Set(d, -0.0f), r);
  }
};

// (0.5 g) (1 + tanh((sqrt(2/pi) g) (1 + (0.044715 g) g))), the runner's
// former scalar order. Below -20 tanh is -1 in f32, so the value is -0
// there; it is set outright so that -Inf gives -0, not -Inf * 0.
struct GeluTanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V g) const {
    const V one = hn::Set(d, 1.0f);
    const V inner = hn::Add(one, hn::Mul(hn::Mul(hn::Set(d, 0.044715f), g), g));
    const V u = hn::Mul(
        hn::Mul(hn::Set(d, 0.79788456080286535587989211986876f), g), inner);
    const V r =
        hn::Mul(hn::Mul(hn::Set(d, 0.5f), g), hn::Add(one, hn::Tanh(d, u)));
    return hn::IfThenElse(hn::Lt(g, hn::Set(d, -20.0f)), hn::Set(d, -0.0f), r);
  }
};

template <class Op, class D>
HWY_INLINE hn::Vec<D> GatedVector(D d, hn::Vec<D> g, hn::Vec<D> u) {
  const auto act = FlushSubnormals(d, Op()(d, FlushSubnormals(d, g)));
  return FlushSubnormals(d, hn::Mul(act, FlushSubnormals(d, u)));
}

// Whole vectors, then the tail through a zero-padded buffer (SVE vectors
// are at most 2048 bits: 64 floats).
template <class Op>
HWY_INLINE void GatedRows(float* HWY_RESTRICT gate, const float* up, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(GatedVector<Op>(d, hn::LoadU(d, gate + i), hn::LoadU(d, up + i)),
               d, gate + i);
  }
  if (i < n) {
    HWY_ALIGN float bg[64] = {}, bu[64] = {};
    memcpy(bg, gate + i, (n - i) * sizeof(float));
    memcpy(bu, up + i, (n - i) * sizeof(float));
    hn::Store(GatedVector<Op>(d, hn::Load(d, bg), hn::Load(d, bu)), d, bg);
    memcpy(gate + i, bg, (n - i) * sizeof(float));
  }
}

void SiluGate(float* gate, const float* up, size_t n) {
  GatedRows<SiluOp>(gate, up, n);
}

void GeluTanhGate(float* gate, const float* up, size_t n) {
  GatedRows<GeluTanhOp>(gate, up, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_ACTIVATION_GATED_ACTIVATION_INL_H_
