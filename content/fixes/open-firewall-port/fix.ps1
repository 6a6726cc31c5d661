$existing = Get-NetFirewallRule -Name $RuleName -ErrorAction SilentlyContinue
if ($null -ne $existing) {
    throw ('A firewall rule named {0} already exists; choose another name (the revert removes the rule by name).' -f $RuleName)
}
if ($PSCmdlet.ShouldProcess($RuleName, ('Allow inbound {0} port {1}' -f $Protocol, $Port))) {
    New-NetFirewallRule -Name $RuleName -DisplayName $RuleName -Direction Inbound -Protocol $Protocol -LocalPort $Port -Action Allow
}
