# CMake package config for the engine installed inside the Python package.
#   find_package(hyperparameter 0.1 REQUIRED)  # -Dhyperparameter_DIR=$(python -m hyperparameter --cmakedir)
#   target_link_libraries(my_kernel PRIVATE hyperparameter::hyperparameter)
# The version check is hyperparameterConfigVersion.cmake beside this file, written at build time.
get_filename_component(_hyperparameter_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET hyperparameter::hyperparameter)
  add_library(hyperparameter::hyperparameter SHARED IMPORTED)
  # The names the engine is built with (rust/build.rs): programs record the versioned one.
  if(WIN32)
    set_target_properties(hyperparameter::hyperparameter PROPERTIES
      IMPORTED_LOCATION "${_hyperparameter_root}/hyperparameter.dll"
      IMPORTED_IMPLIB "${_hyperparameter_root}/hyperparameter.lib")
  elseif(APPLE)
    set_target_properties(hyperparameter::hyperparameter PROPERTIES
      IMPORTED_LOCATION "${_hyperparameter_root}/libhyperparameter.0.dylib"
      IMPORTED_SONAME "@rpath/libhyperparameter.0.dylib")
  else()
    set_target_properties(hyperparameter::hyperparameter PROPERTIES
      IMPORTED_LOCATION "${_hyperparameter_root}/libhyperparameter.so.0"
      IMPORTED_SONAME "libhyperparameter.so.0")
  endif()
  # hyperparameter.hpp is C++17; a C program only includes hyperparameter.h.
  set_target_properties(hyperparameter::hyperparameter PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_hyperparameter_root}/include"
    INTERFACE_COMPILE_FEATURES cxx_std_17)
endif()
set(hyperparameter_INCLUDE_DIRS "${_hyperparameter_root}/include")
set(hyperparameter_LIBRARIES hyperparameter::hyperparameter)
unset(_hyperparameter_root)
