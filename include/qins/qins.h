// Umbrella header for libqinskernels.
#ifndef QINS_QINS_H_
#define QINS_QINS_H_

#include "qins/activation.h"
#include "qins/bandwidth.h"
#include "qins/context.h"
#include "qins/cpu_info.h"
#include "qins/format.h"
#include "qins/gemm.h"
#include "qins/gemv.h"
#include "qins/perf_counters.h"
#include "qins/qins_tables.h"
#include "qins/quantize.h"
#include "qins/status.h"
#include "qins/targets.h"
#include "qins/version.h"

#endif  // QINS_QINS_H_
