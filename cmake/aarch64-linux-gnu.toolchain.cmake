# Cross-compile for aarch64 with Debian's crossbuild-essential-arm64 and the
# :arm64 multiarch libraries; run binaries (tests, gtest discovery) under
# qemu-aarch64. QEMU_CPU in the environment chooses the emulated CPU.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Multiarch: no sysroot; hide the host's libraries so find_package picks the
# /usr/lib/aarch64-linux-gnu/cmake configs.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
    /usr/lib/x86_64-linux-gnu/cmake /usr/lib/cmake/cpuinfo)
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# No "-L /usr/aarch64-linux-gnu": with it the emulated process mixes the cross
# toolchain's glibc with the multiarch libc6:arm64 one and every
# pthread_create hangs (seen with qemu 7.2 on Debian 12). Without it the
# binary's own interpreter, /lib/ld-linux-aarch64.so.1 from libc6:arm64, is
# used.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64)
