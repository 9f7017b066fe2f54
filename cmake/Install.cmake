include(CMakePackageConfigHelpers)

install(TARGETS qinskernels qinskernels_static EXPORT qinskernelsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/qins DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(QINS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/qinskernels)
install(EXPORT qinskernelsTargets NAMESPACE qinskernels::
        DESTINATION ${QINS_CMAKE_DIR})
configure_package_config_file(cmake/qinskernelsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/qinskernelsConfig.cmake
  INSTALL_DESTINATION ${QINS_CMAKE_DIR})
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/qinskernelsConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qinskernelsConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/qinskernelsConfigVersion.cmake
              cmake/FindCpuinfoLibrary.cmake
        DESTINATION ${QINS_CMAKE_DIR})

# The .pc file locates the prefix relative to itself (${pcfiledir}), so it stays
# right when installed with `cmake --install --prefix <elsewhere>` or moved.
file(RELATIVE_PATH QINS_PC_RELATIVE_PREFIX
     "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
configure_file(cmake/qinskernels.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/qinskernels.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qinskernels.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
