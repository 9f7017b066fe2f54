#ifndef QINS_VERSION_H_
#define QINS_VERSION_H_

#include "qins/export.h"

namespace qins {
// "0.1.0"
QINS_API const char* Version();
}  // namespace qins

#endif  // QINS_VERSION_H_
