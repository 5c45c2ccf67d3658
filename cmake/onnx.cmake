# The ONNX reader's generated code: protoc-c compiles src/onnx/onnx.proto at build time into
# <build>/generated/onnx.pb-c.c and onnx.pb-c.h, compiled into the library and linked with
# libprotobuf-c. Include this file from the top CMakeLists.txt after the library targets,
# then call ingot_onnx_attach(<target> PRIVATE|PUBLIC) for each target that holds src/*.c.

find_program(INGOT_PROTOC_C protoc-c)
find_path(INGOT_PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h)
find_library(INGOT_PROTOBUF_C_LIBRARY NAMES protobuf-c)
# pkg-config knows non-standard prefixes; the plain searches above cover the distributions.
if(NOT INGOT_PROTOBUF_C_LIBRARY OR NOT INGOT_PROTOBUF_C_INCLUDE_DIR)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(INGOT_PC_PROTOBUF_C QUIET libprotobuf-c)
    if(INGOT_PC_PROTOBUF_C_FOUND)
      find_path(INGOT_PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h HINTS ${INGOT_PC_PROTOBUF_C_INCLUDE_DIRS})
      find_library(INGOT_PROTOBUF_C_LIBRARY NAMES protobuf-c HINTS ${INGOT_PC_PROTOBUF_C_LIBRARY_DIRS})
    endif()
  endif()
endif()
if(NOT INGOT_PROTOC_C OR NOT INGOT_PROTOBUF_C_INCLUDE_DIR OR NOT INGOT_PROTOBUF_C_LIBRARY)
  message(FATAL_ERROR
    "ingot's ONNX parser needs protobuf-c (found: protoc-c='${INGOT_PROTOC_C}', "
    "protobuf-c.h in '${INGOT_PROTOBUF_C_INCLUDE_DIR}', library '${INGOT_PROTOBUF_C_LIBRARY}'). "
    "Install it with: apt-get install protobuf-c-compiler libprotobuf-c-dev "
    "(or run scripts/install-deps.sh), then configure again.")
endif()

set(INGOT_ONNX_PROTO ${CMAKE_CURRENT_LIST_DIR}/../src/onnx/onnx.proto)
get_filename_component(INGOT_ONNX_PROTO ${INGOT_ONNX_PROTO} ABSOLUTE)
get_filename_component(INGOT_ONNX_PROTO_DIR ${INGOT_ONNX_PROTO} DIRECTORY)
set(INGOT_ONNX_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
set(INGOT_ONNX_GENERATED_SOURCES ${INGOT_ONNX_GENERATED_DIR}/onnx.pb-c.c)
file(MAKE_DIRECTORY ${INGOT_ONNX_GENERATED_DIR})
add_custom_command(
  OUTPUT ${INGOT_ONNX_GENERATED_DIR}/onnx.pb-c.c ${INGOT_ONNX_GENERATED_DIR}/onnx.pb-c.h
  COMMAND ${INGOT_PROTOC_C} --proto_path=${INGOT_ONNX_PROTO_DIR} --c_out=${INGOT_ONNX_GENERATED_DIR} ${INGOT_ONNX_PROTO}
  DEPENDS ${INGOT_ONNX_PROTO}
  COMMENT "protoc-c: generating the ONNX reader from src/onnx/onnx.proto"
  VERBATIM)
# One target owns the generation, so two library targets never run protoc-c at once.
add_custom_target(ingot_onnx_proto DEPENDS ${INGOT_ONNX_GENERATED_DIR}/onnx.pb-c.c ${INGOT_ONNX_GENERATED_DIR}/onnx.pb-c.h)
# Generated code is not ours to keep warning-free.
set_source_files_properties(${INGOT_ONNX_GENERATED_SOURCES} PROPERTIES COMPILE_OPTIONS "-w")

# Adds the generated reader to `target`; `scope` is PRIVATE for the shared library (its users
# never see protobuf-c) and PUBLIC for the static copy the tests link.
function(ingot_onnx_attach target scope)
  target_sources(${target} PRIVATE ${INGOT_ONNX_GENERATED_SOURCES})
  add_dependencies(${target} ingot_onnx_proto)
  target_include_directories(${target} ${scope} ${INGOT_ONNX_GENERATED_DIR} ${INGOT_PROTOBUF_C_INCLUDE_DIR})
  target_link_libraries(${target} ${scope} ${INGOT_PROTOBUF_C_LIBRARY})
endfunction()
