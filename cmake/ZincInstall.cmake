# What `cmake --install` puts where, by component (CPack makes one .deb per component, cmake/ZincPackaging.cmake):
#   lib    libzmq.so.5 and its real file                          -> libzinc5
#   dev    headers, libzmq.so, libzmq.a, libzmq.pc, the CMake     -> libzinc-dev
#          packages zinc (zinc::zinc, zinc::zinc_static) and ZeroMQ (libzmq, libzmq-static, as libzmq 4.3.4's)
#   tools  the zinc command (installed by tools/CMakeLists.txt)   -> zinc-tools
# Included from the top-level CMakeLists.txt after every target exists; zinc builds only (not ZINC_REFERENCE).
include(CMakePackageConfigHelpers)

set(ZINC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake)
get_target_property(ZINC_SHARED_VERSION zinc VERSION)
get_target_property(ZINC_SHARED_SOVERSION zinc SOVERSION)
set(ZINC_SHARED_FILE ${CMAKE_SHARED_LIBRARY_PREFIX}zmq${CMAKE_SHARED_LIBRARY_SUFFIX}.${ZINC_SHARED_VERSION})
set(ZINC_SHARED_SONAME ${CMAKE_SHARED_LIBRARY_PREFIX}zmq${CMAKE_SHARED_LIBRARY_SUFFIX}.${ZINC_SHARED_SOVERSION})
set(ZINC_STATIC_FILE ${CMAKE_STATIC_LIBRARY_PREFIX}zmq${CMAKE_STATIC_LIBRARY_SUFFIX})
if(SODIUM_FOUND)
  set(ZINC_HAVE_SODIUM 1)
else()
  set(ZINC_HAVE_SODIUM 0)
endif()

# ---- library and headers ---------------------------------------------------------------------------------
install(TARGETS zinc EXPORT zincTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)
install(TARGETS zinc_static EXPORT zincTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/include/zmq.h ${PROJECT_SOURCE_DIR}/include/zmq_utils.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# ---- pkg-config: written at install time for the real prefix (cmake/ZincInstallPc.cmake) ------------------
file(RELATIVE_PATH ZINC_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" ZINC_PC_UP "${ZINC_PC_UP}")
set(ZINC_PC_SODIUM "")
if(SODIUM_FOUND)
  set(ZINC_PC_SODIUM "libsodium")
endif()
install(CODE "
set(ZINC_PC_TEMPLATE \"${PROJECT_SOURCE_DIR}/cmake/libzmq.pc.in\")
set(ZINC_PC_WORKDIR \"${PROJECT_BINARY_DIR}/pkgconfig-install\")
set(ZINC_PC_LIBDIR_REL \"${CMAKE_INSTALL_LIBDIR}\")
set(ZINC_PC_INCLUDEDIR_REL \"${CMAKE_INSTALL_INCLUDEDIR}\")
set(ZINC_PC_UP \"${ZINC_PC_UP}\")
set(ZINC_PC_SODIUM \"${ZINC_PC_SODIUM}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/ZincInstallPc.cmake\")
" COMPONENT dev)

# ---- CMake package `zinc`: find_package(zinc) -> zinc::zinc, zinc::zinc_static ---------------------------
install(EXPORT zincTargets NAMESPACE zinc:: DESTINATION ${ZINC_CMAKE_INSTALL_DIR}/zinc COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/zincConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake-package/zinc/zincConfig.cmake
  INSTALL_DESTINATION ${ZINC_CMAKE_INSTALL_DIR}/zinc)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake-package/zinc/zincConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake-package/zinc/zincConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake-package/zinc/zincConfigVersion.cmake
        DESTINATION ${ZINC_CMAKE_INSTALL_DIR}/zinc COMPONENT dev)

# ---- CMake package `ZeroMQ`, as libzmq's: find_package(ZeroMQ) -> libzmq, libzmq-static (cppzmq uses it) --
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ZeroMQConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake-package/ZeroMQ/ZeroMQConfig.cmake
  INSTALL_DESTINATION ${ZINC_CMAKE_INSTALL_DIR}/ZeroMQ
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake-package/ZeroMQ/ZeroMQConfigVersion.cmake
  VERSION 4.3.4 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake-package/ZeroMQ/ZeroMQConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake-package/ZeroMQ/ZeroMQConfigVersion.cmake
        DESTINATION ${ZINC_CMAKE_INSTALL_DIR}/ZeroMQ COMPONENT dev)

# ---- the zinc command finds the library of its own prefix, wherever that is ----------------------------------
# (not in /usr, where the loader finds it anyway and Debian policy forbids a RUNPATH)
if(TARGET zinc_cli AND NOT CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$" AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  file(RELATIVE_PATH _zinc_bin_to_lib /p/${CMAKE_INSTALL_BINDIR} /p/${CMAKE_INSTALL_LIBDIR})
  set_property(TARGET zinc_cli PROPERTY INSTALL_RPATH "$ORIGIN/${_zinc_bin_to_lib}")
endif()
