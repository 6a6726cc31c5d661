$existing = Get-NetFirewallRule -Name $RuleName -ErrorAction SilentlyContinue
if ($null -eq $existing) {
    Write-Output ('No firewall rule named {0}: nothing to remove.' -f $RuleName)
    return
}
Remove-NetFirewallRule -Name $RuleName
Write-Output ('Removed firewall rule {0}.' -f $RuleName)
