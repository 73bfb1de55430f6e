#!/bin/bash
# safe_sleep.sh of the fake package: the real one busy-waits on $SECONDS
# when no sleep binary is trusted; the fake just sleeps.
sleep "$1"
