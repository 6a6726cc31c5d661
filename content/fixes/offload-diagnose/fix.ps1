# Standardized task offload keywords (Microsoft: "Using Registry Values to Enable and Disable
# Task Offloading"): checksum offload per protocol, and large send offload (LSO).
$patterns = @('*ChecksumOffload*', '*Lso*')

Write-Output 'Advanced properties that control task offload, per adapter:'
Get-NetAdapterAdvancedProperty -AllProperties |
    Where-Object {
        $keyword = $_.RegistryKeyword
        $patterns | Where-Object { $keyword -like $_ }
    } |
    Sort-Object -Property @('Name', 'RegistryKeyword') |
    Format-Table -Property @('Name', 'DisplayName', 'DisplayValue', 'RegistryKeyword', 'RegistryValue') -AutoSize

Write-Output 'Checksum offload as the NetAdapter module reports it:'
Get-NetAdapterChecksumOffload | Format-Table -AutoSize

Write-Output 'Large send offload as the NetAdapter module reports it:'
Get-NetAdapterLso | Format-Table -AutoSize

Write-Output 'Global TCP settings (netsh interface tcp show global):'
netsh interface tcp show global
