# The runner (qins-run, qins-convert and their library qins_runner) as a
# client of libqinskernels: public headers (include/qins) and one public
# library target only. Shared by the main build (tools/CMakeLists.txt) and by
# the consumer check (tests/consumer), which builds the runner against an
# installed package.
#
#   include(<root>/tools/runner/runner.cmake)
#   qins_add_runner(ROOT <root> LIBRARY <target> [PROGRAMS qins-run ...])
#
# ROOT is the directory that holds tools/runner and tools/qins_run.cc; it is
# the runner's include root ("tools/runner/forward.h"). LIBRARY is the
# library target the runner links (qinskernels::qinskernels or
# qinskernels::qinskernels_static). PROGRAMS are the executables to define
# (default: qins-run qins-convert).
set(QINS_RUNNER_SOURCES
    bench.cc
    bpe_pretokenizer.cc
    bpe_tokenizer.cc
    convert.cc
    eval.cc
    format_policy.cc
    forward.cc
    forward_profiler.cc
    generate.cc
    gguf_file.cc
    gguf_source.cc
    gguf_tokenizer.cc
    llama2c_source.cc
    mapped_file.cc
    model_source.cc
    open_model.cc
    qins_model_file.cc
    report.cc
    sampler.cc
    spm_tokenizer.cc
    synthetic_source.cc
    tokenizer.cc
    unicode.cc)

function(qins_add_runner)
  cmake_parse_arguments(R "" "ROOT;LIBRARY" "PROGRAMS" ${ARGN})
  if(NOT R_ROOT OR NOT R_LIBRARY)
    message(FATAL_ERROR "qins_add_runner: ROOT and LIBRARY are required")
  endif()
  if(NOT R_PROGRAMS)
    set(R_PROGRAMS qins-run qins-convert)
  endif()
  list(TRANSFORM QINS_RUNNER_SOURCES PREPEND "${R_ROOT}/tools/runner/"
       OUTPUT_VARIABLE sources)
  add_library(qins_runner STATIC ${sources})
  target_include_directories(qins_runner PUBLIC "${R_ROOT}")
  target_compile_features(qins_runner PUBLIC cxx_std_20)
  target_link_libraries(qins_runner PUBLIC ${R_LIBRARY})
  # As the main build compiles everything (CMakeLists.txt): no contraction of
  # a*b+c into an FMA, so the forward pass gives the same bits in both builds.
  target_compile_options(qins_runner PRIVATE -ffp-contract=off)
  foreach(program ${R_PROGRAMS})
    string(REPLACE "-" "_" source "${program}")
    add_executable(${program} "${R_ROOT}/tools/${source}.cc")
    target_link_libraries(${program} PRIVATE qins_runner)
  endforeach()
endfunction()
