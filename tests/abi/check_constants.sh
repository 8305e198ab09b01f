#!/usr/bin/env bash
# Compares what zinc's include/zmq.h states against libzmq's installed zmq.h, through the C compiler
# rather than by reading text: every macro's value, the layout of the public structs and, when gcc is
# at hand, every function's prototype. Any difference that would break a program or binding built for
# libzmq 4.3 fails the test.
#
# usage: check_constants.sh [OUR_ZMQ_H [LIBZMQ_ZMQ_H]]
#   env: CC (default cc) compiles the probes; GCC (default gcc) prints prototypes (-aux-info is gcc's).
#
# Three passes over the macros:
#   stable    plain include. Every libzmq macro must exist in ours with the same value; a ZMQ_* macro
#             that only ours defines is an error too (code tests #ifdef ZMQ_X to detect features)
#             unless it is listed in ALLOW_EXTRA below. ZINC_* macros are ours alone and just listed.
#   fallback  with an empty <errno.h> shadowing the system one, so that the ENOTSUP ... ENETRESET
#             fallbacks based on ZMQ_HAUSNUMERO are compared too. Same rules as stable.
#   draft     with ZMQ_BUILD_DRAFT_API. A value that differs is an error; a draft macro we lack is a
#             warning (the draft API is optional for zinc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ours=${1:-$here/../../include/zmq.h}
theirs=${2:-/usr/include/zmq.h}
CC=${CC:-cc}
GCC=${GCC:-gcc}

# ZMQ_* macros zinc may define although libzmq 4.3.4 does not. Keep it short, and say why.
ALLOW_EXTRA=()

for h in "$ours" "$theirs"; do
    [[ -r $h ]] || { echo "check_constants: cannot read $h" >&2; exit 2; }
done
ours=$(cd "$(dirname "$ours")" && pwd)/$(basename "$ours")
theirs=$(cd "$(dirname "$theirs")" && pwd)/$(basename "$theirs")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/noerrno"
: >"$work/noerrno/errno.h"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
warn() { echo "warn: $*"; }

# macro_table HEADER FLAGS... -> "NAME<TAB>KIND" for each ZMQ_/ZINC_ macro the header leaves defined,
# plus each E* errno name it mentions in a #define (those usually come from <errno.h>, so -dM alone
# cannot tell them apart from the system's). KIND: value, empty or function.
macro_table() {
    local header=$1
    shift
    printf '#include "%s"\n' "$header" | "$CC" -E -dM "$@" -x c - >"$work/dm"
    {
        sed -nE 's/^#define ((ZMQ|ZINC)_[A-Za-z0-9_]*)\(.*/\1\tfunction/p' "$work/dm"
        sed -nE 's/^#define ((ZMQ|ZINC)_[A-Za-z0-9_]*) *$/\1\tempty/p' "$work/dm"
        sed -nE 's/^#define ((ZMQ|ZINC)_[A-Za-z0-9_]*) +[^ ].*/\1\tvalue/p' "$work/dm"
        grep -oE '^[[:space:]]*#[[:space:]]*define[[:space:]]+E[A-Z0-9_]+' "$header" |
            awk '{print $NF}' | sed 's/^define//' | while read -r name; do
            if grep -qE "^#define $name " "$work/dm"; then printf '%s\tvalue\n' "$name"; fi
        done
    } | sort -u
}

# probe HEADER TABLE OUT FLAGS... -> OUT holds "NAME VALUE" for every name in $work/names, evaluated by
# a program compiled against HEADER. Missing names print <missing>.
probe() {
    local header=$1 table=$2 out=$3
    shift 3
    {
        cat <<'EOF'
#include <stdio.h>
#include <stddef.h>
#include ZINC_PROBE_HEADER
static void show_int(const char *name, long long value) { printf("%s %lld\n", name, value); }
static void show_str(const char *name, const char *value) { printf("%s \"%s\"\n", name, value); }
#define SHOW(label, x) \
    _Generic((x), char *: show_str, const char *: show_str, default: show_int)(label, (x))
int main(void)
{
EOF
        while read -r name; do
            kind=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$table")
            case $kind in
            value) printf '    SHOW("%s", %s);\n' "$name" "$name" ;;
            empty) printf '    puts("%s <empty>");\n' "$name" ;;
            function)
                if [[ $name == ZMQ_MAKE_VERSION ]]; then
                    printf '    SHOW("%s", %s(7, 8, 9));\n' "$name(7,8,9)" "$name"
                else
                    printf '    puts("%s <function-like>");\n' "$name"
                fi
                ;;
            *) printf '    puts("%s <missing>");\n' "$name" ;;
            esac
        done <"$work/names"
        printf '    return 0;\n}\n'
    } >"$work/probe.c"
    "$CC" -std=c11 -w "$@" "-DZINC_PROBE_HEADER=\"$header\"" "$work/probe.c" -o "$work/probe"
    "$work/probe" | sort >"$out"
}

allowed_extra() {
    local name=$1 a
    for a in "${ALLOW_EXTRA[@]+"${ALLOW_EXTRA[@]}"}"; do [[ $a == "$name" ]] && return 0; done
    return 1
}

