# PatchBot.psm1: the patch bot runner's helper functions, for Windows PowerShell 3.0 and later.
#
# The runner imports this module by path at the start of every session and calls these functions
# as single-line steps from its own catalog (src/procedure/catalog.ts). Each function writes a
# short human-readable line on success and throws a clear message on failure; the runner's
# envelope catches the message and reports it. No function prompts: sessions are -NonInteractive.
#
# Floor and Windows touchpoints: see README.md next to this file. Only the touchpoints listed
# there may reach Windows; everything else is plain PowerShell 3.0 and .NET 4.5.

Set-StrictMode -Version 3.0

# 1073741824 bytes = 1 GB (spelled out: the 1GB literal suffix trips some PowerShell parsers).
$script:BytesPerGB = 1073741824

# The functions live in PatchBot\*.ps1 next to this file, one file per theme (README.md says which
# function is where); they are dot-sourced into this module's scope, so they are the module's own
# functions (private unless listed below) and Pester's -ModuleName PatchBot mocks reach them.
. (Join-Path $PSScriptRoot 'PatchBot\Helpers.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Prechecks.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Package.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Versions.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Services.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Installer.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Database.ps1')
. (Join-Path $PSScriptRoot 'PatchBot\Facts.ps1')

# ---- exported functions: one per catalog step, plus the facts and the version listing ----

Export-ModuleMember -Function @(
    'Assert-PatchBotPowerShellVersion',
    'Assert-PatchBotCsAdministrator',
    'Assert-PatchBotNoPendingReboot',
    'Assert-PatchBotFreeSpace',
    'Save-PatchBotPackage',
    'Assert-PatchBotFileHash',
    'Expand-PatchBotPackage',
    'Assert-PatchBotCsServicesPresent',
    'Assert-PatchBotNoOtherShells',
    'Assert-PatchBotVersionGap',
    'Assert-PatchBotSqlRights',
    'Assert-PatchBotDatabaseMirror',
    'Stop-PatchBotCsServices',
    'Stop-PatchBotIis',
    'Install-PatchBotUpdate',
    'Start-PatchBotIis',
    'Update-PatchBotDatabase',
    'Assert-PatchBotCsServicesRunning',
    'Get-PatchBotPatchVersion',
    'Assert-PatchBotPatchVersion',
    'Get-PatchBotServerFacts'
)
