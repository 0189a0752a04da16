# What `cmake --install` gives a C user (docs/CAPI.md):
#
#   lib/libavs.so, lib/libavs.a   every library of the project in one (the
#                                 objects of avs_core, avs_ff, avs_audio, avs_video,
#                                 avs_nn, avs_models, avs_data, avs_fusion;
#                                 the apps and tests keep linking those)
#   include/avs/                  the public headers, avs.h including them all
#   lib/pkgconfig/avs.pc          `pkg-config --cflags --libs avs` (--static too)
#   lib/cmake/AVS/                find_package(AVS): AVS::avs (shared),
#                                 AVS::avs_static
#   bin/                          the apps (apps/CMakeLists.txt)
#   share/avs/                    data/models, data/labels, data/samples
#
# Private headers are not installed: av/ops/ (oneDNN, OpenMP, kernel helpers),
# *_priv.h and ff/ff.h (FFmpeg), the generator's internals, and any
# header that includes a dependency's headers (checked below).

# A new library target of the project joins this list (and becomes PIC).
set(AVS_PARTS)
foreach(t avs_core avs_ff avs_audio avs_video avs_nn avs_models avs_data avs_fusion)
  if(TARGET ${t})
    list(APPEND AVS_PARTS ${t})
  endif()
endforeach()
set_target_properties(${AVS_PARTS} PROPERTIES POSITION_INDEPENDENT_CODE ON)

# What the parts link, as targets (to build libavs.so) and as full paths (the
# interface of the installed libavs.a, which must not name our imported targets).
set(AVS_DEP_TARGETS OpenMP::OpenMP_C PkgConfig::OPENBLAS PkgConfig::CJSON PkgConfig::FFTW3F
    PkgConfig::SNDFILE PkgConfig::FFMPEG Threads::Threads ${DNNL_LIB} ${MATH_LIB} ${CMAKE_DL_LIBS})
set(AVS_DEP_FILES ${OPENBLAS_LINK_LIBRARIES} ${CJSON_LINK_LIBRARIES} ${FFTW3F_LINK_LIBRARIES}
    ${SNDFILE_LINK_LIBRARIES} ${FFMPEG_LINK_LIBRARIES} ${DNNL_LIB} ${OpenMP_C_LIBRARIES}
    ${CMAKE_THREAD_LIBS_INIT} ${MATH_LIB} ${CMAKE_DL_LIBS})
# For avs.pc: what linking libavs.a takes, in Libs.private as each dependency's
# own `pkg-config --libs` (no Requires.private: `pkg-config --static` would then
# also list the static dependencies of FFmpeg & co., which Debian does not
# install, and even --cflags would need every dependency's .pc file).
set(AVS_PC_LIBS ${FFTW3F_LDFLAGS} ${SNDFILE_LDFLAGS} ${FFMPEG_LDFLAGS} ${OPENBLAS_LDFLAGS} ${CJSON_LDFLAGS})
foreach(dep PORTAUDIO FLUIDSYNTH ESPEAK)
  if(AVS_HAVE_${dep})
    list(APPEND AVS_DEP_TARGETS PkgConfig::${dep})
    list(APPEND AVS_DEP_FILES ${${dep}_LINK_LIBRARIES})
    list(APPEND AVS_PC_LIBS ${${dep}_LDFLAGS})
  endif()
endforeach()
if(AVS_ALSA_FOUND)
  list(APPEND AVS_DEP_TARGETS PkgConfig::AVS_ALSA)
  list(APPEND AVS_DEP_FILES ${AVS_ALSA_LINK_LIBRARIES})
  list(APPEND AVS_PC_LIBS ${AVS_ALSA_LDFLAGS})
endif()
list(APPEND AVS_PC_LIBS -ldnnl)
foreach(lib ${OpenMP_C_LIB_NAMES} m ${CMAKE_DL_LIBS})
  list(APPEND AVS_PC_LIBS -l${lib})
