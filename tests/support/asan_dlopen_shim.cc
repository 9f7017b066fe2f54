// Linked into test executables of the asan and tsan presets only.
//
// oneTBB 2021.8 dlopens libtbbbind (its NUMA/hwloc helper) with RTLD_DEEPBIND,
// which AddressSanitizer and ThreadSanitizer refuse: it reports google/sanitizers#611 and aborts
// the process, before any of our code is checked. This definition of dlopen in
// the executable comes first in symbol lookup, so it receives libtbb's call;
// it drops RTLD_DEEPBIND and forwards to the next dlopen (ASan's interceptor,
// then libc's). Nothing else changes: TBB still loads tbbbind and sees the
// same topology.
#include <dlfcn.h>

extern "C" void* dlopen(const char* file, int mode) {
  using DlopenFn = void* (*)(const char*, int);
  static const DlopenFn next =
      reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen"));
  return next(file, mode & ~RTLD_DEEPBIND);
}
