# SIMULATOR. A fake SkypeForBusiness management module for the lab on real PowerShell 7 (see
# src/lab/README.md). Importing it makes this process a holder of the module, as on a server.
. (Join-Path $PSScriptRoot '../../../LabCs.ps1')
Register-LabModuleHolder
Export-ModuleMember -Function @(
    'Get-CsServerPatchVersion', 'Get-CsWindowsService', 'Stop-CsWindowsService', 'Start-CsWindowsService', 'Install-CsDatabase'
)
