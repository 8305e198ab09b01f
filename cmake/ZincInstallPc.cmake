# Install-time script (run from cmake_install.cmake, component dev): writes libzmq.pc for the prefix actually
# installed to (`cmake --install --prefix P`, CPack's /usr), so the configure-time prefix does not matter.
# In /usr the paths are absolute (pkg-config then drops -I/usr/include as a system directory); anywhere
# else they are relative to the .pc file (${pcfiledir}), so the installed tree can be moved.
# Inputs (set by cmake/ZincInstall.cmake): ZINC_PC_TEMPLATE, ZINC_PC_WORKDIR, ZINC_PC_LIBDIR_REL,
# ZINC_PC_INCLUDEDIR_REL, ZINC_PC_UP (the ../.. from the .pc's directory to the prefix), ZINC_PC_SODIUM.

set(_zinc_pc_dir "${CMAKE_INSTALL_PREFIX}/${ZINC_PC_LIBDIR_REL}/pkgconfig")
if(IS_ABSOLUTE "${ZINC_PC_LIBDIR_REL}")
  set(_zinc_pc_dir "${ZINC_PC_LIBDIR_REL}/pkgconfig")
endif()

if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$" OR IS_ABSOLUTE "${ZINC_PC_LIBDIR_REL}"
   OR IS_ABSOLUTE "${ZINC_PC_INCLUDEDIR_REL}")
  string(REGEX REPLACE "/$" "" ZINC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(ZINC_PC_PREFIX "\${pcfiledir}/${ZINC_PC_UP}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${ZINC_PC_${kind}_REL}")
    set(ZINC_PC_${kind} "${ZINC_PC_${kind}_REL}")
  else()
    set(ZINC_PC_${kind} "\${prefix}/${ZINC_PC_${kind}_REL}")
  endif()
endforeach()

configure_file("${ZINC_PC_TEMPLATE}" "${ZINC_PC_WORKDIR}/libzmq.pc" @ONLY)
file(INSTALL DESTINATION "${_zinc_pc_dir}" TYPE FILE FILES "${ZINC_PC_WORKDIR}/libzmq.pc")
