# oneDNN as a second tactic source for the CPU backend (src/backend/cpu/dnnl/: convolution,
# inner product and matmul). INGOT_ONEDNN defaults ON when oneDNN (Debian 12's
# libdnnl-dev, 2.x) is found, OFF otherwise, and OFF under ThreadSanitizer (oneDNN runs on
# OpenMP, whose uninstrumented barriers TSan reports as races). Included from the top
# CMakeLists.txt before the library targets; ingot_onednn_attach(<target> PRIVATE|PUBLIC)
# adds the sources, oneDNN, libgomp (the tactics set OpenMP's thread count) and
# INGOT_HAVE_ONEDNN to a target that holds src/*.c. Without it the rows are absent.
find_package(dnnl CONFIG QUIET)
find_path(INGOT_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
find_library(INGOT_DNNL_LIBRARY NAMES dnnl)
find_package(OpenMP QUIET COMPONENTS C)
set(INGOT_ONEDNN_DEFAULT OFF)
if((dnnl_FOUND OR (INGOT_DNNL_INCLUDE_DIR AND INGOT_DNNL_LIBRARY)) AND OpenMP_C_FOUND AND NOT INGOT_TSAN)
  set(INGOT_ONEDNN_DEFAULT ON)
endif()
option(INGOT_ONEDNN "ingot: oneDNN tactics for CPU convolution, fully connected and matmul (libdnnl-dev)"
       ${INGOT_ONEDNN_DEFAULT})

set(INGOT_ONEDNN_ENABLED OFF)
if(INGOT_ONEDNN)
  if(NOT (dnnl_FOUND OR (INGOT_DNNL_INCLUDE_DIR AND INGOT_DNNL_LIBRARY)) OR NOT OpenMP_C_FOUND)
    message(FATAL_ERROR "INGOT_ONEDNN=ON but oneDNN (apt-get install libdnnl-dev) or OpenMP was not found; "
                        "set INGOT_ONEDNN=OFF to build without the oneDNN tactics")
  endif()
  set(INGOT_ONEDNN_ENABLED ON)
  file(GLOB INGOT_ONEDNN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/backend/cpu/dnnl/*.c)
  if(dnnl_FOUND)
    set(INGOT_ONEDNN_LINK DNNL::dnnl)
  else()
    set(INGOT_ONEDNN_LINK ${INGOT_DNNL_LIBRARY})
  endif()
  message(STATUS "ingot: oneDNN tactics ON (${INGOT_ONEDNN_LINK})")
else()
  message(STATUS "ingot: oneDNN tactics OFF (apt-get install libdnnl-dev to build them)")
endif()

function(ingot_onednn_attach target scope)
  if(NOT INGOT_ONEDNN_ENABLED)
    return()
  endif()
  target_sources(${target} PRIVATE ${INGOT_ONEDNN_SOURCES})
  target_compile_definitions(${target} ${scope} INGOT_HAVE_ONEDNN=1)
  if(INGOT_DNNL_INCLUDE_DIR)
    target_include_directories(${target} PRIVATE ${INGOT_DNNL_INCLUDE_DIR})
  endif()
  # omp_set_num_threads only: no -fopenmp, ingot's own code stays on its thread pool
  target_link_libraries(${target} ${scope} ${INGOT_ONEDNN_LINK} ${OpenMP_C_LIBRARIES})
endfunction()
