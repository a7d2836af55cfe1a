#!/usr/bin/env bash
# Every public header (include/dv/*.h) compiles on its own, with only
# include/ on the path, as C17 and as C++17, -Wall -Wextra -pedantic
# -Werror: no internal header leaks into the API, and a C++ user can include
# it (headers that declare functions carry extern "C").
# Usage: headers.sh SOURCE_DIR C_COMPILER [CXX_COMPILER]
set -u
src=$1 cc=$2 cxx=${3:-}
[ -n "$cxx" ] || cxx=$(command -v c++ || command -v g++ || command -v clang++ || true)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0 skip=0
for h in "$src"/include/dv/*.h; do
  b=$(basename "$h")
  printf '#include "dv/%s"\nint dv_header_check_%s;\n' "$b" "${b%.h}" > "$t/x.c"
  if "$cc" -std=c17 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$src/include" "$t/x.c" 2>"$t/err"; then
    pass=$((pass+1))
  else
    echo "FAIL C17: $b"; sed 's/^/  /' "$t/err" | head -5; fail=$((fail+1))
  fi
  if [ -z "$cxx" ]; then
    skip=$((skip+1))
  elif "$cxx" -std=c++17 -Wall -Wextra -pedantic -Werror -fsyntax-only -x c++ -I"$src/include" "$t/x.c" 2>"$t/err"; then
    pass=$((pass+1))
  else
    echo "FAIL C++17: $b"; sed 's/^/  /' "$t/err" | head -5; fail=$((fail+1))
  fi
  # a header with function declarations must give them C linkage in C++
  if grep -qE '^[a-z_0-9 ]+\**[ *]?dv_[a-z_0-9]+\(' "$h" && ! grep -q 'extern "C"' "$h"; then
    echo "FAIL extern \"C\": $b declares functions without C linkage for C++"; fail=$((fail+1))
  fi
done
echo "headers: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
