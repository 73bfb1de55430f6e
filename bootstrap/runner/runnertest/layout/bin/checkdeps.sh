#!/bin/bash
# checkdeps.sh of the fake runner package: the stand-in for the `ldd` and
# `ldconfig -NXv` calls of the real config.sh (the fake has no .NET
# libraries). The libraries named, one a line, in .fake-missing-libs next
# to this script are missing: `checkdeps.sh ldd LIB` prints ldd's
# "NAME => not found" line for each (libicu aside), `checkdeps.sh ldconfig`
# lists the libicu libraries unless "libicu" is named.
DIR="$( cd -P "$( dirname "${BASH_SOURCE[0]}" )" && pwd )"
missing=()
if [ -f "$DIR/.fake-missing-libs" ]; then
    while IFS= read -r lib || [ -n "$lib" ]; do
        [ -n "$lib" ] && missing+=("$lib")
    done < "$DIR/.fake-missing-libs"
fi
case "$1" in
ldd)
    echo "	linux-vdso.so.1 (0x00007ffc00000000)"
    for lib in "${missing[@]}"; do
        [[ "$lib" == libicu* ]] && continue
        echo "	$lib => not found"
    done
    echo "	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0000000000)"
    ;;
ldconfig)
    echo "/usr/lib/x86_64-linux-gnu: (from /etc/ld.so.conf.d/x86_64-linux-gnu.conf:3)"
    for lib in "${missing[@]}"; do
        [[ "$lib" == libicu* ]] && exit 0
    done
    echo "	libicuuc.so.70 -> libicuuc.so.70.1"
    echo "	libicui18n.so.70 -> libicui18n.so.70.1"
    ;;
*)
    echo "usage: checkdeps.sh ldd LIB | ldconfig" >&2
    exit 2
    ;;
esac
