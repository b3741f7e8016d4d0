# SIMULATOR. A fake Lync (Lync Server 2013) management module for the lab on real PowerShell 7
# (see src/lab/README.md). Lync Server 2013 has no Get-CsServerPatchVersion. Importing it makes
# this process a holder of the module, as on a server.
. (Join-Path $PSScriptRoot '../../../LabCs.ps1')
Register-LabModuleHolder
Export-ModuleMember -Function @(
    'Get-CsWindowsService', 'Stop-CsWindowsService', 'Start-CsWindowsService', 'Install-CsDatabase', 'Test-CsDatabase',
    'Get-CsDatabaseMirrorState', 'Invoke-CsDatabaseFailover', 'Get-CsComputer', 'Get-CsPool'
)
