// The library's parallel-for is the public one in qins/context.h
// (ParallelForRanges, ParallelFor; the contract is documented there). This
// header remains for the library's own code and names its range type.
#ifndef QINS_DISPATCH_PARALLEL_H_
#define QINS_DISPATCH_PARALLEL_H_

#include "qins/context.h"

namespace qins {

using RangeFn = ParallelRangeFn;

}  // namespace qins

#endif  // QINS_DISPATCH_PARALLEL_H_
