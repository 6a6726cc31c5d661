if ($null -ne (Get-VM -Name $VmName -ErrorAction SilentlyContinue)) {
    throw ('A VM named {0} already exists.' -f $VmName)
}
if (Test-Path -LiteralPath $DiskPath) {
    throw ('{0} already exists; choose a new disk path (the revert script deletes it).' -f $DiskPath)
}
if (-not (Test-Path -LiteralPath $IsoPath)) {
    throw ('ISO not found: {0}' -f $IsoPath)
}
$null = Get-VMSwitch -Name $SwitchName -ErrorAction Stop

$memoryBytes = [int64]$MemoryMb * 1048576
$diskBytes = [int64]$DiskGb * 1073741824
if ($PSCmdlet.ShouldProcess($VmName, 'Create a generation 1 VM for XenServer')) {
    New-VM -Name $VmName -Generation 1 -MemoryStartupBytes $memoryBytes -NewVHDPath $DiskPath -NewVHDSizeBytes $diskBytes -BootDevice CD
    Set-VMProcessor -VMName $VmName -Count $Processors
    # XenServer setup does not see the synthetic adapter New-VM creates: add a legacy one.
    Add-VMNetworkAdapter -VMName $VmName -IsLegacy $true -SwitchName $SwitchName
    Add-VMDvdDrive -VMName $VmName -Path $IsoPath
    if ($Nested) {
        Set-VMProcessor -VMName $VmName -ExposeVirtualizationExtensions $true
    }
    Get-VM -Name $VmName
}
