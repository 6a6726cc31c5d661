if (-not (Test-Path -LiteralPath $BackupPath)) {
    throw ('No backup at {0}: nothing to restore.' -f $BackupPath)
}
$saved = @(Import-Clixml -LiteralPath $BackupPath)
foreach ($item in $saved) {
    if ($item.Name -ne $Adapter) {
        throw ('The backup at {0} is for adapter {1}, not {2}.' -f $BackupPath, $item.Name, $Adapter)
    }
}

Write-Warning 'Changing these properties restarts the adapter: virtual machines on it lose the network for a moment.'
foreach ($item in $saved) {
    $current = Get-NetAdapterAdvancedProperty -Name $Adapter -AllProperties |
        Where-Object { $_.RegistryKeyword -eq $item.RegistryKeyword }
    if ($null -eq $current) {
        Write-Warning ('{0} no longer has {1}; skipped.' -f $Adapter, $item.RegistryKeyword)
        continue
    }
    $current | Set-NetAdapterAdvancedProperty -RegistryValue $item.RegistryValue
}
Remove-Item -LiteralPath $BackupPath
Write-Output 'Restored values:'
Get-NetAdapterAdvancedProperty -Name $Adapter -AllProperties |
    Where-Object { ($saved | ForEach-Object { $_.RegistryKeyword }) -contains $_.RegistryKeyword } |
    Format-Table -Property @('Name', 'DisplayName', 'DisplayValue', 'RegistryKeyword', 'RegistryValue') -AutoSize
