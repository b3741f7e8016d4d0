# SIMULATOR. The Lync / Skype for Business Server cmdlets the runner uses, faked over the lab
# state file; dot-sourced by the fake management modules in modules/Lync and
# modules/SkypeForBusiness (the one of the lab server's product is on $env:PSModulePath). Same
# rules and refusals as the TypeScript stand-in (src/lab/host/cs-commands.ts); the texts of the
# refusals are the simulator's own. Needs LabWindows.psm1 (imported -Global by the lab set-up).

function Get-CsServerPatchVersion {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    foreach ($component in @($state['components'])) {
        [pscustomobject]@{
            ComputerName  = "$($state['server']).contoso.local"
            ComponentName = $component
            Version       = $state['installedVersion']
        }
    }
}

function Get-CsWindowsService {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    foreach ($name in $state['services'].Keys) {
        [pscustomobject]@{ Status = $state['services'][$name]; Name = $name }
    }
}

function Stop-CsWindowsService {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    foreach ($name in @($state['services'].Keys)) { $state['services'][$name] = 'Stopped' }
    Write-LabState -State $state
}

function Start-CsWindowsService {
    [CmdletBinding()]
    param()
    $state = Read-LabState
    $schemaBehind = $state['databaseVersion'] -ne $state['installedVersion']
    foreach ($name in @($state['services'].Keys)) {
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
        [Parameter(ParameterSetName = 'Configured')] [switch] $ExcludeCollocatedStores
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
        $excluded = ''
        if ($ExcludeCollocatedStores) { $excluded = ' (collocated stores excluded)' }
        "Updating configured databases on $sql$excluded ..."
    }
    $state['databaseVersion'] = $state['installedVersion']
    Write-LabState -State $state
    "Database schema now matches $($state['installedVersion'])."
}
