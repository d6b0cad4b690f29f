# CMake package config for the engine installed inside the Python package.
#   find_package(hyperparameter REQUIRED)   # with -Dhyperparameter_DIR=$(python -m hyperparameter --cmakedir)
#   target_link_libraries(my_kernel PRIVATE hyperparameter::hyperparameter)
get_filename_component(_hyperparameter_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET hyperparameter::hyperparameter)
  add_library(hyperparameter::hyperparameter SHARED IMPORTED)
  set_target_properties(hyperparameter::hyperparameter PROPERTIES
    IMPORTED_LOCATION "${_hyperparameter_root}/libhyperparameter.so"
    IMPORTED_SONAME "libhyperparameter.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_hyperparameter_root}/include")
endif()
set(hyperparameter_INCLUDE_DIRS "${_hyperparameter_root}/include")
set(hyperparameter_LIBRARIES hyperparameter::hyperparameter)
set(hyperparameter_FOUND TRUE)