compare_pass() {
    local pass=$1
    shift
    macro_table "$ours" "$@" >"$work/ours.tab"
    macro_table "$theirs" "$@" >"$work/theirs.tab"
    cut -f1 "$work/ours.tab" "$work/theirs.tab" | sort -u >"$work/names"
    probe "$ours" "$work/ours.tab" "$work/ours.val" "$@"
    probe "$theirs" "$work/theirs.tab" "$work/theirs.val" "$@"

    local checked=0 name ov tv
    while read -r name; do
        ov=$(awk -v n="$name" '$1 == n || index($1, n "(") == 1 {sub(/^[^ ]+ /, ""); print}' "$work/ours.val")
        tv=$(awk -v n="$name" '$1 == n || index($1, n "(") == 1 {sub(/^[^ ]+ /, ""); print}' "$work/theirs.val")
        checked=$((checked + 1))
        [[ $ov == "$tv" ]] && continue
        if [[ $tv == "<missing>" ]]; then
            if [[ $name == ZINC_* ]]; then
                echo "info [$pass]: $name = $ov (zinc's own)"
            elif allowed_extra "$name"; then
                echo "info [$pass]: $name = $ov (only in zinc, allowed)"
            else
                fail "[$pass] $name = $ov is defined only by zinc"
            fi
        elif [[ $ov == "<missing>" ]]; then
            if [[ $pass == draft ]] && ! grep -qxF "$name" "$work/stable.names"; then
                warn "[$pass] draft macro $name = $tv is not defined by zinc"
            else
                fail "[$pass] $name = $tv is missing from zinc"
            fi
        else
            fail "[$pass] $name: zinc has $ov, libzmq has $tv"
        fi
    done <"$work/names"
    echo "[$pass] compared $checked macros"
    [[ $pass == stable ]] && cp "$work/names" "$work/stable.names"
    return 0
}

compare_pass stable
compare_pass fallback "-I$work/noerrno"
compare_pass draft -DZMQ_BUILD_DRAFT_API

# ---- struct layout: sizes, alignments and field offsets, measured under each header -------------------
layout() {
    local header=$1 out=$2
    cat >"$work/layout.c" <<'EOF'
#include <stdio.h>
#include <stddef.h>
#include <stdalign.h>
#include ZINC_PROBE_HEADER
#define P(expr) printf("%s %zu\n", #expr, (size_t)(expr))
int main(void)
{
    P(sizeof(zmq_msg_t));
    P(alignof(zmq_msg_t));
    P(sizeof(zmq_pollitem_t));
    P(alignof(zmq_pollitem_t));
    P(offsetof(zmq_pollitem_t, socket));
    P(offsetof(zmq_pollitem_t, fd));
    P(offsetof(zmq_pollitem_t, events));
    P(offsetof(zmq_pollitem_t, revents));
    P(sizeof(zmq_fd_t));
    P(sizeof(zmq_free_fn *));
    P(sizeof(zmq_timer_fn *));
    P(sizeof(zmq_thread_fn *));
#ifdef ZMQ_BUILD_DRAFT_API
    P(sizeof(zmq_poller_event_t));
    P(offsetof(zmq_poller_event_t, socket));
    P(offsetof(zmq_poller_event_t, fd));
    P(offsetof(zmq_poller_event_t, user_data));
    P(offsetof(zmq_poller_event_t, events));
#endif
    return 0;
}
EOF
    "$CC" -std=c11 -w "${@:3}" "-DZINC_PROBE_HEADER=\"$header\"" "$work/layout.c" -o "$work/layout"
    "$work/layout" >"$out"
}
for flags in "" -DZMQ_BUILD_DRAFT_API; do
    # shellcheck disable=SC2086
    layout "$ours" "$work/ours.lay" $flags
    # shellcheck disable=SC2086
    layout "$theirs" "$work/theirs.lay" $flags
    if ! diff -u --label "libzmq ${flags:-stable}" --label "zinc ${flags:-stable}" \
        "$work/theirs.lay" "$work/ours.lay"; then
        fail "struct layout differs ${flags:-(stable)}"
    fi
done
echo "[layout] compared $(wc -l <"$work/ours.lay") sizes and offsets"

# ---- prototypes: gcc's -aux-info prints every declared function with its parameter types --------------
prototypes() {
    local header=$1 out=$2
    shift 2
    printf '#include "%s"\n' "$header" >"$work/proto.c"
    "$GCC" -std=c11 -w "$@" -aux-info "$work/proto.aux" -c "$work/proto.c" -o "$work/proto.o"
    sed -nE 's|^/\* [^*]*\*/ *(extern .*\b(zmq\|zinc)_[a-z0-9_]+ \(.*)$|\1|p' "$work/proto.aux" |
        sed -E 's/^extern //' | sort >"$out"
}
if command -v "$GCC" >/dev/null 2>&1; then
    for flags in "" -DZMQ_BUILD_DRAFT_API; do
        # shellcheck disable=SC2086
        prototypes "$ours" "$work/ours.pro" $flags
        # shellcheck disable=SC2086
        prototypes "$theirs" "$work/theirs.pro" $flags
        # Every libzmq prototype must appear in ours verbatim; ours may add zinc_* and 4.3.5 additions.
        while IFS= read -r line; do
            grep -qxF -- "$line" "$work/ours.pro" || fail "[prototypes ${flags:-stable}] zinc lacks: $line"
        done <"$work/theirs.pro"
        while IFS= read -r line; do
            grep -qxF -- "$line" "$work/theirs.pro" ||
                echo "info [prototypes ${flags:-stable}]: only in zinc: $line"
        done <"$work/ours.pro"
        echo "[prototypes ${flags:-stable}] compared $(wc -l <"$work/theirs.pro") libzmq prototypes"
    done
else
    echo "skip: $GCC not found, prototypes not compared"
fi

if ((failures)); then
    echo "check_constants: $failures difference(s) from $theirs"
    exit 1
fi
echo "check_constants: zinc's $ours matches $theirs"
