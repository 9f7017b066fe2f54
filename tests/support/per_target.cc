#include "tests/support/per_target.h"

#include <cstdlib>
#include <sstream>

namespace qins::testing {

std::vector<Target> TestTargets() { return CompiledTargets(); }

std::string TargetParamName(const ::testing::TestParamInfo<Target>& info) {
  std::string n = TargetName(info.param);
  for (char& c : n)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

std::string SkipReason(Target t) {
  if (!IsSupported(t)) return TargetName(t) + " is not supported by this CPU";
  if (const char* only = std::getenv("QINS_TEST_TARGETS"); only && *only) {
    std::stringstream ss(only);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item == TargetName(t)) return "";
    }
    return TargetName(t) + " is not in QINS_TEST_TARGETS=" + only;
  }
  return "";
}

Context MakeContext(Target t, int threads) {
  ContextOptions o;
  o.target = TargetName(t);
  o.num_threads = threads;
  StatusOr<Context> ctx = Context::Create(o);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  if (!ctx.ok()) std::abort();
  return *ctx;
}

}  // namespace qins::testing
