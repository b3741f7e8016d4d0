# SIMULATOR. The Lync / Skype for Business Server cmdlets the runner uses, faked over the lab
# state file; dot-sourced by the fake management modules in modules/Lync and
# modules/SkypeForBusiness (the one of the lab server's product is on $env:PSModulePath). Same
# rules and refusals as the TypeScript stand-in (src/lab/host/cs-commands.ts); the texts of the
# refusals are the simulator's own. Needs LabWindows.psm1 (imported -Global by the lab set-up).

# The back-end databases Test-CsDatabase and Get-CsDatabaseMirrorState list (collocated stores left out).
$script:LabDatabases = @('xds', 'lis', 'rtcxds', 'rtcshared', 'rtcab', 'rgsconfig', 'rgsdyn', 'cpsdyn')
$script:NotMirrored = 'DatabaseInaccessibleOrMirroringNotEnabled'

function Get-CsServerPatchVersion {
    # Exported only while conditions.serverPatchVersionCmdlet (see the module files).
    [CmdletBinding()]
    param()
    $state = Read-LabState
    foreach ($component in @($state['components'])) {
        [pscustomobject]@{
            ComputerName  = "$($state['server']).contoso.local"
            ComponentName = $component
            Version       = Get-LabComponentVersion -State $state -Component $component
        }
    }
}

function Get-LabCsServiceNames {
    # The Cs services this machine has: none while not conditions.csServicesInstalled.
    param($State)
    if ($State['conditions']['csServicesInstalled']) { @($State['services'].Keys) }
}

function Get-CsWindowsService {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    foreach ($name in @(Get-LabCsServiceNames -State $state)) {
        [pscustomobject]@{ Status = $state['services'][$name]; Name = $name }
    }
}

function Stop-CsWindowsService {
    # -Graceful drains instantly in the lab; -NoWait changes nothing here.
    [CmdletBinding()]
    param([switch] $Graceful, [switch] $NoWait)
    $state = Read-LabState
    foreach ($name in @(Get-LabCsServiceNames -State $state)) { $state['services'][$name] = 'Stopped' }
    Write-LabState -State $state
}

function Start-CsWindowsService {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    $schemaBehind = [version] $state['databaseVersion'] -lt [version] $state['installedVersion']
    foreach ($name in @(Get-LabCsServiceNames -State $state)) {
        if ($schemaBehind -and $name -eq 'RTCSRV') { $state['services'][$name] = 'Stopped' }
        else { $state['services'][$name] = 'Running' }
    }
    Write-LabState -State $state
    if ($schemaBehind) {
        # Simulator rule: the Front-End service refuses binaries newer than the database schema.
        Write-Error -Message ('Start-CsWindowsService: service RTCSRV did not start: the database schema is older than the installed ' +
            'binaries (simulator rule: run Install-CsDatabase -Update first).')
    }
}

