#!/bin/bash
# installdependencies.sh of the fake runner package: the real one's root
# refusal and closing lines; instead of apt/dnf/yum/zypper it "installs"
# the missing libraries by emptying .fake-missing-libs (see checkdeps.sh).

user_id=`id -u`

if [ $user_id -ne 0 ]; then
    echo "Need to run with sudo privilege"
    exit 1
fi

DIR="$( cd -P "$( dirname "${BASH_SOURCE[0]}" )" && pwd )"
if [ -f "$DIR/.fake-missing-libs" ]; then
    echo "Installing: $(tr '\n' ' ' < "$DIR/.fake-missing-libs")"
    rm -f "$DIR/.fake-missing-libs" || exit 1
fi

echo "-----------------------------"
echo " Finish Install Dependencies"
echo "-----------------------------"
