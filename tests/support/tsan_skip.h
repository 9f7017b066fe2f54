// QINS_SKIP_UNDER_TSAN(): skips a test in the ThreadSanitizer build.
// Tests whose Contexts have worker threads hand work to oneTBB; Debian's
// oneTBB is not built with -fsanitize=thread, so TSan cannot see its
// synchronisation and reports every hand-off as a race. Such tests run in the
// release and ASan builds; under TSan only the single-thread-Context variants
// run (all sharing is then between the test's own caller threads).
#ifndef QINS_TESTS_SUPPORT_TSAN_SKIP_H_
#define QINS_TESTS_SUPPORT_TSAN_SKIP_H_

#include "gtest/gtest.h"

#if defined(__SANITIZE_THREAD__)
#define QINS_SKIP_UNDER_TSAN() \
  GTEST_SKIP() << "oneTBB is not instrumented for ThreadSanitizer"
#else
#define QINS_SKIP_UNDER_TSAN() (void)0
#endif

#endif  // QINS_TESTS_SUPPORT_TSAN_SKIP_H_
