#!/bin/bash
# config.sh of the fake runner package (runnertest), following the real
# src/Misc/layoutroot/config.sh line by line: root refusal, the Linux
# dependency check (before the cd, so relative to the caller's cwd, as the
# real one), cd to the script's directory, env.sh, then
# bin/Runner.Listener configure|remove. The fake listener is a static
# binary, so `ldd` and `ldconfig` are replaced by ./bin/checkdeps.sh,
# which reports as missing the libraries named in bin/.fake-missing-libs
# (runnertest.Options.MissingLibs; "libicu" makes the libicu check fail);
# ./bin/installdependencies.sh (as root) clears it.

user_id=`id -u`

# we want to snapshot the environment of the config user
if [ $user_id -eq 0 -a -z "$RUNNER_ALLOW_RUNASROOT" ]; then
    echo "Must not run with sudo"
    exit 1
fi

# Check dotnet Core 6.0 dependencies for Linux
if [[ (`uname` == "Linux") ]]
then
    message="Execute sudo ./bin/installdependencies.sh to install any missing Dotnet Core 6.0 dependencies."

    ./bin/checkdeps.sh ldd ./bin/libcoreclr.so 2>/dev/null | grep 'not found'
    if [ $? -eq 0 ]; then
        echo "Dependencies is missing for Dotnet Core 6.0"
        echo $message
        exit 1
    fi

    ./bin/checkdeps.sh ldd ./bin/libSystem.Security.Cryptography.Native.OpenSsl.so 2>/dev/null | grep 'not found'
    if [ $? -eq 0 ]; then
        echo "Dependencies is missing for Dotnet Core 6.0"
        echo $message
        exit 1
    fi

    ./bin/checkdeps.sh ldd ./bin/libSystem.IO.Compression.Native.so 2>/dev/null | grep 'not found'
    if [ $? -eq 0 ]; then
        echo "Dependencies is missing for Dotnet Core 6.0"
        echo $message
        exit 1
    fi

    # The real one greps the host-wide `ldconfig -NXv $LD_LIBRARY_PATH`
    # for libicu: unlike the ldd checks above it does not depend on the cwd.
    "$(dirname "${BASH_SOURCE[0]}")"/bin/checkdeps.sh ldconfig 2>&1 | grep libicu >/dev/null 2>&1
    if [ $? -ne 0 ]; then
        echo "Libicu's dependencies is missing for Dotnet Core 6.0"
        echo $message
        exit 1
    fi
fi

# Change directory to the script root directory
# https://stackoverflow.com/questions/59895/getting-the-source-directory-of-a-bash-script-from-within
SOURCE="${BASH_SOURCE[0]}"
while [ -h "$SOURCE" ]; do # resolve $SOURCE until the file is no longer a symlink
  DIR="$( cd -P "$( dirname "$SOURCE" )" && pwd )"
  SOURCE="$(readlink "$SOURCE")"
  [[ $SOURCE != /* ]] && SOURCE="$DIR/$SOURCE" # if $SOURCE was a relative symlink, we need to resolve it relative to the path where the symlink file was located
done
DIR="$( cd -P "$( dirname "$SOURCE" )" && pwd )"
cd "$DIR"

source ./env.sh

shopt -s nocasematch
if [[ "$1" == "remove" ]]; then
    ./bin/Runner.Listener "$@"
else
    ./bin/Runner.Listener configure "$@"
fi
