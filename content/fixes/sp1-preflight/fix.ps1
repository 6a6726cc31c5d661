# Exit codes: 0 = ready for SP1, 1 = not ready (install the hotfix first), 2 = not applicable.
$build = [Environment]::OSVersion.Version.Build
Write-Output ('Windows build: {0}' -f $build)
if ($build -eq 7601) {
    Write-Output 'Service Pack 1 is already installed.'
    exit 2
}
if ($build -ne 7600) {
    Write-Output 'This is not Windows Server 2008 R2 RTM (build 7600): the check does not apply.'
    exit 2
}

# XenApp is detected by an installed program whose name contains XenApp.
$uninstallKeys = @(
    'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
    'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
)
$xenApp = @(Get-ItemProperty -Path $uninstallKeys -ErrorAction SilentlyContinue |
    Where-Object { $_.DisplayName -like '*XenApp*' })
if ($xenApp.Count -eq 0) {
    Write-Output 'XenApp is not installed: ready for SP1.'
    exit 0
}
Write-Output ('XenApp found: {0}' -f (($xenApp | ForEach-Object { $_.DisplayName }) -join ', '))

$installed = Get-HotFix -Id $Hotfix -ErrorAction SilentlyContinue
if ($null -eq $installed) {
    Write-Output ('Hotfix {0} is NOT installed. Install it before Service Pack 1.' -f $Hotfix)
    exit 1
}
Write-Output ('Hotfix {0} is installed: ready for SP1.' -f $Hotfix)
exit 0
