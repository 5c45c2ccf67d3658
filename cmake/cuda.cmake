# The CUDA backend: src/backend/cuda/**/*.c (C against the CUDA runtime, cuBLASLt and
# cuDNN) and src/backend/cuda/**/*.cu (own kernels), built when CMake finds a CUDA
# compiler and cuDNN (INGOT_CUDA, default ON then). Included from the top CMakeLists.txt
# before the library targets; ingot_cuda_attach(<target> PRIVATE|PUBLIC) adds the sources,
# libraries and INGOT_HAVE_CUDA to each target that holds src/*.c. Without a GPU the
# library still loads: every device query fails with a status (no driver), nothing aborts.
include(CheckLanguage)
check_language(CUDA)
set(INGOT_CUDA_DEFAULT OFF)
if(CMAKE_CUDA_COMPILER)
  set(INGOT_CUDA_DEFAULT ON)
endif()
option(INGOT_CUDA "ingot: build the CUDA backend (needs the CUDA toolkit and cuDNN 9)" ${INGOT_CUDA_DEFAULT})

set(INGOT_CUDA_ENABLED OFF)
if(INGOT_CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "INGOT_CUDA=ON but no CUDA compiler was found (set CMAKE_CUDA_COMPILER or INGOT_CUDA=OFF)")
  endif()
  # Hopper (sm_90) only by default: one device pass keeps CI's build short. Add 80 for
  # Ampere with -DCMAKE_CUDA_ARCHITECTURES="80;90".
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  # One CUDA runtime in the process: the .cu objects use the same libcudart.so as the C.
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  find_path(INGOT_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/include /usr/include)
  find_library(INGOT_CUDNN_LIBRARY NAMES cudnn
    HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib /usr/local/cuda/lib /usr/local/cuda/lib64)
  if(NOT INGOT_CUDNN_INCLUDE_DIR OR NOT INGOT_CUDNN_LIBRARY)
    message(FATAL_ERROR "INGOT_CUDA=ON needs cuDNN 9 (found cudnn.h in '${INGOT_CUDNN_INCLUDE_DIR}', "
                        "library '${INGOT_CUDNN_LIBRARY}'); set INGOT_CUDA=OFF to build without the CUDA backend")
  endif()
  set(INGOT_CUDA_ENABLED ON)
  file(GLOB_RECURSE INGOT_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/backend/cuda/*.c)
  # The .cu kernels are compiled once (nvcc is the slow part of CI's build) and their
  # objects go into both the shared library and the tests' static copy.
  file(GLOB_RECURSE INGOT_CUDA_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/backend/cuda/*.cu)
  add_library(ingot_cuda_kernels OBJECT ${INGOT_CUDA_KERNEL_SOURCES})
  target_include_directories(ingot_cuda_kernels PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/src)
  set_target_properties(ingot_cuda_kernels PROPERTIES POSITION_INDEPENDENT_CODE ON)
  message(STATUS "ingot: CUDA backend ON (archs ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${INGOT_CUDNN_LIBRARY})")
else()
  message(STATUS "ingot: CUDA backend OFF")
endif()

function(ingot_cuda_attach target scope)
  if(NOT INGOT_CUDA_ENABLED)
    return()
  endif()
  target_sources(${target} PRIVATE ${INGOT_CUDA_SOURCES} $<TARGET_OBJECTS:ingot_cuda_kernels>)
  target_compile_definitions(${target} ${scope} INGOT_HAVE_CUDA=1)
  target_include_directories(${target} ${scope} ${CUDAToolkit_INCLUDE_DIRS} ${INGOT_CUDNN_INCLUDE_DIR})
  target_link_libraries(${target} ${scope} CUDA::cudart CUDA::cublasLt ${INGOT_CUDNN_LIBRARY})
  # Linked by the C compiler (the sanitizer runtimes come with it); no device linking.
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C CUDA_SEPARABLE_COMPILATION OFF)
endfunction()
