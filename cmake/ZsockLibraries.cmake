# Assembles the layers' objects into libzsock (shared: zsock, static: zsock_static).
get_property(_layers GLOBAL PROPERTY ZSOCK_LAYERS)
set(_objects)
foreach(layer IN LISTS _layers)
  list(APPEND _objects $<TARGET_OBJECTS:${layer}>)
endforeach()

set(ZSOCK_PRIVATE_DEPS fmt::fmt MbedTLS::mbedtls Liburing::liburing Threads::Threads ${CMAKE_DL_LIBS})

add_library(zsock SHARED ${_objects})
add_library(zsock_static STATIC ${_objects})
set_target_properties(zsock PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                       EXPORT_NAME zsock)
set_target_properties(zsock_static PROPERTIES OUTPUT_NAME zsock EXPORT_NAME zsock_static)
foreach(t zsock zsock_static)
  target_include_directories(${t} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${t} PRIVATE ${ZSOCK_PRIVATE_DEPS})
  target_compile_features(${t} INTERFACE cxx_std_20)
endforeach()
# libzsock.a is C++: a C program linked by the C driver (a C-only project using the installed
# package, where CMake cannot switch to the C++ driver) needs the C++ runtime named explicitly.
target_link_libraries(zsock_static INTERFACE "$<$<LINK_LANGUAGE:C>:stdc++;m>")
add_library(zsock::zsock ALIAS zsock)
add_library(zsock::zsock_static ALIAS zsock_static)

# Tests and benchmarks reach internals (layer headers, hidden symbols) through this target.
add_library(zsock_internal INTERFACE)
target_link_libraries(zsock_internal INTERFACE zsock_static ${ZSOCK_PRIVATE_DEPS})
target_include_directories(zsock_internal INTERFACE ${PROJECT_SOURCE_DIR})

# libzsock-posix: the standard names (socket, recv, read, poll, ...) over libzsock, for unchanged
# BSD-socket code (linked, or loaded with LD_PRELOAD). Shared: zsock_posix, static:
# zsock_posix_static. Each depends on the libzsock of the same kind, so a process holds one fd table.
set(ZSOCK_POSIX_SOURCES socket_names.c fd_names.c resolver_names.c fortify_names.c)
list(TRANSFORM ZSOCK_POSIX_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/net/posix/)
add_library(zsock_posix SHARED ${ZSOCK_POSIX_SOURCES})
add_library(zsock_posix_static STATIC ${ZSOCK_POSIX_SOURCES})
set_target_properties(zsock_posix PROPERTIES
  OUTPUT_NAME zsock-posix VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  EXPORT_NAME posix
  # Found next to libzsock wherever the pair is installed, also when loaded with LD_PRELOAD.
  INSTALL_RPATH "$ORIGIN")
set_target_properties(zsock_posix_static PROPERTIES OUTPUT_NAME zsock-posix EXPORT_NAME posix_static)
target_link_libraries(zsock_posix PUBLIC zsock)
target_link_libraries(zsock_posix_static PUBLIC zsock_static)
# Every object of libzsock-posix.a goes into a static link (see ZSOCK_POSIX_ANCHOR).
foreach(f socket_names fd_names resolver_names fortify_names)
  target_link_options(zsock_posix_static INTERFACE LINKER:--undefined=zsock_posix_anchor_${f})
endforeach()
foreach(t zsock_posix zsock_posix_static)
  target_compile_options(${t} PRIVATE $<TARGET_PROPERTY:zsock_warnings,INTERFACE_COMPILE_OPTIONS>)
endforeach()
add_library(zsock::posix ALIAS zsock_posix)
add_library(zsock::posix_static ALIAS zsock_posix_static)
# The TLS implementation registers itself from a constructor in its object file. A static link
# only pulls archive members that something references, so reference its anchor symbol.
target_link_options(zsock_static INTERFACE LINKER:--undefined=zsock_tls_anchor)
