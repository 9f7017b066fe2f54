#include "dispatch/arm_i8mm.h"

#include <cstdlib>
#include <cstring>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace qins {

bool CpuHasArmI8mm() {
#if defined(__aarch64__) && defined(__linux__)
  return (getauxval(AT_HWCAP2) & (1UL << 13)) != 0;  // HWCAP2_I8MM
#elif defined(__aarch64__) && defined(__APPLE__)
  int v = 0;
  size_t size = sizeof(v);
  return sysctlbyname("hw.optional.arm.FEAT_I8MM", &v, &size, nullptr, 0) ==
             0 &&
         v != 0;
#else
  return false;
#endif
}

namespace {

bool SwitchedOff() {
  const char* env = std::getenv("QINS_NO_I8MM");
  return env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0;
}

}  // namespace

bool UseArmI8mm() {
  static const bool use = CpuHasArmI8mm() && !SwitchedOff();
  return use;
}

}  // namespace qins
