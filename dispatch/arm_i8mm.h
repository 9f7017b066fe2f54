// Whether the integer-dot GEMM may use the Arm i8mm matrix instructions
// (usmmla; kernels/gemm/gemm_dot-inl.h, GemmDotTileMmla). Highway 1.0.3 has
// no target for i8mm, so the NEON target built with dotprod carries an i8mm
// tile beside its sdot one and the GEMM picks between them at run time.
#ifndef QINS_DISPATCH_ARM_I8MM_H_
#define QINS_DISPATCH_ARM_I8MM_H_

namespace qins {

// Whether this CPU has i8mm (Linux: HWCAP2_I8MM; macOS:
// hw.optional.arm.FEAT_I8MM; false elsewhere and on other architectures).
// Also the "i8mm" entry of CpuInfo::features.
bool CpuHasArmI8mm();

// CpuHasArmI8mm() and the environment variable QINS_NO_I8MM unset, empty
// or "0" (any other value switches the i8mm tile off: the sdot tile, with
// the same results bit for bit, runs instead). Read once per process.
bool UseArmI8mm();

}  // namespace qins

#endif  // QINS_DISPATCH_ARM_I8MM_H_
