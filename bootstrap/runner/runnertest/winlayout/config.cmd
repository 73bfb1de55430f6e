@echo off

rem config.cmd of the fake runner package (runnertest), as the real
rem src/Misc/layoutroot/config.cmd without its first step: the real one
rem runs powershell.exe Unblock-File over the root's files, and Wine has
rem no PowerShell, so that line is left out (files unzipped by a test
rem carry no Zone.Identifier to unblock anyway). Then bin\Runner.Listener.exe
rem configure|remove, with the arguments as given.

setlocal

if /i "%~1" equ "remove" (
    rem ********************************************************************************
    rem Unconfigure the runner.
    rem ********************************************************************************
    "%~dp0bin\Runner.Listener.exe" %*
) else (
    rem ********************************************************************************
    rem Configure the runner.
    rem ********************************************************************************
    "%~dp0bin\Runner.Listener.exe" configure %*
)
