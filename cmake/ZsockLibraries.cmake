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
add_library(zsock::zsock ALIAS zsock)
add_library(zsock::zsock_static ALIAS zsock_static)

# Tests and benchmarks reach internals (layer headers, hidden symbols) through this target.
add_library(zsock_internal INTERFACE)
target_link_libraries(zsock_internal INTERFACE zsock_static ${ZSOCK_PRIVATE_DEPS})
target_include_directories(zsock_internal INTERFACE ${PROJECT_SOURCE_DIR})

# The TLS implementation registers itself from a constructor in its object file. A static link
# only pulls archive members that something references, so reference its anchor symbol.
target_link_options(zsock_static INTERFACE LINKER:--undefined=zsock_tls_anchor)
