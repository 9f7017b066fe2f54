// Runs a GoogleTest suite once per SIMD target compiled into the library, the
// way Highway's HWY_EXPORT_AND_TEST_P does, but through the library's own
// dispatch (a Context per target). Targets the CPU cannot run are skipped, so
// the test list is the same on every machine and under every QEMU_CPU.
//
// QINS_TEST_TARGETS=neon,scalar restricts which targets run (others skip),
// so an emulated run can spend its time on the targets it exists for.
#ifndef QINS_TESTS_SUPPORT_PER_TARGET_H_
#define QINS_TESTS_SUPPORT_PER_TARGET_H_

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "qins/context.h"
#include "qins/targets.h"

namespace qins {
// Prints a Target parameter by name in test logs.
inline void PrintTo(const Target& t, std::ostream* os) { *os << TargetName(t); }
}  // namespace qins

namespace qins::testing {

std::vector<Target> TestTargets();
std::string TargetParamName(const ::testing::TestParamInfo<Target>& info);
// Empty if the target should run; otherwise why it is skipped.
std::string SkipReason(Target t);
// A context on `t` with `threads` threads; fails the test if it cannot.
Context MakeContext(Target t, int threads);

class PerTargetTest : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    const std::string why = SkipReason(GetParam());
    if (!why.empty()) GTEST_SKIP() << why;
  }
  Target target() const { return GetParam(); }
};

}  // namespace qins::testing

#define QINS_INSTANTIATE_PER_TARGET(Suite)                                   \
  INSTANTIATE_TEST_SUITE_P(                                                  \
      PerTarget, Suite, ::testing::ValuesIn(::qins::testing::TestTargets()), \
      ::qins::testing::TargetParamName)

#endif  // QINS_TESTS_SUPPORT_PER_TARGET_H_
