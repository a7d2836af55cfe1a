#!/usr/bin/env bash
# The Debian package: cpack -G DEB in the build directory, apt-get install
# of the .deb, then the installed command does a short init/ingest/verify
# on a synthetic card, its man page and bash completion are where they
# belong, and every library any installed ELF file needs (objdump NEEDED)
# belongs (dpkg -S) to a package the .deb Depends on, so a wrong Depends:
# fails here. The package is always removed again (trap).
# Skipped (77): not root, no apt-get/dpkg/cpack/objdump, a dronevault
# package installed by someone else, or the sanitizer build (an ASan/UBSan
# binary is not something to ship; its Depends would be the same).
. "$(dirname "$0")/lib/common.sh"
: "${DV_BUILD_DIR:?ctest sets DV_BUILD_DIR}"

skip() { echo "skipped: $*"; exit 77; }
[ "${DV_SANITIZE:-0}" = 1 ] && skip "sanitizer build: the package test runs in the plain build"
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get install)"
for t in apt-get dpkg dpkg-query cpack objdump ldd; do
  command -v "$t" >/dev/null || skip "no $t"
done
if dpkg-query -W -f='${Status}' dronevault 2>/dev/null | grep -q 'install ok installed'; then
  skip "a dronevault package is already installed (not by this test): left alone"
fi

installed=
cleanup() {
  if [ "$installed" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq dronevault >"$T/remove.log" 2>&1 ||
      { echo "FAIL: apt-get remove dronevault" >&2; cat "$T/remove.log" >&2; }
  fi
  rm -rf "$T"
}
trap cleanup EXIT

# ---- build the package ---------------------------------------------------
mkdir -p "$T/pkg"
if ! (cd "$DV_BUILD_DIR" && cpack -G DEB -B "$T/pkg") >"$T/cpack.log" 2>&1; then
  cat "$T/cpack.log" >&2
  echo "FAIL: cpack -G DEB"
  exit 1
fi
debs=("$T"/pkg/dronevault_*_amd64.deb)
check "one dronevault_<version>_amd64.deb" test ${#debs[@]} -eq 1 -a -f "${debs[0]}"
deb=${debs[0]}
version=$("$DV" --version | head -1 | awk '{print $2}')
check "file name carries the version $version" test "$(basename "$deb")" = "dronevault_${version}_amd64.deb"
check "Depends: is filled (dpkg-shlibdeps)" bash -c "dpkg-deb -f '$deb' Depends | grep -q libsodium"
check "FFmpeg and GDAL (dlopen'ed) are recommended" bash -c "dpkg-deb -f '$deb' Recommends | grep -q libavformat && dpkg-deb -f '$deb' Recommends | grep -q libgdal"

# ---- install it ------------------------------------------------------------
installed=1
if ! (cd "$T/pkg" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "./$(basename "$deb")") >"$T/install.log" 2>&1; then
  cat "$T/install.log" >&2
  echo "FAIL: apt-get install ./$(basename "$deb")"
  exit 1
fi
check "package installed" bash -c "dpkg-query -W -f='\${Status}' dronevault | grep -q 'install ok installed'"
mapfile -t files < <(dpkg -L dronevault)
bin=
for f in "${files[@]}"; do
  case $f in */bin/dronevault) bin=$f ;; esac
done
check "the package holds bin/dronevault" test -n "$bin" -a -x "$bin"
[ -n "$bin" ] || { finish; exit 1; }

# ---- the installed command works -------------------------------------------
expect_exit 0 "$bin" --version
check "--version names $version" grep -q "dronevault $version" "$T/last.out"
expect_exit 0 "$bin" sample-card "$T/card"
V=$T/vault
expect_exit 0 "$bin" init --kdf-mem 8 --kdf-ops 1 --operator tester "$V"
expect_exit 0 "$bin" --vault "$V" ingest --case PKG-1 --operator tester --json "$T/card"
check "ingest stored files" grep -q '"files_new":[1-9]' "$T/last.out"
expect_exit 0 "$bin" --vault "$V" verify
expect_exit 0 "$bin" --vault "$V" ls --case PKG-1
check "ls lists a photo" grep -q 'DJI_0001.JPG' "$T/last.out"

# ---- man page, completion, data ---------------------------------------------
man_file=
for f in "${files[@]}"; do
  case $f in */man1/dronevault.1*) man_file=$f ;; esac
done
check "man page dronevault(1) installed" test -n "$man_file" -a -s "$man_file"
if command -v man >/dev/null; then
  check "man -w finds it" bash -c "man -w dronevault | grep -q dronevault.1"
  check "the page documents every command" bash -c \
    "for c in \$('$bin' --help | sed -n 's/^  \\([a-z][a-z-]*\\)  .*/\\1/p'); do man -l '$man_file' 2>/dev/null | grep -q \"^   \$c\$\" || { echo \"no \$c in man page\"; exit 1; }; done"
fi
comp=
for f in "${files[@]}"; do
  case $f in */bash-completion/completions/dronevault) comp=$f ;; esac
done
check "bash completion installed" test -n "$comp" -a -s "$comp"
if [ -n "$comp" ]; then
  check "completion completes commands" bash -c \
    ". '$comp'; COMP_WORDS=(dronevault ing); COMP_CWORD=1; _dronevault; [ \"\${COMPREPLY[*]}\" = ingest ]"
  check "completion completes a command's flags" bash -c \
    ". '$comp'; COMP_WORDS=(dronevault ingest --ca); COMP_CWORD=2; _dronevault; [ \"\${COMPREPLY[*]}\" = --case ]"
  check "completion completes zones subcommands" bash -c \
    ". '$comp'; COMP_WORDS=(dronevault zones va); COMP_CWORD=2; _dronevault; [ \"\${COMPREPLY[*]}\" = validate ]"
fi
check "endpoints.tsv installed" bash -c "printf '%s\n' \"\${@}\" | grep -q '/share/dronevault/endpoints.tsv$'" _ "${files[@]}"

# ---- Depends: covers every NEEDED library -----------------------------------
depends=$(dpkg-query -W -f='${Depends}' dronevault)
dep_names=" $(printf '%s\n' "$depends" | tr ',|' '\n\n' | sed 's/(.*//; s/:.*//; s/ //g' | grep . | tr '\n' ' ') "
elves=0
for f in "${files[@]}"; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  elves=$((elves + 1))
  declare -A where=()
  while read -r name _ path _; do
    [ "${path:-}" ] && where[$name]=$path
  done < <(ldd "$f" | grep '=>')
  for lib in $(objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'); do
    path=${where[$lib]:-}
    if [ -z "$path" ]; then
      fail "$f: NEEDED $lib is not found by ldd"
      continue
    fi
    real=$(readlink -f "$path")
    owner=
    for p in "$path" "$real" "${path#/usr}" "/usr${path#/usr}" "${real#/usr}"; do
      owner=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    if [ -z "$owner" ]; then
      fail "$f: NEEDED $lib ($path) belongs to no package"
    elif [[ $dep_names != *" $owner "* ]]; then
      fail "$f: NEEDED $lib is in package $owner, which Depends: does not name ($depends)"
    else
      ok
    fi
  done
  unset where
done
check "at least one ELF file checked" test "$elves" -gt 0

# ---- remove it ---------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq dronevault >"$T/remove.log" 2>&1; then
  installed=
  ok
else
  fail "apt-get remove dronevault"
fi
check "binary gone after remove" test ! -e "$bin"
finish
