# PatchBot\Database.ps1: the back end: sysadmin rights on its SQL Server, the database mirror (failing
# back to the primary) and the database update (Test-CsDatabase / Install-CsDatabase).
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Get-LocalPoolFqdn {
    $computer = Get-CsComputer -Local
    if ($null -eq $computer -or -not "$($computer.Pool)") {
        throw 'Get-CsComputer -Local names no pool for this server, so its pool is unknown. Run the runner on a Front End or Standard Edition server that is in the published topology.'
    }
    "$($computer.Pool)".ToLowerInvariant()
}

function Get-ServiceHost {
    # The host names of a pool's services of one kind ('UserDatabase:sql01.contoso.local' -> sql01.contoso.local).
    param([string] $Pool, [string] $Kind)
    $found = Get-CsPool -Identity $Pool
    if ($null -eq $found) {
        return
    }
    foreach ($service in @($found.Services)) {
        $text = "$service"
        if ($text -like "${Kind}:*") {
            $text.Substring($Kind.Length + 1).ToLowerInvariant()
        }
    }
}

function Get-MirrorDatabaseType {
    # Invoke-CsDatabaseFailover fails databases over by store type; the back-end databases by store.
    param([string] $DatabaseName)
    $types = @{
        rtcxds     = 'User'
        rtcshared  = 'User'
        rtcab      = 'Application'
        rgsconfig  = 'Application'
        rgsdyn     = 'Application'
        cpsdyn     = 'Application'
        xds        = 'CentralMgmt'
        lis        = 'CentralMgmt'
        lcslog     = 'Archiving'
        lcscdr     = 'Monitoring'
        qoemetrics = 'Monitoring'
    }
    $types[$DatabaseName.ToLowerInvariant()]
}

function Test-MirroredRow {
    param($Row)
    $off = 'DatabaseInaccessibleOrMirroringNotEnabled'
    "$($Row.StateOnPrimary)" -ne $off -or "$($Row.StateOnMirror)" -ne $off
}

function Get-DatabaseTestLine {
    param($Row)
    "$($Row.DatabaseName): installed $($Row.InstalledVersion), expected $($Row.ExpectedVersion)"
}

function Test-DatabaseBehind {
    # Test-CsDatabase's own verdict for the database.
    param($Row)
    -not $Row.Succeed
}

function Read-ReportText {
    # The report's text without its HTML, one line per non-empty line, the last $Lines of them.
    param([string] $Path, [int] $Lines = 20)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return
    }
    $text = [System.IO.File]::ReadAllText((Resolve-FullPath -Path $Path))
    $plain = [regex]::Replace($text, '<[^>]*>', "`n")
    $plain = [System.Net.WebUtility]::HtmlDecode($plain)
    @($plain -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ }) | Select-Object -Last $Lines
}

function Assert-PatchBotSqlRights {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn
    )
    $account = Get-AccountName
    # sqlcmd.exe comes with the SQL Server Express that every Front End has; -E signs in as this account.
    $query = "SET NOCOUNT ON; SELECT IS_SRVROLEMEMBER('sysadmin')"
    try {
        $lines = @(sqlcmd.exe -S $SqlServerFqdn -E -b -h -1 -W -Q $query)
    }
    catch [System.Management.Automation.CommandNotFoundException] {
        throw "sqlcmd.exe was not found on this server, so the rights on $SqlServerFqdn could not be checked. Run the runner on a Front End of the pool, where SQL Server's command-line tools are installed."
    }
    $answer = @($lines | ForEach-Object { "$_".Trim() } | Where-Object { $_ })
    if ($LASTEXITCODE -ne 0) {
        $detail = ''
        if ($answer.Count -gt 0) {
            $detail = ": $($answer[-1])"
        }
        throw "sqlcmd.exe could not query $SqlServerFqdn (exit code $LASTEXITCODE)$detail. Check that $SqlServerFqdn is the back end's SQL Server, that it is reachable, and that $account can sign in to it."
    }
    $last = ''
    if ($answer.Count -gt 0) {
        $last = $answer[-1]
    }
    if ($last -eq '0') {
        throw "$account is not a member of the sysadmin role on $SqlServerFqdn, so it cannot update the back-end databases. Grant it the role (or run the runner as an account that has it), then retry."
    }
    if ($last -ne '1') {
        throw "sqlcmd.exe gave no answer this module understands about the sysadmin role on $SqlServerFqdn ('$last'). Run the query by hand to see why."
    }
    Write-Output "$account is a member of the sysadmin role on $SqlServerFqdn."
}

