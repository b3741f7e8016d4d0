# SIMULATOR: manifest of the lab's fake SkypeForBusiness module (lets PowerShell find its commands).
@{
    RootModule        = 'SkypeForBusiness.psm1'
    ModuleVersion     = '7.0.0'
    GUID              = '3c1c3a53-8a1d-4c55-9a55-5ea7f0d7b001'
    Description       = 'SIMULATOR: fake Skype for Business Server management module (patch bot lab)'
    FunctionsToExport = @(
        'Get-CsServerPatchVersion', 'Get-CsWindowsService', 'Stop-CsWindowsService', 'Start-CsWindowsService', 'Install-CsDatabase',
        'Test-CsDatabase', 'Get-CsDatabaseMirrorState', 'Invoke-CsDatabaseFailover', 'Get-CsComputer', 'Get-CsPool'
    )
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