endforeach()
list(REMOVE_DUPLICATES AVS_PC_LIBS)
string(REPLACE ";" " " AVS_PC_LIBS "${AVS_PC_LIBS}")
list(REMOVE_DUPLICATES AVS_DEP_FILES)
set(AVS_OBJECTS)
foreach(t ${AVS_PARTS})
  list(APPEND AVS_OBJECTS $<TARGET_OBJECTS:${t}>)
endforeach()

add_library(avs SHARED ${AVS_OBJECTS})
add_library(avs_static STATIC ${AVS_OBJECTS})
foreach(t avs avs_static)
  target_include_directories(${t} INTERFACE $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}>
                             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/avs>)
endforeach()
# Every symbol resolved at link time: a missing dependency fails here, not in a user's program.
target_link_libraries(avs PRIVATE ${AVS_DEP_TARGETS} -Wl,--no-undefined)
target_link_libraries(avs_static INTERFACE "$<BUILD_INTERFACE:${AVS_DEP_TARGETS}>"
                      "$<INSTALL_INTERFACE:${AVS_DEP_FILES}>")
set_target_properties(avs PROPERTIES VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} EXPORT_NAME avs)
set_target_properties(avs_static PROPERTIES OUTPUT_NAME avs EXPORT_NAME avs_static)
install(TARGETS avs avs_static EXPORT AVSTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# ---- public headers ----
set(AVS_HEADER_DIRS av audio video video/faces video/models nn fusion data data/generator)
set(AVS_PRIVATE_HEADERS data/generator/internal.h data/generator/fluid.h
    data/generator/speech.h video/faces/xml.h)
set(AVS_PUBLIC_HEADERS avs.h)
foreach(dir ${AVS_HEADER_DIRS})
  file(GLOB hs RELATIVE ${CMAKE_SOURCE_DIR} CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.h)
  foreach(h ${hs})
    file(STRINGS ${CMAKE_SOURCE_DIR}/${h} foreign
         REGEX "^#include <(oneapi/|libav|libsw|portaudio|fluidsynth|espeak|alsa/|omp\\.h|fftw3|sndfile|cblas|cjson)")
    if(h MATCHES "_priv\\.h$" OR h IN_LIST AVS_PRIVATE_HEADERS OR foreign)
      continue()
    endif()
    list(APPEND AVS_PUBLIC_HEADERS ${h})
  endforeach()
endforeach()
foreach(h ${AVS_PUBLIC_HEADERS})
  get_filename_component(dir ${h} DIRECTORY)
  install(FILES ${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/avs/${dir})
endforeach()
# For the install test: every installed header must compile on its own.
string(REPLACE ";" " " AVS_PUBLIC_HEADER_LIST "${AVS_PUBLIC_HEADERS}")
file(WRITE ${CMAKE_BINARY_DIR}/avs_public_headers.txt "${AVS_PUBLIC_HEADER_LIST}\n")

# ---- avs.pc, written at install time for the prefix actually installed to ----
set(prefix "@prefix@") # kept for the install-time pass
configure_file(${CMAKE_CURRENT_LIST_DIR}/avs.pc.in ${CMAKE_BINARY_DIR}/avs.pc.in @ONLY)
unset(prefix)
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/avs.pc.in\" \"${CMAKE_BINARY_DIR}/avs-install.pc\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/avs-install.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        RENAME avs.pc)

# ---- the CMake package ----
include(CMakePackageConfigHelpers)
set(AVS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/AVS)
install(EXPORT AVSTargets NAMESPACE AVS:: DESTINATION ${AVS_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/AVSConfig.cmake.in
  ${CMAKE_BINARY_DIR}/AVSConfig.cmake INSTALL_DESTINATION ${AVS_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/AVSConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/AVSConfig.cmake ${CMAKE_BINARY_DIR}/AVSConfigVersion.cmake
        DESTINATION ${AVS_CMAKE_DIR})

# ---- shipped data: models, label lists, sample clips; not generated sets,
# the generator's sources or scripts ----
foreach(dir models labels samples)
  install(DIRECTORY data/${dir} DESTINATION ${CMAKE_INSTALL_DATADIR}/avs
          PATTERN "*.py" EXCLUDE PATTERN "*.sh" EXCLUDE PATTERN "CMakeLists.txt" EXCLUDE)
endforeach()
