>>"%LOG_PATH%" echo Starting "%INSTALLER%" %INSTALLER_ARGS%
"%INSTALLER%" %INSTALLER_ARGS%
set "EXITCODE=%ERRORLEVEL%"
>>"%LOG_PATH%" echo "%INSTALLER%" exited with code %EXITCODE%
echo "%INSTALLER%" exited with code %EXITCODE%
exit /b %EXITCODE%
