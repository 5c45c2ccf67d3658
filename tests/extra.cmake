# Extra test wiring owned by the command-line tool: test_npy compiles the tool's .npy and
# shape-list sources; the CLI test runs the `ingot` tool on a plan made by make_test_plan.
if(TARGET test_npy)
  target_sources(test_npy PRIVATE ${PROJECT_SOURCE_DIR}/tools/npy.c ${PROJECT_SOURCE_DIR}/tools/shapes.c)
  target_include_directories(test_npy PRIVATE ${PROJECT_SOURCE_DIR}/tools)
endif()

if(TARGET ingot_cli AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/cli/make_test_plan.c)
  add_executable(make_test_plan ${CMAKE_CURRENT_SOURCE_DIR}/cli/make_test_plan.c
                                ${PROJECT_SOURCE_DIR}/tools/npy.c)
  target_include_directories(make_test_plan PRIVATE ${PROJECT_SOURCE_DIR}/tools)
  target_link_libraries(make_test_plan PRIVATE ingot m)
  # with the example plugin library when it is built: inspect and run a plan of plugins
  set(INGOT_CLI_PLUGINS "")
  if(TARGET ingot_example_plugins)
    set(INGOT_CLI_PLUGINS $<TARGET_FILE:ingot_example_plugins>)
  endif()
  add_test(NAME cli_tests
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.sh $<TARGET_FILE:ingot_cli> $<TARGET_FILE:make_test_plan>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_work ${INGOT_CLI_PLUGINS})
  set_tests_properties(cli_tests PROPERTIES TIMEOUT 300)
endif()
