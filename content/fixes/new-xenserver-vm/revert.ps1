$vm = Get-VM -Name $VmName -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    Write-Output ('No VM named {0}.' -f $VmName)
} else {
    if ($vm.State -ne 'Off') {
        Stop-VM -Name $VmName -TurnOff -Force
    }
    Remove-VM -Name $VmName -Force
    Write-Output ('Removed VM {0}.' -f $VmName)
}
if (Test-Path -LiteralPath $DiskPath) {
    Remove-Item -LiteralPath $DiskPath -Confirm
}
