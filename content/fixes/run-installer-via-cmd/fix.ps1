# The values were checked against cmd.exe's safe characters, so they can be written into the
# batch file as they are.
$lines = @(
    '@echo off',
    'setlocal EnableExtensions DisableDelayedExpansion',
    ('"' + $Installer + '" ' + $InstallerArgs),
    'exit /b %ERRORLEVEL%'
)
if ($PSCmdlet.ShouldProcess($Installer, 'Write a .cmd wrapper and run the installer')) {
    foreach ($path in @($WrapperPath, $LogPath)) {
        $folder = Split-Path -Parent $path
        if (-not (Test-Path -LiteralPath $folder)) {
            $null = New-Item -ItemType Directory -Path $folder
        }
    }
    # Windows PowerShell 5.1's Out-File writes UTF-16 by default, which cmd.exe cannot run.
    $lines | Out-File -FilePath $WrapperPath -Encoding ascii
    & $WrapperPath
    $exitCode = $LASTEXITCODE
    ('{0} {1} exited with code {2}' -f (Get-Date -Format s), $Installer, $exitCode) |
        Out-File -FilePath $LogPath -Append -Encoding ascii
    Write-Output ('{0} exited with code {1}' -f $Installer, $exitCode)
    exit $exitCode
}
