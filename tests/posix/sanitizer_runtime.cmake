# Sets ZSOCK_SANITIZER_RUNTIME: in a sanitizer build (ZSOCK_SANITIZER address/thread), the path
# of the shared sanitizer runtime that must come first in LD_PRELOAD when a sanitized libzsock is
# preloaded (see preload_env.sh); "missing:<name>" when the compiler does not have it, which makes
# the preload tests skip (exit 77) with that reason; empty otherwise.
set(ZSOCK_SANITIZER_RUNTIME "")
set(_zsock_rt "")
if(ZSOCK_SANITIZER STREQUAL "address")
  set(_zsock_rt libasan.so)
elseif(ZSOCK_SANITIZER STREQUAL "thread")
  set(_zsock_rt libtsan.so)
endif()
if(_zsock_rt)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=${_zsock_rt}
                  OUTPUT_VARIABLE _zsock_rt_path OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${_zsock_rt_path}" AND EXISTS "${_zsock_rt_path}")
    # The versioned library the loader wants, not the development symlink.
    get_filename_component(ZSOCK_SANITIZER_RUNTIME "${_zsock_rt_path}" REALPATH)
  else()
    set(ZSOCK_SANITIZER_RUNTIME "missing:${_zsock_rt}")
  endif()
endif()
