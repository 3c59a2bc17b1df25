# Installation: headers, libraries, the CMake package and the pkg-config files.
include(CMakePackageConfigHelpers)
install(DIRECTORY include/zsock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING
        PATTERN "*.h" PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/zsock/version.h ${PROJECT_BINARY_DIR}/include/zsock/config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zsock)
# Zephyr source compatibility: <zephyr/net/socket.h> and friends.
install(DIRECTORY include/zephyr DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
