#!/usr/bin/env bash
# Checks zinc's shared library against libzmq's as the dynamic linker sees them: the same soname and
# symbol versioning (none), every function libzmq exports also exported (as a function), and nothing
# exported but zmq_* and zinc_*, so that zinc's internals can neither collide with nor be interposed
# by an application's own symbols.
#
# usage: check_symbols.sh ZINC_LIB [LIBZMQ_LIB]
#   LIBZMQ_LIB defaults to Debian's /usr/lib/x86_64-linux-gnu/libzmq.so.5. Needs binutils (nm, readelf).
set -euo pipefail

if (($# < 1 || $# > 2)); then
    echo "usage: $0 ZINC_LIB [LIBZMQ_LIB]" >&2
    exit 2
fi
lib=$1
ref=${2:-/usr/lib/x86_64-linux-gnu/libzmq.so.5}
for f in "$lib" "$ref"; do
    [[ -r $f ]] || { echo "check_symbols: cannot read $f" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# exports LIB OUT -> OUT holds "NAME TYPE" for each dynamic symbol LIB defines. Symbol-version suffixes
# (@VER, @@VER) are dropped; the version nodes themselves (type A) are not symbols and are skipped.
exports() {
    nm -D --defined-only "$1" | awk 'NF == 3 && $2 != "A" {sub(/@.*/, "", $3); print $3, $2}' |
        sort -u >"$2"
}
exports "$lib" "$work/zinc"
exports "$ref" "$work/libzmq"

# libzmq's symbols carry no versions. Versioned ones in zinc would tie programs linked against zinc to
# zinc ("version ... not found" under libzmq); an anonymous version script ({ global: ...; local: *; })
# hides symbols without versioning them.
versions=$(nm -D --defined-only "$lib" | awk '$2 == "A" {print $3}' | sort -u | tr '\n' ' ')
ref_versions=$(nm -D --defined-only "$ref" | awk '$2 == "A" {print $3}' | sort -u | tr '\n' ' ')
[[ $versions == "$ref_versions" ]] ||
    fail "symbol version nodes '${versions% }' differ from libzmq's '${ref_versions% }'"

soname() { readelf -d "$1" | sed -nE 's/.*\(SONAME\).*\[(.*)\].*/\1/p'; }
zs=$(soname "$lib")
rs=$(soname "$ref")
[[ $zs == "$rs" ]] || fail "soname is '${zs}', libzmq's is '${rs}'"

# Functions are type T (or i for GNU indirect functions, W for weak definitions).
is_function() { [[ $1 == T || $1 == i || $1 == W ]]; }

# 1. Every zmq_* function libzmq exports, zinc exports as a function.
checked=0
while read -r name type; do
    [[ $name == zmq_* ]] || continue
    is_function "$type" || continue
    checked=$((checked + 1))
    ztype=$(awk -v n="$name" '$1 == n {print $2}' "$work/zinc")
    if [[ -z $ztype ]]; then
        fail "zinc does not export $name"
    elif ! is_function "$ztype"; then
        fail "zinc exports $name as type $ztype, not a function"
    fi
done <"$work/libzmq"

# 2. zinc exports nothing but zmq_* and zinc_*.
while read -r name type; do
    case $name in
    zmq_* | zinc_*)
        if ! grep -q "^$name " "$work/libzmq"; then
            echo "info: zinc also exports $name ($type)"
        fi
        ;;
    *) fail "zinc exports $name ($type), which is neither zmq_* nor zinc_*" ;;
    esac
done <"$work/zinc"

echo "checked $checked libzmq functions and $(wc -l <"$work/zinc") zinc exports; soname ${zs:-<none>}"
if ((failures)); then
    echo "check_symbols: $failures problem(s) in $lib"
    exit 1
fi
echo "check_symbols: $lib exports libzmq's API and nothing else"
