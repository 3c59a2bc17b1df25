# FindLiburing - liburing through its pkg-config file, with a plain search as fallback.
#
# Result: Liburing_FOUND, Liburing_VERSION and the imported target Liburing::liburing.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_Liburing QUIET liburing)
endif()

find_path(Liburing_INCLUDE_DIR NAMES liburing.h HINTS ${PC_Liburing_INCLUDE_DIRS})
find_library(Liburing_LIBRARY NAMES uring HINTS ${PC_Liburing_LIBRARY_DIRS})
set(Liburing_VERSION ${PC_Liburing_VERSION})
if(NOT Liburing_VERSION AND Liburing_INCLUDE_DIR AND EXISTS "${Liburing_INCLUDE_DIR}/liburing/io_uring_version.h")
  file(STRINGS "${Liburing_INCLUDE_DIR}/liburing/io_uring_version.h" _maj REGEX "IO_URING_VERSION_MAJOR")
  file(STRINGS "${Liburing_INCLUDE_DIR}/liburing/io_uring_version.h" _min REGEX "IO_URING_VERSION_MINOR")
  string(REGEX MATCH "[0-9]+" _maj "${_maj}")
  string(REGEX MATCH "[0-9]+" _min "${_min}")
  set(Liburing_VERSION "${_maj}.${_min}")
endif()

find_package_handle_standard_args(Liburing
  REQUIRED_VARS Liburing_LIBRARY Liburing_INCLUDE_DIR VERSION_VAR Liburing_VERSION)

if(Liburing_FOUND AND NOT TARGET Liburing::liburing)
  add_library(Liburing::liburing UNKNOWN IMPORTED)
  set_target_properties(Liburing::liburing PROPERTIES
    IMPORTED_LOCATION "${Liburing_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Liburing_INCLUDE_DIR}")
endif()
mark_as_advanced(Liburing_INCLUDE_DIR Liburing_LIBRARY)
