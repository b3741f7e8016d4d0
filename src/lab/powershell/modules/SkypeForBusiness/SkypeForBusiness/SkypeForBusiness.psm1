# SIMULATOR. A fake SkypeForBusiness management module for the lab on real PowerShell 7 (see
# src/lab/README.md). Importing it makes this process a holder of the module, as on a server.
# Get-CsServerPatchVersion is there only while conditions.serverPatchVersionCmdlet (SfB 2015 has it
# from its November 2015 cumulative update on), as the lab state says at import.
. (Join-Path $PSScriptRoot '../../../LabCs.ps1')
Register-LabModuleHolder
$labExports = @(
    'Get-CsWindowsService', 'Stop-CsWindowsService', 'Start-CsWindowsService', 'Install-CsDatabase', 'Test-CsDatabase',
    'Get-CsDatabaseMirrorState', 'Invoke-CsDatabaseFailover', 'Get-CsComputer', 'Get-CsPool'
)
if ((Read-LabState)['conditions']['serverPatchVersionCmdlet']) {
    $labExports += 'Get-CsServerPatchVersion'
}
Export-ModuleMember -Function $labExports
