# zsock_add_layer(NAME SOURCES... [DEPENDS targets...]) - one layer (core, net, tls, coro) as an
# object library. Its private headers are included as "layer/file.hpp" from the source root; the
# public ones as <zsock/...>. The objects are assembled into libzsock by ZsockLibraries.cmake.
function(zsock_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} OBJECT ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    ZSOCK_OFFLOAD_PRIORITY=${ZSOCK_OFFLOAD_PRIORITY} ZSOCK_TLS_PRIORITY=${ZSOCK_TLS_PRIORITY})
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} PRIVATE zsock_warnings)
  set_property(GLOBAL APPEND PROPERTY ZSOCK_LAYERS ${name})
endfunction()