function Install-CsDatabase {
    # Article step 11: the three parameter sets; PowerShell itself refuses a mix of them. A set
    # that does not fit the server's actual role is refused, as by the real cmdlet.
    [CmdletBinding(DefaultParameterSetName = 'Local')]
    param(
        [Parameter(Mandatory = $true)] [switch] $Update,
        [Parameter(Mandatory = $true, ParameterSetName = 'Local')] [switch] $LocalDatabases,
        [Parameter(Mandatory = $true, ParameterSetName = 'Configured')] [switch] $ConfiguredDatabases,
        [Parameter(Mandatory = $true, ParameterSetName = 'Configured')] [string] $SqlServerFqdn,
        [Parameter(ParameterSetName = 'Configured')] [switch] $ExcludeCollocatedStores,
        [string] $Report
    )
    $state = Read-LabState
    $server = $state['server']
    if ($PSCmdlet.ParameterSetName -eq 'Local') {
        if ($state['edition'] -ne 'standard') {
            Write-Error -Message ("Install-CsDatabase: $server is an Enterprise Edition Back End Server and has no local " +
                'databases to update. Use -ConfiguredDatabases -SqlServerFqdn.')
            return
        }
        "Updating databases on $server\RTC and $server\RTCLOCAL (local SQL Server Express) ..."
    }
    else {
        $sql = $SqlServerFqdn.ToLowerInvariant()
        if ($state['edition'] -eq 'standard') {
            Write-Error -Message "Install-CsDatabase: $server is a Standard Edition server; its databases are local. Use -LocalDatabases."
            return
        }
        if ($sql -ne $state['sqlServerFqdn']) {
            Write-Error -Message "Install-CsDatabase: $sql is not the SQL Server store of this pool."
            return
        }
        if ($state['collocatedStores'] -and -not $ExcludeCollocatedStores) {
            Write-Error -Message "Install-CsDatabase: Archiving and Monitoring databases are collocated on $sql; add -ExcludeCollocatedStores."
            return
        }
        if ($state['conditions']['mirrored'] -and $state['conditions']['principalOnMirror']) {
            $parts = $sql.Split('.')
            $parts[0] = "$($parts[0])-mirror"
            Write-Error -Message "Install-CsDatabase: the databases are mirrored and $($parts -join '.') is their principal; make $sql the principal (Invoke-CsDatabaseFailover) first."
            return
        }
        $excluded = ''
        if ($ExcludeCollocatedStores) { $excluded = ' (collocated stores excluded)' }
        "Updating configured databases on $sql$excluded ..."
    }
    $from = $state['databaseVersion']
    $state['databaseVersion'] = $state['installedVersion']
    Write-LabState -State $state
    "Database schema now matches $($state['installedVersion'])."
    if ($Report) {
        $lines = @('<html><body>')
        foreach ($database in $script:LabDatabases) { $lines += "<p>${database}: $from to $($state['installedVersion']): Success</p>" }
        $lines += "<p>Summary: $($script:LabDatabases.Count) databases updated on $server, 0 errors.</p>"
        $lines += '</body></html>'
        $target = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Report)
        [System.IO.File]::WriteAllText($target, (($lines -join "`n") + "`n"), (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    }
}

function Test-CsDatabase {
    # One row per back-end database: the schema the binaries expect (installedVersion) and the one
    # installed (databaseVersion).
    [CmdletBinding()]
    param([switch] $LocalService, [switch] $ConfiguredDatabases, [string] $SqlServerFqdn)
    $state = Read-LabState
    foreach ($database in $script:LabDatabases) {
        [pscustomobject]@{
            DatabaseName     = $database
            ExpectedVersion  = $state['installedVersion']
            InstalledVersion = $state['databaseVersion']
            Succeed          = [version] $state['databaseVersion'] -ge [version] $state['installedVersion']
        }
    }
}

function Get-CsDatabaseMirrorState {
    # Enterprise, this server's pool: each database's role on the primary and on the mirror.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $PoolFqdn)
    $state = Read-LabState
    if ($state['edition'] -ne 'enterprise' -or $PoolFqdn -ne $state['poolFqdn']) { return }
    $primary = $script:NotMirrored
    $mirror = $script:NotMirrored
    if ($state['conditions']['mirrored']) {
        $primary = 'Principal'
        $mirror = 'Mirror'
        if ($state['conditions']['principalOnMirror']) {
            $primary = 'Mirror'
            $mirror = 'Principal'
        }
    }
    foreach ($database in $script:LabDatabases) {
        [pscustomobject]@{ DatabaseName = $database; StateOnPrimary = $primary; StateOnMirror = $mirror; MirroringStatusOnPrimary = ''; MirroringStatusOnSecondary = '' }
    }
}

function Invoke-CsDatabaseFailover {
    # -NewPrincipal Primary: the lab fails every database back at once.
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true)] [string] $PoolFqdn,
        [Parameter(Mandatory = $true)] [string] $DatabaseType,
        [Parameter(Mandatory = $true)] [ValidateSet('Primary', 'Mirror')] [string] $NewPrincipal
    )
    $state = Read-LabState
    if ($state['conditions']['failoverFails']) {
        Write-Error -Message "The mirror of the pool $PoolFqdn did not give up the principal role (simulated failover failure)."
        return
    }
    if (-not $PSCmdlet.ShouldProcess($PoolFqdn, "fail the $DatabaseType databases over to the $NewPrincipal")) { return }
    $state['conditions']['principalOnMirror'] = $NewPrincipal -eq 'Mirror'
    Write-LabState -State $state
}

function Get-CsComputer {
    # -Local: this server, in its pool.
    [CmdletBinding()]
    param([switch] $Local)
    $state = Read-LabState
    $fqdn = "$($state['server']).contoso.local"
    [pscustomobject]@{ Identity = $fqdn; Fqdn = $fqdn; Pool = $state['poolFqdn'] }
}

function Get-CsPool {
    # This server's pool (its user database: itself on Standard Edition, else the SQL Server) and
    # the back end's SQL store (with the collocated Archiving/Monitoring stores).
    [CmdletBinding()]
    param([string] $Identity)
    $state = Read-LabState
    $pool = $state['poolFqdn']
    $sql = $state['sqlServerFqdn']
    if ($Identity -eq $pool) {
        $database = $pool
        if ($state['edition'] -eq 'enterprise') { $database = $sql }
        return [pscustomobject]@{ Identity = $pool; Fqdn = $pool; Services = @("UserServer:$pool", "Registrar:$pool", "UserDatabase:$database") }
    }
    if ($state['edition'] -eq 'enterprise' -and $Identity -eq $sql) {
        $services = @("UserDatabase:$sql")
        if ($state['collocatedStores']) { $services += @("ArchivingDatabase:$sql", "MonitoringDatabase:$sql") }
        return [pscustomobject]@{ Identity = $sql; Fqdn = $sql; Services = $services }
    }
}
