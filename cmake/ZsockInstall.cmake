# Installation: headers, libraries, the CMake package and the pkg-config files.
include(CMakePackageConfigHelpers)
install(DIRECTORY include/zsock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING
        PATTERN "*.h" PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/zsock/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zsock)
