// Index into a Highway HWY_EXPORT table for one target, without touching
// Highway's global ChosenTarget (so a target can be chosen per Context, from
// several threads, and Highway 1.0.3's DisableTargets re-initialisation bug
// cannot undo the choice).
//
// Must be included only by translation units compiled with the library's
// Highway defines (the table layout depends on HWY_TARGETS).
#ifndef QINS_DISPATCH_TARGET_INDEX_H_
#define QINS_DISPATCH_TARGET_INDEX_H_

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"

namespace qins {

// Position of `target_bit`'s entry in a table made by HWY_EXPORT in the
// calling translation unit. Precondition: target_bit is in HWY_TARGETS.
HWY_INLINE size_t HwyTableIndex(int64_t target_bit) {
#if (HWY_TARGETS & (HWY_TARGETS - 1)) == 0
  (void)target_bit;
  return 0;  // single-target build: HWY_EXPORT makes a one-entry table
#else
  hwy::ChosenTarget chosen;
  // Update() adds the fallback (scalar/emu128) bit; GetIndex() takes the best
  // bit present, which is target_bit itself when it is a compiled SIMD target
  // and the fallback entry when target_bit is the fallback.
  chosen.Update(target_bit);
  return chosen.GetIndex();
#endif
}

}  // namespace qins

// Defines `const Table& Getter(Target t)`, returning the per-target table
// that HWY_NAMESPACE::TableGetter() builds, for use inside `#if HWY_ONCE` of
// a dispatch translation unit (one HWY_EXPORT per kernel family).
#define QINS_EXPORT_KERNEL_TABLE(TableGetter, Table, Getter)                 \
  HWY_EXPORT(TableGetter);                                                   \
  const Table& Getter(Target t) {                                            \
    return *HWY_DISPATCH_TABLE(TableGetter)[::qins::HwyTableIndex(t.bit)](); \
  }

#endif  // QINS_DISPATCH_TARGET_INDEX_H_
