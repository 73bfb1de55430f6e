#!/bin/bash
# runsvc.sh of the real package runs node bin/RunnerService.js; runnerctl
# starts bin/Runner.Listener itself (runnerctl run), so the fake keeps only
# the PATH handling.
if [ -f ".path" ]; then
    export PATH=`cat .path`
fi
exec ./bin/Runner.Listener run --startuptype service
