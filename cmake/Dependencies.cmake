# Debian 12 packages only: libhwy-dev, libtbb-dev, libcpuinfo-dev (amd64) or
# libcpuinfo0 (arm64 cross), libgtest-dev, libbenchmark-dev.
find_package(hwy 1.0.3 REQUIRED CONFIG)
find_package(TBB REQUIRED CONFIG)
find_package(Threads REQUIRED)

# cpuinfo's CMake config in Debian 12 is broken (it points at
# /usr/lib/lib/<triplet>/libclog.a), and only libcpuinfo0 installs for arm64,
# so find the library and header directly.
include(cmake/FindCpuinfoLibrary.cmake)
