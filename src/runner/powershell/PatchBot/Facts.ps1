# PatchBot\Facts.ps1: the server facts the runner reads as one line of JSON (src/runner/facts.ts).
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Get-PatchBotServerFacts {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product,

        [Parameter(Mandatory = $true)]
        [string] $StagingPath
    )
    # One line of JSON. Each fact is read on its own: one that cannot be read is null, and the
    # others are still reported.
    $facts = [ordered]@{
        productName       = $Product
        installedVersion  = $null
        components        = @()
        edition           = $null
        poolFqdn          = $null
        sqlServerFqdn     = $null
        collocatedStores  = $null
        mirrored          = $null
        pendingRestart    = $null
        freeSpaceGb       = $null
        powershellVersion = $null
        csServiceCount    = $null
    }
    try {
        $components = @(Get-ComponentVersion -Product $Product)
        $list = New-Object System.Collections.ArrayList
        foreach ($component in $components) {
            [void] $list.Add([ordered]@{ name = $component.Name; version = $component.Version })
        }
        $facts.components = $list.ToArray()
        $facts.installedVersion = Get-LowestVersion -Versions @($components | ForEach-Object { $_.Version })
    }
    catch {
        $facts.components = @()
    }
    try {
        $pool = Get-LocalPoolFqdn
        $facts.poolFqdn = $pool
        $database = @(Get-ServiceHost -Pool $pool -Kind 'UserDatabase') | Select-Object -First 1
        if ($null -ne $database) {
            if ($database -eq $pool) {
                # A Standard Edition server is its own pool and holds its databases itself.
                $facts.edition = 'standard'
                $facts.collocatedStores = $false
                $facts.mirrored = $false
            }
            else {
                $facts.edition = 'enterprise'
                $facts.sqlServerFqdn = $database
                $stores = @(Get-ServiceHost -Pool $database -Kind 'ArchivingDatabase') + @(Get-ServiceHost -Pool $database -Kind 'MonitoringDatabase')
                $facts.collocatedStores = @($stores | Where-Object { $_ -eq $database }).Count -gt 0
                $facts.mirrored = @(Get-CsDatabaseMirrorState -PoolFqdn $pool | Where-Object { Test-MirroredRow $_ }).Count -gt 0
            }
        }
    }
    catch {
        Write-Verbose "Pool facts: $(Get-ErrorReason $_)"
    }
    try {
        $facts.pendingRestart = @(Get-PendingRestartReason).Count -gt 0
    }
    catch {
        Write-Verbose "Pending restart: $(Get-ErrorReason $_)"
    }
    try {
        $drive = Get-LocalDriveName -Path $StagingPath
        $facts.freeSpaceGb = [math]::Floor((Get-DriveFreeBytes -Drive $drive) / $script:BytesPerGB * 10) / 10
    }
    catch {
        Write-Verbose "Free space: $(Get-ErrorReason $_)"
    }
    try {
        $engine = Get-EngineVersion
        if ($null -ne $engine) {
            $facts.powershellVersion = "$($engine.Major).$($engine.Minor)"
        }
    }
    catch {
        Write-Verbose "PowerShell version: $(Get-ErrorReason $_)"
    }
    try {
        $facts.csServiceCount = @(Get-CsWindowsService).Count
    }
    catch {
        Write-Verbose "Cs services: $(Get-ErrorReason $_)"
    }
    ConvertTo-Json -InputObject $facts -Compress -Depth 4
}
