# CPack: `cpack -G DEB` in a build directory makes one Debian package per install component
# (cmake/ZincInstall.cmake) that replace Debian's libzmq cleanly:
#   libzinc5     (lib)    libzmq.so.5        Provides/Conflicts/Replaces libzmq5, so python3-zmq, libczmq4 ...
#                                            keep their "Depends: libzmq5 (>= ...)" satisfied
#   libzinc-dev  (dev)    headers, libzmq.so, libzmq.a, libzmq.pc, CMake packages zinc and ZeroMQ, man 3
#                                            Provides/Conflicts/Replaces libzmq3-dev (cppzmq-dev, libczmq-dev)
#   zinc-tools   (tools)  the zinc command
# Build the packages from a build configured with -DCMAKE_INSTALL_PREFIX=/usr (multiarch libdir), as
# tools/deb-check does. Included from the top-level CMakeLists.txt after every install rule.

set(ZINC_DEB_RELEASE 1 CACHE STRING "Debian revision of the zinc packages")
set(ZINC_DEB_VERSION ${PROJECT_VERSION}-${ZINC_DEB_RELEASE})
# The libzmq version that zinc's packages stand in for: its API and ABI (4.3.4), tagged as zinc's.
set(ZINC_DEB_LIBZMQ_VERSION 4.3.4-zinc${PROJECT_VERSION})

if(NOT CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  message(STATUS "zinc: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; configure with -DCMAKE_INSTALL_PREFIX=/usr "
                 "before `cpack -G DEB` so that the library goes to /usr/${CMAKE_INSTALL_LIBDIR} like Debian's")
endif()

set(CPACK_PACKAGE_NAME zinc)
set(CPACK_PACKAGE_VENDOR "zinc")
set(CPACK_PACKAGE_CONTACT "zinc maintainers <zinc@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL "https://zeromq.org/")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/")

# Only the three components; anything installed without one ("Unspecified") stays out of the packages.
get_cmake_property(_zinc_components COMPONENTS)
set(CPACK_COMPONENTS_ALL)
foreach(c lib dev tools)
  if(c IN_LIST _zinc_components)
    list(APPEND CPACK_COMPONENTS_ALL ${c})
  endif()
endforeach()
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${ZINC_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# dpkg-shlibdeps looks for the tools' libzmq.so.5 in the build directory first (no package owns it there, so
# CPack's --ignore-missing-info skips it); when an installed libzmq5 or libzinc5 owns one, it adds that
# package's dependency too, which libzinc5 satisfies either way.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})

# ---- libzinc5: the shared library --------------------------------------------------------------------------
# What a program linked against libzmq.so.5 from this package depends on (dpkg-shlibdeps). shlibs, for tools
# that read no symbols file: the package itself, not libzmq5, since such a program may call zinc_version(),
# which Debian's libzmq lacks.
# symbols (preferred by dpkg-shlibdeps, rewritten after each link by cmake/ZincDebSymbols.cmake): per symbol,
# libzmq's API -> "libzmq5 (>= 4.3.4)" (Debian's libzmq5 or libzinc5), zinc_* -> "libzinc5 (>= version)".
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/deb/lib)
file(WRITE ${PROJECT_BINARY_DIR}/deb/lib/shlibs "libzmq 5 libzinc5 (>= ${ZINC_DEB_VERSION})\n")
add_custom_command(TARGET zinc POST_BUILD
  COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIB=$<TARGET_FILE:zinc> -DOUT=${PROJECT_BINARY_DIR}/deb/lib/symbols
          -DZINC_VERSION=${ZINC_DEB_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/ZincDebSymbols.cmake
  VERBATIM)
set(CPACK_COMPONENT_LIB_DISPLAY_NAME "zinc library")
# Descriptions: the first line is the synopsis; CPack indents and wraps the rest.
set(CPACK_COMPONENT_LIB_DESCRIPTION "ZeroMQ messaging library (zinc, libzmq 4.3.4 compatible)
zinc implements the libzmq 4.3.4 API and ABI in C11: libzmq.so.5 with the same soname and
symbols. This package replaces Debian's libzmq5; programs and bindings built for libzmq
(python3-zmq, czmq, cppzmq) run unchanged.")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libzinc5)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_LIB_PACKAGE_PROVIDES "libzmq5 (= ${ZINC_DEB_LIBZMQ_VERSION})")
set(CPACK_DEBIAN_LIB_PACKAGE_CONFLICTS "libzmq5")
set(CPACK_DEBIAN_LIB_PACKAGE_REPLACES "libzmq5")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/deb/lib/shlibs ${PROJECT_BINARY_DIR}/deb/lib/symbols)

# ---- libzinc-dev: headers, static library, pkg-config, CMake packages -------------------------------------
set(CPACK_COMPONENT_DEV_DISPLAY_NAME "zinc development files")
set(CPACK_COMPONENT_DEV_DESCRIPTION "ZeroMQ development files (zinc, libzmq 4.3.4 compatible)
Headers (zmq.h, zmq_utils.h), the static library, libzmq.pc for pkg-config and the CMake
packages ZeroMQ (targets libzmq, libzmq-static, as libzmq's) and zinc (zinc::zinc).
This package replaces Debian's libzmq3-dev.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libzinc-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(_zinc_dev_depends "libzinc5 (= ${ZINC_DEB_VERSION})")
if(SODIUM_FOUND)
  string(APPEND _zinc_dev_depends ", libsodium-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_zinc_dev_depends}")
set(CPACK_DEBIAN_DEV_PACKAGE_PROVIDES
    "libzmq3-dev (= ${ZINC_DEB_LIBZMQ_VERSION}), libzmq5-dev (= ${ZINC_DEB_LIBZMQ_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_CONFLICTS "libzmq3-dev, libzmq5-dev, libzmq-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_REPLACES "libzmq3-dev, libzmq5-dev")

# ---- zinc-tools: the zinc command --------------------------------------------------------------------------
set(CPACK_COMPONENT_TOOLS_DISPLAY_NAME "zinc command")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "ZeroMQ command-line tool (zinc)
The zinc command: send, receive, proxy and inspect ZeroMQ sockets from the shell.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME zinc-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libzinc5 (= ${ZINC_DEB_VERSION})")

include(CPack)
