# Helpers shared by the area CMakeLists.txt files.

# dv_area(NAME SOURCES ... [LIBS ...])
#   static library dv_NAME, part of libdronevault.
function(dv_area name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_library(dv_${name} STATIC ${A_SOURCES})
  # include/ is the public API; src/ holds the areas' internal headers
  # (src/<area>/<name>_int.h, included as "<area>/<name>_int.h"), which the
  # areas, tests and fuzz targets see and the command line does not.
  target_include_directories(dv_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include
                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/src)
  if(NOT name STREQUAL "core")
    target_link_libraries(dv_${name} PUBLIC dv_core)
  endif()
  if(A_LIBS)
    target_link_libraries(dv_${name} PUBLIC ${A_LIBS})
  endif()
  target_link_libraries(dronevault INTERFACE dv_${name})
  # the definitions every part of libdronevault sees (DV_LIBEXECDIR, ...)
  target_compile_definitions(dv_${name} PRIVATE
    $<TARGET_PROPERTY:dronevault,INTERFACE_COMPILE_DEFINITIONS>)
endfunction()

# dv_unit_test(NAME SOURCES ... LIBS ... [LABELS ...] [NEEDS target ...] [ENV K=V ...])
#   a unit test executable tests/NAME; exit 77 means skipped. NEEDS: targets
#   (e.g. dv_reader) built before it; ENV: more environment for the run.
#   Nothing when DV_BUILD_TESTS is off, so a caller never names a test that
#   may not exist.
function(dv_unit_test name)
  if(NOT DV_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS;NEEDS;ENV" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77
    LABELS "unit;${T_LABELS}"
    ENVIRONMENT "DV_SHARED=${DV_SHARED_DIR};DV_SOURCE_DIR=${CMAKE_SOURCE_DIR};DV_TMP=${CMAKE_BINARY_DIR}/testtmp")
  if(T_NEEDS)
    add_dependencies(${name} ${T_NEEDS})
  endif()
  if(T_ENV)
    set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT ${T_ENV})
  endif()
endfunction()

# dv_fuzz_target(NAME SOURCE file LIBS ... [CORPUS dir ...])
#   With DV_FUZZ: a libFuzzer binary, and a ctest smoke run of 15 s over the
#   corpus directories. Without: the same entry point linked with a driver
#   that replays every corpus file once (a regression test under gcc).
#   DV_BUILD_TESTS off: no ctest runs; a libFuzzer binary is still built
#   with DV_FUZZ, a replay binary is not built at all.
function(dv_fuzz_target name)
  cmake_parse_arguments(F "" "SOURCE" "LIBS;CORPUS" ${ARGN})
  if(NOT DV_BUILD_TESTS AND NOT DV_FUZZ)
    return()
  endif()
  add_executable(${name} ${F_SOURCE})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  set(dirs)
  foreach(c IN LISTS F_CORPUS)
    list(APPEND dirs ${c})
  endforeach()
  if(DV_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(smoke_secs $ENV{DV_FUZZ_SECONDS})
    if(NOT smoke_secs)
      set(smoke_secs 15)
    endif()
    set(tname ${name}_smoke)
    if(NOT DV_BUILD_TESTS)
      return()
    endif()
    add_test(NAME ${tname}
      COMMAND ${CMAKE_SOURCE_DIR}/scripts/fuzz-smoke.sh $<TARGET_FILE:${name}> ${smoke_secs} ${dirs})
  else()
    target_sources(${name} PRIVATE ${CMAKE_SOURCE_DIR}/fuzz/standalone.c)
    set(tname ${name}_replay)
    add_test(NAME ${tname} COMMAND ${name} ${dirs})
  endif()
  set_tests_properties(${tname} PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77)
endfunction()

# dv_exclude_bench_targets(DIR)
#   Every bench_* target declared in DIR and below leaves 'all' (it can
#   still be built by name). Areas declare benchmarks next to their code.
function(dv_exclude_bench_targets dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    if(t MATCHES "^bench_")
      set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL ON)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d IN LISTS subdirs)
    dv_exclude_bench_targets(${d})
  endforeach()
endfunction()