function Assert-PatchBotDatabaseMirror {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn,

        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $PoolFqdn,

        [switch] $Mirrored
    )
    if (-not $PoolFqdn) {
        $PoolFqdn = Get-LocalPoolFqdn
    }
    $rows = @(Get-CsDatabaseMirrorState -PoolFqdn $PoolFqdn)
    if ($rows.Count -eq 0) {
        throw "Get-CsDatabaseMirrorState listed no databases for the pool $PoolFqdn, so mirroring could not be checked. Check the pool's name and that this account may read the topology."
    }
    foreach ($row in $rows) {
        Write-Output "$($row.DatabaseName): primary $($row.StateOnPrimary), mirror $($row.StateOnMirror)"
    }
    $mirroredRows = @($rows | Where-Object { Test-MirroredRow $_ })
    if ($mirroredRows.Count -eq 0) {
        if ($Mirrored) {
            throw "The back-end databases of the pool $PoolFqdn are not mirrored, but the plan expected mirroring. Ask for the update again so that it is planned with what the server reports now."
        }
        Write-Output "The back-end databases of the pool $PoolFqdn are not mirrored."
        return
    }
    if (-not $Mirrored) {
        throw "The back-end databases of the pool $PoolFqdn are mirrored, but the plan did not know. Ask for the update again so that it is planned with what the server reports now."
    }
    $elsewhere = @($mirroredRows | Where-Object { "$($_.StateOnPrimary)" -ne 'Principal' })
    if ($elsewhere.Count -gt 0) {
        $types = @()
        foreach ($row in $elsewhere) {
            $type = Get-MirrorDatabaseType -DatabaseName "$($row.DatabaseName)"
            if ($null -eq $type) {
                throw "The database $($row.DatabaseName) is principal on the mirror and this module does not know its store type. Make $SqlServerFqdn its principal with Invoke-CsDatabaseFailover, then retry."
            }
            if ($types -notcontains $type) {
                $types += $type
            }
        }
        foreach ($type in $types) {
            try {
                Invoke-CsDatabaseFailover -PoolFqdn $PoolFqdn -DatabaseType $type -NewPrincipal Primary -Confirm:$false -ErrorAction Stop
            }
            catch {
                throw "Failing the $type databases of the pool $PoolFqdn back to $SqlServerFqdn failed: $(Get-ErrorReason $_). Nothing has been stopped; make $SqlServerFqdn the principal by hand, then retry."
            }
            Write-Output "Failed the $type databases over to $SqlServerFqdn (Invoke-CsDatabaseFailover -NewPrincipal Primary)."
        }
        $rows = @(Get-CsDatabaseMirrorState -PoolFqdn $PoolFqdn)
        $still = @($rows | Where-Object { (Test-MirroredRow $_) -and "$($_.StateOnPrimary)" -ne 'Principal' })
        if ($still.Count -gt 0) {
            $names = @($still | ForEach-Object { "$($_.DatabaseName)" })
            throw "Still principal on the mirror after the failover: $($names -join ', '). Nothing has been stopped; make $SqlServerFqdn the principal by hand, then retry."
        }
    }
    Write-Output "Every mirrored database of the pool $PoolFqdn is principal on $SqlServerFqdn."
}

function Update-PatchBotDatabase {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('standard', 'enterprise', 'enterprise-collocated')]
        [string] $Variant,

        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn
    )
    if ($Variant -eq 'standard' -and $SqlServerFqdn) {
        throw 'A Standard Edition server updates its local databases; -SqlServerFqdn does not apply. Leave it out.'
    }
    if ($Variant -ne 'standard' -and -not $SqlServerFqdn) {
        throw "The $Variant variant updates the back end's databases on its SQL Server; give -SqlServerFqdn."
    }
    $test = @{ LocalService = $true }
    $install = @{ Update = $true; LocalDatabases = $true }
    if ($Variant -ne 'standard') {
        $test = @{ ConfiguredDatabases = $true; SqlServerFqdn = $SqlServerFqdn }
        $install = @{ Update = $true; ConfiguredDatabases = $true; SqlServerFqdn = $SqlServerFqdn }
        if ($Variant -eq 'enterprise-collocated') {
            $install['ExcludeCollocatedStores'] = $true
        }
    }
    $before = @(Test-CsDatabase @test)
    foreach ($row in $before) {
        Write-Output (Get-DatabaseTestLine $row)
    }
    if (@($before | Where-Object { Test-DatabaseBehind $_ }).Count -gt 0) {
        Write-Output 'Test-CsDatabase: update needed.'
    }
    else {
        Write-Output 'Test-CsDatabase: up to date.'
    }
    $stamp = [datetime]::Now.ToString('yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
    $temp = $env:TEMP
    if (-not $temp) {
        $temp = [System.IO.Path]::GetTempPath()
    }
    $report = $temp.TrimEnd('\', '/') + '\' + "PatchBot-Install-CsDatabase-$stamp.html"
    $install['Report'] = $report
    $failure = $null
    try {
        Install-CsDatabase @install -ErrorAction Stop | ForEach-Object { Write-Output "$_" }
    }
    catch {
        $failure = Get-ErrorReason $_
    }
    $summary = @(Read-ReportText -Path $report)
    if ($summary.Count -gt 0) {
        Write-Output "--- report $report ---"
        $summary | ForEach-Object { Write-Output $_ }
    }
    if ($null -ne $failure) {
        throw "Install-CsDatabase -Update failed: $failure. See the report $report, fix the cause, then retry."
    }
    $after = @(Test-CsDatabase @test)
    foreach ($row in $after) {
        Write-Output (Get-DatabaseTestLine $row)
    }
    $behind = @($after | Where-Object { Test-DatabaseBehind $_ })
    if ($Variant -eq 'enterprise-collocated') {
        # -ExcludeCollocatedStores leaves the Archiving and Monitoring databases on the same SQL
        # Server alone, so their rows do not count here.
        $behind = @($behind | Where-Object { @('Archiving', 'Monitoring') -notcontains (Get-MirrorDatabaseType -DatabaseName "$($_.DatabaseName)") })
    }
    if ($behind.Count -gt 0) {
        $names = @($behind | ForEach-Object { "$($_.DatabaseName)" })
        throw "Test-CsDatabase after the update: still behind: $($names -join ', '). See the report $report, then run the database update again."
    }
    Write-Output 'Test-CsDatabase: done.'
}
