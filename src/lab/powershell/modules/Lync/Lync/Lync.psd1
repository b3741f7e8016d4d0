# SIMULATOR: manifest of the lab's fake Lync module (lets PowerShell find its commands).
@{
    RootModule        = 'Lync.psm1'
    ModuleVersion     = '5.0.0'
    GUID              = '3c1c3a53-8a1d-4c55-9a55-5ea7f0d7b002'
    Description       = 'SIMULATOR: fake Lync Server 2013 management module (patch bot lab)'
    FunctionsToExport = @(
        'Get-CsWindowsService', 'Stop-CsWindowsService', 'Start-CsWindowsService', 'Install-CsDatabase', 'Test-CsDatabase',
        'Get-CsDatabaseMirrorState', 'Invoke-CsDatabaseFailover', 'Get-CsComputer', 'Get-CsPool'
    )
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
