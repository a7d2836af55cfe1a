# The Debian package: cpack -G DEB in the build directory writes
# dronevault_<version>_amd64.deb. Depends: comes from dpkg-shlibdeps (every
# NEEDED library of the installed binaries); FFmpeg and GDAL are dlopen'ed
# on first use (src/telemetry/video.c, src/geo/dem.c), so they are not
# NEEDED and go to Recommends with the sonames the code opens.
# The package installs under CMAKE_INSTALL_PREFIX, the prefix the binary was
# built for (DV_LIBEXECDIR): configure with -DCMAKE_INSTALL_PREFIX=/usr for
# a package that installs where Debian's own do.

# libavformat.so.<major> etc. as video.c spells them, from the same headers
pkg_check_modules(DV_PKG_LIBAV QUIET libavformat libavcodec libavutil)
set(DV_AV_PKGS)
foreach(lib avformat avcodec avutil)
  string(TOUPPER ${lib} LIB)
  set(major)
  foreach(dir IN LISTS DV_PKG_LIBAV_INCLUDE_DIRS)
    foreach(h version_major.h version.h)
      if(NOT major AND EXISTS ${dir}/lib${lib}/${h})
        file(STRINGS ${dir}/lib${lib}/${h} line REGEX "^#define LIB${LIB}_VERSION_MAJOR +[0-9]+")
        string(REGEX MATCH "[0-9]+$" major "${line}")
      endif()
    endforeach()
  endforeach()
  if(NOT major)
    # Debian 12: libavformat59, libavcodec59, libavutil57
    if(lib STREQUAL "avutil")
      set(major 57)
    else()
      set(major 59)
    endif()
  endif()
  list(APPEND DV_AV_PKGS lib${lib}${major})
endforeach()
list(JOIN DV_AV_PKGS ", " DV_AV_RECOMMENDS)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dronevault)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "dronevault maintainers <dronevault@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "encrypted evidence vault for police drone data")
set(CPACK_PACKAGE_DESCRIPTION
  "Keeps a drone unit's photos, videos and telemetry in an encrypted,\ncontent-addressed evidence vault with a signed chain of custody, and\naudits captures for leaks, Remote ID exposure and zone entries.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)          # dronevault_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# video metadata (libavformat), DEMs for AGL limits (GDAL), country/ASN of
# audit destinations (the IPFire location database libloc reads)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "${DV_AV_RECOMMENDS}, libgdal32 | libgdal33 | libgdal34, libloc-database")
set(CPACK_STRIP_FILES OFF)                        # keep symbols of RelWithDebInfo builds
include(CPack)
