# Defines the imported target qinskernels::cpuinfo. Shared with the installed
# package config (qinskernelsConfig.cmake), so consumers resolve it the same way.
if(NOT TARGET qinskernels::cpuinfo)
  find_library(QINS_CPUINFO_LIBRARY NAMES cpuinfo libcpuinfo.so.0)
  find_path(QINS_CPUINFO_INCLUDE_DIR cpuinfo.h)
  if(NOT QINS_CPUINFO_LIBRARY OR NOT QINS_CPUINFO_INCLUDE_DIR)
    message(FATAL_ERROR "cpuinfo not found: install libcpuinfo-dev "
                        "(or libcpuinfo0:arm64 when cross-compiling)")
  endif()
  add_library(qinskernels::cpuinfo UNKNOWN IMPORTED GLOBAL)
  set_target_properties(qinskernels::cpuinfo PROPERTIES
    IMPORTED_LOCATION "${QINS_CPUINFO_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${QINS_CPUINFO_INCLUDE_DIR}")
endif()
