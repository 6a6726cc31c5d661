if ($MarkBusy) {
    Add-PSSnapin Microsoft.WindowsAzure.ServiceRuntime
    Set-RoleInstanceStatus -Ready
    Write-Output 'Instance marked Ready: the load balancer sends it requests again.'
} else {
    Write-Output 'The wait did not mark the instance Busy: nothing to undo.'
}
