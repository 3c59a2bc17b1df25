# Installation: headers, libraries, the CMake package and the pkg-config files.
#
#   <prefix>/include/zsock/*.h, *.hpp, version.h
#   <prefix>/<libdir>/libzsock.so*, libzsock.a, libzsock-posix.so*, libzsock-posix.a
#   <prefix>/<libdir>/cmake/zsock/   zsockConfig.cmake (+Version), zsockTargets*.cmake and the Find
#                                    modules of the dependencies Debian ships without a package
#   <prefix>/<libdir>/pkgconfig/     zsock.pc, zsock-posix.pc
#
# find_package(zsock CONFIG) gives zsock::zsock, zsock::posix (shared) and zsock::zsock_static,
# zsock::posix_static. The static targets carry their private dependencies (fmt, MbedTLS, liburing,
# Threads, dl) and zsock_static's INTERFACE_LINK_OPTIONS (e.g. LINKER:--undefined=<anchor>, which
# keeps constructor-registered socket implementations in a static link) to the consumer.
include(CMakePackageConfigHelpers)

set(ZSOCK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/zsock CACHE STRING
    "Where the CMake package goes, relative to the prefix")
set(ZSOCK_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
    "Where the pkg-config files go, relative to the prefix")

install(DIRECTORY include/zsock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT zsock_dev
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp" PATTERN "*.in" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/zsock/version.h ${PROJECT_BINARY_DIR}/include/zsock/config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zsock COMPONENT zsock_dev)
# Zephyr source compatibility: <zephyr/net/socket.h> and friends.
install(DIRECTORY include/zephyr DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT zsock_dev
        FILES_MATCHING PATTERN "*.h")

install(TARGETS zsock zsock_static zsock_posix zsock_posix_static EXPORT zsockTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT zsock_runtime
                NAMELINK_COMPONENT zsock_dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT zsock_dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT zsock_runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT zsockTargets NAMESPACE zsock:: DESTINATION ${ZSOCK_INSTALL_CMAKEDIR}
        FILE zsockTargets.cmake COMPONENT zsock_dev)

configure_package_config_file(cmake/zsockConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/zsockConfig.cmake INSTALL_DESTINATION ${ZSOCK_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/zsockConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/zsockConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/zsockConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindMbedTLS.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindLiburing.cmake
        DESTINATION ${ZSOCK_INSTALL_CMAKEDIR} COMPONENT zsock_dev)

# zsock_pkgconfig_link_options(TARGET OUT) - TARGET's INTERFACE_LINK_OPTIONS as compiler-driver
# flags for pkg-config (LINKER:a,b becomes -Wl,a,b; SHELL: is dropped).
function(zsock_pkgconfig_link_options target out)
  get_target_property(opts ${target} INTERFACE_LINK_OPTIONS)
  set(flags "")
  if(opts)
    foreach(opt IN LISTS opts)
      if(opt MATCHES "\\$<")
        message(WARNING "zsock.pc: ${target} link option '${opt}' is a generator expression; "
                        "it is not carried into pkg-config")
        continue()
      endif()
      string(REGEX REPLACE "^SHELL:" "" opt "${opt}")
      string(REGEX REPLACE "^LINKER:" "-Wl," opt "${opt}")
      string(APPEND flags " ${opt}")
    endforeach()
  endif()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# The .pc files are written once the whole project is configured, so that link options other
# layers add to zsock_static (after this file was included) are in them.
function(zsock_write_pkgconfig)
  # Relocatable: the prefix is found from the .pc file's own place.
  file(RELATIVE_PATH rel "/p/${ZSOCK_INSTALL_PKGCONFIGDIR}" "/p")
  set(ZSOCK_PC_PREFIX "\${pcfiledir}/${rel}")
  string(REGEX REPLACE "/$" "" ZSOCK_PC_PREFIX "${ZSOCK_PC_PREFIX}")
  foreach(kind LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
      set(ZSOCK_PC_${kind} "${CMAKE_INSTALL_${kind}}")
    else()
      set(ZSOCK_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
    endif()
  endforeach()
  zsock_pkgconfig_link_options(zsock_static ZSOCK_PC_LINK_OPTIONS)
  zsock_pkgconfig_link_options(zsock_posix_static ZSOCK_PC_POSIX_LINK_OPTIONS)
  foreach(pc zsock zsock-posix)
    configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc
                   @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${ZSOCK_INSTALL_PKGCONFIGDIR}
            COMPONENT zsock_dev)
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL zsock_write_pkgconfig)
