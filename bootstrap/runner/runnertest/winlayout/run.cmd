@echo off

rem run.cmd of the fake runner package (runnertest), as the real
rem src/Misc/layoutroot/run.cmd without the powershell Unblock-File line
rem (no PowerShell under Wine): it copies run-helper.cmd.template to
rem run-helper.cmd and calls it again while it returns 1 (restart), and
rem otherwise exits 0, so the listener's exit code is hidden.

setlocal

rem ********************************************************************************
rem Run.
rem ********************************************************************************

:launch_helper
copy "%~dp0run-helper.cmd.template" "%~dp0run-helper.cmd" /Y
call "%~dp0run-helper.cmd" %*
  
if %ERRORLEVEL% EQU 1 (
  echo "Restarting runner..."
  goto :launch_helper
)

if "%ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE%"=="1" (
  if %ERRORLEVEL% EQU 7 (
    echo "Exiting runner with deprecated version error code: %ERRORLEVEL%"
    exit /b %ERRORLEVEL%
  )
)

echo "Exiting runner..."
exit /b 0
