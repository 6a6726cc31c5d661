$keywords = @()
if ($Offloads -contains 'checksum') {
    $keywords += '*IPChecksumOffloadIPv4', '*TCPChecksumOffloadIPv4', '*TCPChecksumOffloadIPv6',
        '*UDPChecksumOffloadIPv4', '*UDPChecksumOffloadIPv6'
}
if ($Offloads -contains 'lso') {
    $keywords += '*LsoV1IPv4', '*LsoV2IPv4', '*LsoV2IPv6'
}

# Fails here if there is no adapter by that name.
$null = Get-NetAdapter -Name $Adapter -ErrorAction Stop

$properties = @(Get-NetAdapterAdvancedProperty -Name $Adapter -AllProperties |
    Where-Object { $keywords -contains $_.RegistryKeyword })
if ($properties.Count -eq 0) {
    Write-Output ('The driver of {0} has none of the selected offload properties; nothing to do.' -f $Adapter)
    return
}

Write-Output 'Current values:'
$properties | Format-Table -Property @('Name', 'DisplayName', 'DisplayValue', 'RegistryKeyword', 'RegistryValue') -AutoSize

if (Test-Path -LiteralPath $BackupPath) {
    throw ('A backup already exists at {0}. Run the revert script first, or choose another backup file.' -f $BackupPath)
}

Write-Warning 'Changing these properties restarts the adapter: virtual machines on it lose the network for a moment.'
if ($PSCmdlet.ShouldProcess($Adapter, 'Save current offload values and set them to 0 (disabled)')) {
    $folder = Split-Path -Parent $BackupPath
    if (-not (Test-Path -LiteralPath $folder)) {
        $null = New-Item -ItemType Directory -Path $folder
    }
    $properties | Select-Object -Property @('Name', 'RegistryKeyword', 'RegistryValue') | Export-Clixml -LiteralPath $BackupPath
    foreach ($property in $properties) {
        $property | Set-NetAdapterAdvancedProperty -RegistryValue '0'
    }
    Write-Output ('Previous values saved to {0}. New values:' -f $BackupPath)
    Get-NetAdapterAdvancedProperty -Name $Adapter -AllProperties |
        Where-Object { $keywords -contains $_.RegistryKeyword } |
        Format-Table -Property @('Name', 'DisplayName', 'DisplayValue', 'RegistryKeyword', 'RegistryValue') -AutoSize
}
