# Warning flags for zsock's own targets (never forced on consumers).
add_library(zsock_warnings INTERFACE)
target_compile_options(zsock_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wno-missing-field-initializers
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>)
