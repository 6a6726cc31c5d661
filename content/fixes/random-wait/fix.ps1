if ($MinSeconds -gt $MaxSeconds) {
    throw 'The shortest wait must not be longer than the longest wait.'
}

if ($MarkBusy) {
    # The Windows Azure service runtime snap-in provides Set-RoleInstanceStatus.
    Add-PSSnapin Microsoft.WindowsAzure.ServiceRuntime
    Set-RoleInstanceStatus -Busy
    Write-Output 'Instance marked Busy: the load balancer sends it no requests.'
}

# System.Random rather than Get-Random, which PowerShell 1.0 does not have.
$random = New-Object System.Random
$seconds = $random.Next($MinSeconds, $MaxSeconds + 1)
Write-Output ('Waiting {0} seconds before setup continues.' -f $seconds)
Start-Sleep -Seconds $seconds
Write-Output 'Done waiting.'
