# Pester tests of PatchBot.psm1's server checks and downtime steps (docs/steps.md): PowerShell and
# .NET floor, Cs services present, SQL rights, database mirroring, the idempotent Cs service and IIS
# stops and starts, the database update, and the server facts. The Cs cmdlets, sqlcmd.exe, net.exe,
# Get-Service and the registry are Windows touchpoints (README.md next to the module), mocked inside
# the module; commands that do not exist here get a stub first that fails loudly if a test forgot
# its mock. Reports and staging folders are real files under $TestDrive.

BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../src/runner/powershell/PatchBot.psm1'
    $script:Stubs = @(
        'Get-CsWindowsService', 'Get-CsServerPatchVersion', 'Get-CsComputer', 'Get-CsPool', 'Get-CsDatabaseMirrorState',
        'Invoke-CsDatabaseFailover', 'Stop-CsWindowsService', 'Test-CsDatabase', 'Install-CsDatabase', 'sqlcmd.exe', 'net',
        'Get-Service', 'Get-CimInstance'
    )
    function global:Get-CsWindowsService { throw 'Get-CsWindowsService stub: the test must mock it.' }
    function global:Get-CsServerPatchVersion { throw 'Get-CsServerPatchVersion stub: the test must mock it.' }
    function global:Get-CsComputer { param([switch] $Local) throw 'Get-CsComputer stub: the test must mock it.' }
    function global:Get-CsPool { param([string] $Identity) throw 'Get-CsPool stub: the test must mock it.' }
    function global:Get-CsDatabaseMirrorState { param([string] $PoolFqdn) throw 'Get-CsDatabaseMirrorState stub: the test must mock it.' }
    function global:Invoke-CsDatabaseFailover {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([string] $PoolFqdn, [string] $DatabaseType, [string] $NewPrincipal)
        throw 'Invoke-CsDatabaseFailover stub: the test must mock it.'
    }
    function global:Stop-CsWindowsService { param([switch] $Graceful, [switch] $NoWait) throw 'Stop-CsWindowsService stub: the test must mock it.' }
    function global:Test-CsDatabase {
        [CmdletBinding()]
        param([switch] $LocalService, [switch] $ConfiguredDatabases, [string] $SqlServerFqdn)
        throw 'Test-CsDatabase stub: the test must mock it.'
    }
    function global:Install-CsDatabase {
        [CmdletBinding()]
        param([switch] $Update, [switch] $LocalDatabases, [switch] $ConfiguredDatabases, [string] $SqlServerFqdn, [switch] $ExcludeCollocatedStores, [string] $Report)
        throw 'Install-CsDatabase stub: the test must mock it.'
    }
    function global:sqlcmd.exe { throw 'sqlcmd.exe stub: the test must mock it.' }
    function global:net { throw 'net stub: the test must mock it.' }
    function global:Get-Service { param([string] $Name) throw 'Get-Service stub: the test must mock it.' }
    function global:Get-CimInstance { param([string] $ClassName, [string] $Filter) throw 'Get-CimInstance stub: the test must mock it.' }
    Import-Module $script:ModulePath -Force

    # The exact message, case included (-ExpectedMessage alone is a case-insensitive wildcard match).
    function Assert-ThrowsMessage([scriptblock] $Action, [string] $Message) {
        $thrown = $Action | Should -Throw -ExpectedMessage ([WildcardPattern]::Escape($Message)) -PassThru
        $thrown.Exception.Message | Should -BeExactly $Message
    }

    # What a step wrote before it threw, and the message it threw (or $null).
    function Invoke-Step([scriptblock] $Action) {
        $out = New-Object System.Collections.ArrayList
        $thrown = $null
        try {
            & $Action | ForEach-Object { [void] $out.Add("$_") }
        }
        catch {
            $thrown = $_.Exception.Message
        }
        [pscustomobject]@{ Output = @($out); Thrown = $thrown }
    }

    function New-Service([string] $Name, [string] $Status) {
        [pscustomobject]@{ Name = $Name; Status = $Status }
    }

    function New-MirrorRow([string] $Database, [string] $Primary, [string] $Mirror) {
        [pscustomobject]@{ DatabaseName = $Database; StateOnPrimary = $Primary; StateOnMirror = $Mirror; MirroringStatusOnPrimary = ''; MirroringStatusOnSecondary = '' }
    }

    function New-DatabaseRow([string] $Database, [string] $Installed, [string] $Expected) {
        [pscustomobject]@{ DatabaseName = $Database; InstalledVersion = $Installed; ExpectedVersion = $Expected; Succeed = ($Installed -eq $Expected) }
    }

    $script:Off = 'DatabaseInaccessibleOrMirroringNotEnabled'
    $script:EngineKey = 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine'
    $script:DotNetKey = 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full'
    $script:SavedEnv = @{ USERDOMAIN = $env:USERDOMAIN; USERNAME = $env:USERNAME }
}

AfterAll {
    Remove-Module PatchBot -Force -ErrorAction SilentlyContinue
    foreach ($name in $script:Stubs) {
        Remove-Item -Path "Function:\$name" -ErrorAction SilentlyContinue
    }
    $env:USERDOMAIN = $script:SavedEnv.USERDOMAIN
    $env:USERNAME = $script:SavedEnv.USERNAME
}

Describe 'Assert-PatchBotPowerShellVersion' {
    It 'passes with PowerShell <Engine> and .NET release <Release>, naming both' -ForEach @(
        @{ Engine = '3.0'; Release = 378389; Shown = '3.0' }
        @{ Engine = '5.1.14393.0'; Release = 394802; Shown = '5.1' }
    ) {
        $engine = $Engine
        $release = $Release
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ PowerShellVersion = $engine } } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ Release = $release } } -ParameterFilter { $LiteralPath -eq $script:DotNetKey }

        Assert-PatchBotPowerShellVersion | Should -BeExactly "Windows PowerShell $Shown and .NET Framework 4.5 or later (release $Release) are installed."
    }

    It 'refuses a server without the PowerShell 3 engine key (2.0 or older)' {
        Mock -ModuleName PatchBot Get-ItemProperty { } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ Release = 394802 } } -ParameterFilter { $LiteralPath -eq $script:DotNetKey }

        Assert-ThrowsMessage { Assert-PatchBotPowerShellVersion } 'Windows PowerShell 2.0 or older is installed; the patch bot needs 3.0 or later. Install Windows Management Framework 3.0 or later (5.1 recommended), then retry.'
    }

    It 'refuses an engine version below 3.0, naming it' {
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ PowerShellVersion = '2.0' } } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ Release = 394802 } } -ParameterFilter { $LiteralPath -eq $script:DotNetKey }

        Assert-ThrowsMessage { Assert-PatchBotPowerShellVersion } 'Windows PowerShell 2.0 is installed; the patch bot needs 3.0 or later. Install Windows Management Framework 3.0 or later (5.1 recommended), then retry.'
    }

    It 'refuses .NET 4.0 (release <Found>)' -ForEach @(
        @{ Release = $null; Found = 'none' }
        @{ Release = 30319; Found = 'release 30319' }
    ) {
        $release = $Release
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ PowerShellVersion = '4.0' } } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { if ($null -ne $release) { [pscustomobject]@{ Release = $release } } } -ParameterFilter { $LiteralPath -eq $script:DotNetKey }

        Assert-ThrowsMessage { Assert-PatchBotPowerShellVersion } ".NET Framework 4.5 or later is not installed (found: $Found). Install .NET Framework 4.5 or later, then retry."
    }
}

Describe 'Assert-PatchBotCsServicesPresent' {
    It 'counts the Cs services' {
        Mock -ModuleName PatchBot Get-CsWindowsService { New-Service 'RTCSRV' 'Running'; New-Service 'REPLICA' 'Stopped' }

        Assert-PatchBotCsServicesPresent | Should -BeExactly '2 Lync/Skype for Business services are installed on this server.'
    }

    It 'refuses a machine without Cs services' {
        Mock -ModuleName PatchBot Get-CsWindowsService { }

        Assert-ThrowsMessage { Assert-PatchBotCsServicesPresent } 'Get-CsWindowsService lists no services: this machine runs no Lync or Skype for Business services. Install the runner on a Front End or Standard Edition server of the pool.'
    }
}

Describe 'Assert-PatchBotSqlRights' {
    BeforeEach {
        $env:USERDOMAIN = 'CONTOSO'
        $env:USERNAME = 'svc-patchbot'
        $global:LASTEXITCODE = $null
    }

    It 'passes for a sysadmin, asking sqlcmd.exe with Windows sign-in' {
        Mock -ModuleName PatchBot sqlcmd.exe { $global:LASTEXITCODE = 0; '1' }

        Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local' | Should -BeExactly 'CONTOSO\svc-patchbot is a member of the sysadmin role on sql01.contoso.local.'
        Should -Invoke -ModuleName PatchBot sqlcmd.exe -Times 1 -Exactly -ParameterFilter {
            ($args -join ' ') -eq "-S sql01.contoso.local -E -b -h -1 -W -Q SET NOCOUNT ON; SELECT IS_SRVROLEMEMBER('sysadmin')"
        }
    }

    It 'refuses an account that is not sysadmin' {
        Mock -ModuleName PatchBot sqlcmd.exe { $global:LASTEXITCODE = 0; ''; '0' }

        Assert-ThrowsMessage { Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local' } 'CONTOSO\svc-patchbot is not a member of the sysadmin role on sql01.contoso.local, so it cannot update the back-end databases. Grant it the role (or run the runner as an account that has it), then retry.'
    }

    It 'reports a failed query with sqlcmd''s last line' {
        Mock -ModuleName PatchBot sqlcmd.exe {
            $global:LASTEXITCODE = 1
            'Sqlcmd: Error: Microsoft ODBC Driver 11 for SQL Server : Login timeout expired.'
        }

        Assert-ThrowsMessage { Assert-PatchBotSqlRights -SqlServerFqdn 'sql02.contoso.local' } 'sqlcmd.exe could not query sql02.contoso.local (exit code 1): Sqlcmd: Error: Microsoft ODBC Driver 11 for SQL Server : Login timeout expired.. Check that sql02.contoso.local is the back end''s SQL Server, that it is reachable, and that CONTOSO\svc-patchbot can sign in to it.'
    }

    It 'reports a failed query without output' {
        Mock -ModuleName PatchBot sqlcmd.exe { $global:LASTEXITCODE = 1 }

        Assert-ThrowsMessage { Assert-PatchBotSqlRights -SqlServerFqdn 'sql02.contoso.local' } 'sqlcmd.exe could not query sql02.contoso.local (exit code 1). Check that sql02.contoso.local is the back end''s SQL Server, that it is reachable, and that CONTOSO\svc-patchbot can sign in to it.'
    }

    It 'refuses an answer it does not understand (<Answer>)' -ForEach @(
        @{ Answer = 'NULL' }
        @{ Answer = '' }
    ) {
        $answer = $Answer
        Mock -ModuleName PatchBot sqlcmd.exe { $global:LASTEXITCODE = 0; $answer }

        Assert-ThrowsMessage { Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local' } "sqlcmd.exe gave no answer this module understands about the sysadmin role on sql01.contoso.local ('$Answer'). Run the query by hand to see why."
    }

    It 'says when sqlcmd.exe is not installed' {
        Mock -ModuleName PatchBot sqlcmd.exe { throw (New-Object System.Management.Automation.CommandNotFoundException -ArgumentList 'sqlcmd.exe') }

        Assert-ThrowsMessage { Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local' } 'sqlcmd.exe was not found on this server, so the rights on sql01.contoso.local could not be checked. Run the runner on a Front End of the pool, where SQL Server''s command-line tools are installed.'
    }

    It 'refuses a server name that is not an FQDN before running anything: <Name>' -ForEach @(
        @{ Name = 'sql01' }
        @{ Name = 'sql01.contoso.local; Remove-Item C:\' }
        @{ Name = '-E.contoso.local' }
    ) {
        Mock -ModuleName PatchBot sqlcmd.exe { '1' }

        { Assert-PatchBotSqlRights -SqlServerFqdn $Name } | Should -Throw -ExpectedMessage "Cannot validate argument on parameter 'SqlServerFqdn'*"
        Should -Invoke -ModuleName PatchBot sqlcmd.exe -Times 0
    }
}

Describe 'Assert-PatchBotDatabaseMirror' {
    BeforeEach {
        Mock -ModuleName PatchBot Get-CsComputer { [pscustomobject]@{ Identity = 'fe01.contoso.local'; Pool = 'Pool01.contoso.local'; Fqdn = 'fe01.contoso.local' } }
        Mock -ModuleName PatchBot Invoke-CsDatabaseFailover { }
    }

    It 'says so when the databases are not mirrored, reading this server''s own pool' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' $script:Off $script:Off; New-MirrorRow 'rtcab' $script:Off $script:Off }

        $out = @(Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local')

        $out | Should -BeExactly @(
            "rtcxds: primary $script:Off, mirror $script:Off",
            "rtcab: primary $script:Off, mirror $script:Off",
            'The back-end databases of the pool pool01.contoso.local are not mirrored.'
        )
        Should -Invoke -ModuleName PatchBot Get-CsComputer -Times 1 -Exactly -ParameterFilter { $Local }
        Should -Invoke -ModuleName PatchBot Get-CsDatabaseMirrorState -Times 1 -Exactly -ParameterFilter { $PoolFqdn -eq 'pool01.contoso.local' }
    }

    It 'reads the pool it is given without asking for its own' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' $script:Off $script:Off }

        Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -PoolFqdn 'pool02.contoso.local' | Select-Object -Last 1 | Should -BeExactly 'The back-end databases of the pool pool02.contoso.local are not mirrored.'
        Should -Invoke -ModuleName PatchBot Get-CsComputer -Times 0
    }

    It 'fails when the plan expected mirroring and there is none' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' $script:Off $script:Off }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored } 'The back-end databases of the pool pool01.contoso.local are not mirrored, but the plan expected mirroring. Ask for the update again so that it is planned with what the server reports now.'
    }

    It 'fails when the databases are mirrored and the plan did not know, without failing anything over' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' 'Mirror' 'Principal' }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' } 'The back-end databases of the pool pool01.contoso.local are mirrored, but the plan did not know. Ask for the update again so that it is planned with what the server reports now.'
        Should -Invoke -ModuleName PatchBot Invoke-CsDatabaseFailover -Times 0
    }

    It 'passes a mirrored pool whose primary is already principal, without a failover' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' 'Principal' 'Mirror'; New-MirrorRow 'lcscdr' $script:Off $script:Off }

        $out = @(Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored)

        $out[-1] | Should -BeExactly 'Every mirrored database of the pool pool01.contoso.local is principal on sql01.contoso.local.'
        Should -Invoke -ModuleName PatchBot Invoke-CsDatabaseFailover -Times 0
    }

    It 'fails the stores whose databases are principal on the mirror back to the primary, once per store, and checks again' {
        $script:FailedOver = @()
        Mock -ModuleName PatchBot Invoke-CsDatabaseFailover { $script:FailedOver += $DatabaseType }
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState {
            $back = $script:FailedOver -contains 'User'
            if ($back) { New-MirrorRow 'rtcxds' 'Principal' 'Mirror'; New-MirrorRow 'rtcshared' 'Principal' 'Mirror' }
            else { New-MirrorRow 'rtcxds' 'Mirror' 'Principal'; New-MirrorRow 'rtcshared' 'Mirror' 'Principal' }
            if ($script:FailedOver -contains 'Application') { New-MirrorRow 'rtcab' 'Principal' 'Mirror' } else { New-MirrorRow 'rtcab' 'Mirror' 'Principal' }
        }

        $out = @(Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -PoolFqdn 'pool01.contoso.local' -Mirrored)

        $out | Should -BeExactly @(
            'rtcxds: primary Mirror, mirror Principal',
            'rtcshared: primary Mirror, mirror Principal',
            'rtcab: primary Mirror, mirror Principal',
            'Failed the User databases over to sql01.contoso.local (Invoke-CsDatabaseFailover -NewPrincipal Primary).',
            'Failed the Application databases over to sql01.contoso.local (Invoke-CsDatabaseFailover -NewPrincipal Primary).',
            'Every mirrored database of the pool pool01.contoso.local is principal on sql01.contoso.local.'
        )
        Should -Invoke -ModuleName PatchBot Invoke-CsDatabaseFailover -Times 2 -Exactly -ParameterFilter { $PoolFqdn -eq 'pool01.contoso.local' -and $NewPrincipal -eq 'Primary' }
    }

    It 'fails before downtime when the failover fails' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' 'Mirror' 'Principal' }
        Mock -ModuleName PatchBot Invoke-CsDatabaseFailover { throw 'The mirror database is not synchronized.' }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored } 'Failing the User databases of the pool pool01.contoso.local back to sql01.contoso.local failed: The mirror database is not synchronized. Nothing has been stopped; make sql01.contoso.local the principal by hand, then retry.'
    }

    It 'fails when a database is still principal on the mirror after the failover' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' 'Mirror' 'Principal' }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored } 'Still principal on the mirror after the failover: rtcxds. Nothing has been stopped; make sql01.contoso.local the principal by hand, then retry.'
    }

    It 'does not guess the store of a database it does not know' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'mgc' 'Mirror' 'Principal' }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored } 'The database mgc is principal on the mirror and this module does not know its store type. Make sql01.contoso.local its principal with Invoke-CsDatabaseFailover, then retry.'
        Should -Invoke -ModuleName PatchBot Invoke-CsDatabaseFailover -Times 0
    }

    It 'fails when no databases are listed' {
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' } 'Get-CsDatabaseMirrorState listed no databases for the pool pool01.contoso.local, so mirroring could not be checked. Check the pool''s name and that this account may read the topology.'
    }

    It 'fails when this server is in no pool' {
        Mock -ModuleName PatchBot Get-CsComputer { }

        Assert-ThrowsMessage { Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' } 'Get-CsComputer -Local names no pool for this server, so its pool is unknown. Run the runner on a Front End or Standard Edition server that is in the published topology.'
    }
}

Describe 'Stop-PatchBotCsServices' {
    BeforeEach {
        $script:Status = 'Running'
        Mock -ModuleName PatchBot Get-CsWindowsService { New-Service 'RTCSRV' $script:Status; New-Service 'REPLICA' 'Stopped' }
        Mock -ModuleName PatchBot Stop-CsWindowsService { $script:Status = 'Stopped' }
        Mock -ModuleName PatchBot Start-Sleep { }
    }

    It 'stops the Cs services' {
        @(Stop-PatchBotCsServices) | Should -BeExactly @('The Cs services are stopped.')
        Should -Invoke -ModuleName PatchBot Stop-CsWindowsService -Times 1 -Exactly -ParameterFilter { -not $Graceful -and -not $NoWait }
    }

    It 'says so and stops nothing when they are already stopped (Retry after a restart)' {
        $script:Status = 'Stopped'

        @(Stop-PatchBotCsServices) | Should -BeExactly @('The Cs services are already stopped.')
        Should -Invoke -ModuleName PatchBot Stop-CsWindowsService -Times 0
    }

    It 'fails naming what did not stop' {
        Mock -ModuleName PatchBot Stop-CsWindowsService { $script:Status = 'StopPending' }

        Assert-ThrowsMessage { Stop-PatchBotCsServices } 'Still not stopped: RTCSRV (StopPending). Stop them with Stop-CsWindowsService, or see the Lync Server event log for why they do not stop.'
    }

    It 'drains gracefully within the limit' {
        $script:Polls = 0
        Mock -ModuleName PatchBot Stop-CsWindowsService { } -ParameterFilter { $Graceful -and $NoWait }
        Mock -ModuleName PatchBot Start-Sleep { $script:Polls++; if ($script:Polls -eq 3) { $script:Status = 'Stopped' } }

        @(Stop-PatchBotCsServices -Graceful -TimeoutMinutes 5) | Should -BeExactly @('The Cs services drained and stopped within 5 minutes.', 'The Cs services are stopped.')
        Should -Invoke -ModuleName PatchBot Start-Sleep -Times 3 -Exactly -ParameterFilter { $Seconds -eq 15 }
        Should -Invoke -ModuleName PatchBot Stop-CsWindowsService -Times 1 -Exactly
    }

    It 'waits for nothing when the drain ends at once' {
        Mock -ModuleName PatchBot Stop-CsWindowsService { $script:Status = 'Stopped' } -ParameterFilter { $Graceful -and $NoWait }

        @(Stop-PatchBotCsServices -Graceful -TimeoutMinutes 30) | Should -BeExactly @('The Cs services drained and stopped within 30 minutes.', 'The Cs services are stopped.')
        Should -Invoke -ModuleName PatchBot Start-Sleep -Times 0
    }

    It 'stops what is left once the drain time is up, polling every 15 seconds until then' {
        Mock -ModuleName PatchBot Stop-CsWindowsService { } -ParameterFilter { $Graceful -and $NoWait }

        @(Stop-PatchBotCsServices -Graceful -TimeoutMinutes 2) | Should -BeExactly @('Still draining after 2 minutes: RTCSRV; stopping them now.', 'The Cs services are stopped.')
        Should -Invoke -ModuleName PatchBot Start-Sleep -Times 8 -Exactly
        Should -Invoke -ModuleName PatchBot Stop-CsWindowsService -Times 1 -Exactly -ParameterFilter { -not $Graceful }
    }

    It 'refuses a drain limit out of range' {
        { Stop-PatchBotCsServices -Graceful -TimeoutMinutes 0 } | Should -Throw -ExpectedMessage "Cannot validate argument on parameter 'TimeoutMinutes'*"
        Should -Invoke -ModuleName PatchBot Stop-CsWindowsService -Times 0
    }
}

Describe 'Stop-PatchBotIis and Start-PatchBotIis' {
    BeforeEach {
        $global:LASTEXITCODE = 7
    }

    It 'Stop-PatchBotIis stops a running W3SVC with net stop w3svc /y' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Running' } }
        Mock -ModuleName PatchBot net {
            $global:LASTEXITCODE = 0
            'The World Wide Web Publishing Service service is stopping.'
            'The World Wide Web Publishing Service service was stopped successfully.'
        }

        @(Stop-PatchBotIis) | Should -BeExactly @(
            'The World Wide Web Publishing Service service is stopping.',
            'The World Wide Web Publishing Service service was stopped successfully.',
            'W3SVC (IIS) is stopped.'
        )
        Should -Invoke -ModuleName PatchBot Get-Service -Times 1 -Exactly -ParameterFilter { $Name -eq 'W3SVC' }
        Should -Invoke -ModuleName PatchBot net -Times 1 -Exactly -ParameterFilter { ($args -join ' ') -eq 'stop w3svc /y' }
    }

    It 'Stop-PatchBotIis does not run net stop on a stopped W3SVC (Stop-CsWindowsService may have stopped it)' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Stopped' } }
        Mock -ModuleName PatchBot net { $global:LASTEXITCODE = 2 }

        @(Stop-PatchBotIis) | Should -BeExactly @('W3SVC (IIS) is already stopped.')
        Should -Invoke -ModuleName PatchBot net -Times 0
        $global:LASTEXITCODE | Should -Be 0
    }

    It 'Stop-PatchBotIis fails with net''s exit code' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Running' } }
        Mock -ModuleName PatchBot net { $global:LASTEXITCODE = 2 }

        Assert-ThrowsMessage { Stop-PatchBotIis } 'net stop w3svc failed with exit code 2 (see its message above). Stop the World Wide Web Publishing Service by hand, then retry.'
    }

    It 'Start-PatchBotIis starts a stopped W3SVC with net start w3svc' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Stopped' } }
        Mock -ModuleName PatchBot net { $global:LASTEXITCODE = 0; 'The World Wide Web Publishing Service service was started successfully.' }

        @(Start-PatchBotIis) | Should -BeExactly @('The World Wide Web Publishing Service service was started successfully.', 'W3SVC (IIS) is running.')
        Should -Invoke -ModuleName PatchBot net -Times 1 -Exactly -ParameterFilter { ($args -join ' ') -eq 'start w3svc' }
    }

    It 'Start-PatchBotIis does not run net start on a running W3SVC (it came back with Windows after a restart)' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Running' } }
        Mock -ModuleName PatchBot net { $global:LASTEXITCODE = 2 }

        @(Start-PatchBotIis) | Should -BeExactly @('W3SVC (IIS) is already running.')
        Should -Invoke -ModuleName PatchBot net -Times 0
        $global:LASTEXITCODE | Should -Be 0
    }

    It 'Start-PatchBotIis fails with net''s exit code' {
        Mock -ModuleName PatchBot Get-Service { [pscustomobject]@{ Name = 'W3SVC'; Status = 'Stopped' } }
        Mock -ModuleName PatchBot net { $global:LASTEXITCODE = 2 }

        Assert-ThrowsMessage { Start-PatchBotIis } 'net start w3svc failed with exit code 2 (see its message above). Start the World Wide Web Publishing Service by hand, then retry.'
    }
}

Describe 'Update-PatchBotDatabase' {
    BeforeAll {
        # The report goes to the account's temp folder, named by $env:TEMP as on Windows.
        $script:SavedTemp = $env:TEMP
        $env:TEMP = 'TestDrive:'
    }

    AfterAll {
        $env:TEMP = $script:SavedTemp
    }

    BeforeEach {
        $script:Updated = $false
        Mock -ModuleName PatchBot Test-CsDatabase {
            if ($script:Updated) { New-DatabaseRow 'rtcxds' '15.13.1' '15.13.1'; New-DatabaseRow 'rtcab' '62.42.2' '62.42.2' }
            else { New-DatabaseRow 'rtcxds' '15.13.0' '15.13.1'; New-DatabaseRow 'rtcab' '62.42.2' '62.42.2' }
        }
        Mock -ModuleName PatchBot Install-CsDatabase {
            $script:Updated = $true
            [System.IO.File]::WriteAllText((Resolve-Path -LiteralPath TestDrive:).ProviderPath + '/' + (Split-Path -Leaf $Report), '<html><body><h1>Install-CsDatabase</h1><p>rtcxds: updated &amp; verified</p><p>Completed successfully.</p></body></html>')
            'Updating databases ...'
        }
    }

    It 'standard: tests, updates the local databases with a report, shows its summary, tests again' {
        $out = @(Update-PatchBotDatabase -Variant standard)

        $report = ($out | Where-Object { $_ -like '--- report *' }) -replace '^--- report (.*) ---$', '$1'
        $out | Should -BeExactly @(
            'rtcxds: installed 15.13.0, expected 15.13.1',
            'rtcab: installed 62.42.2, expected 62.42.2',
            'Test-CsDatabase: update needed.',
            'Updating databases ...',
            "--- report $report ---",
            'Install-CsDatabase',
            'rtcxds: updated & verified',
            'Completed successfully.',
            'rtcxds: installed 15.13.1, expected 15.13.1',
            'rtcab: installed 62.42.2, expected 62.42.2',
            'Test-CsDatabase: done.'
        )
        $report | Should -Match '^TestDrive:\\PatchBot-Install-CsDatabase-\d{8}-\d{6}\.html$'
        Should -Invoke -ModuleName PatchBot Test-CsDatabase -Times 2 -Exactly -ParameterFilter { $LocalService -and -not $ConfiguredDatabases }
        Should -Invoke -ModuleName PatchBot Install-CsDatabase -Times 1 -Exactly -ParameterFilter { $Update -and $LocalDatabases -and -not $ConfiguredDatabases -and $Report -eq $report }
        Remove-Item -LiteralPath $report
    }

    It '<Variant>: the configured databases on the SQL Server' -ForEach @(
        @{ Variant = 'enterprise'; Exclude = $false }
        @{ Variant = 'enterprise-collocated'; Exclude = $true }
    ) {
        $exclude = $Exclude
        $out = @(Update-PatchBotDatabase -Variant $Variant -SqlServerFqdn 'sql01.contoso.local')

        $out[-1] | Should -BeExactly 'Test-CsDatabase: done.'
        Should -Invoke -ModuleName PatchBot Test-CsDatabase -Times 2 -Exactly -ParameterFilter { $ConfiguredDatabases -and $SqlServerFqdn -eq 'sql01.contoso.local' -and -not $LocalService }
        Should -Invoke -ModuleName PatchBot Install-CsDatabase -Times 1 -Exactly -ParameterFilter {
            $Update -and $ConfiguredDatabases -and $SqlServerFqdn -eq 'sql01.contoso.local' -and -not $LocalDatabases -and [bool] $ExcludeCollocatedStores -eq $exclude
        }
    }

    It 'puts the report into .NET''s temp folder where TEMP is not set' {
        $env:TEMP = ''
        try {
            Mock -ModuleName PatchBot Install-CsDatabase { $script:Updated = $true }
            $expected = [System.IO.Path]::GetTempPath().TrimEnd('\', '/') + '\PatchBot-Install-CsDatabase-*.html'

            Update-PatchBotDatabase -Variant standard | Select-Object -Last 1 | Should -BeExactly 'Test-CsDatabase: done.'
            Should -Invoke -ModuleName PatchBot Install-CsDatabase -Times 1 -Exactly -ParameterFilter { $Report -like $expected }
        }
        finally {
            $env:TEMP = 'TestDrive:'
        }
    }

    It 'says "up to date" first when nothing is behind, and still runs the update' {
        $script:Updated = $true
        Mock -ModuleName PatchBot Install-CsDatabase { }

        $out = @(Update-PatchBotDatabase -Variant standard)

        $out[2] | Should -BeExactly 'Test-CsDatabase: up to date.'
        $out[-1] | Should -BeExactly 'Test-CsDatabase: done.'
        Should -Invoke -ModuleName PatchBot Install-CsDatabase -Times 1 -Exactly
    }

    It 'fails with the cmdlet''s reason and the report''s summary when Install-CsDatabase fails' {
        Mock -ModuleName PatchBot Install-CsDatabase {
            [System.IO.File]::WriteAllText((Resolve-Path -LiteralPath TestDrive:).ProviderPath + '/' + (Split-Path -Leaf $Report), '<p>Error: the database rtcxds is mirrored.</p>')
            throw 'Install-CsDatabase: the database is mirrored.'
        }

        $run = Invoke-Step { Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local' }

        $report = ($run.Output | Where-Object { $_ -like '--- report *' }) -replace '^--- report (.*) ---$', '$1'
        $run.Output[-1] | Should -BeExactly 'Error: the database rtcxds is mirrored.'
        $run.Thrown | Should -BeExactly "Install-CsDatabase -Update failed: Install-CsDatabase: the database is mirrored. See the report $report, fix the cause, then retry."
        Should -Invoke -ModuleName PatchBot Test-CsDatabase -Times 1 -Exactly
    }

    It 'fails when a database is still behind afterwards, naming it' {
        Mock -ModuleName PatchBot Install-CsDatabase { }

        $run = Invoke-Step { Update-PatchBotDatabase -Variant standard }

        $run.Thrown | Should -BeLike 'Test-CsDatabase after the update: still behind: rtcxds. See the report TestDrive:\PatchBot-Install-CsDatabase-*.html, then run the database update again.'
    }

    It 'enterprise-collocated: the collocated Archiving and Monitoring databases it excluded do not count as behind' {
        Mock -ModuleName PatchBot Test-CsDatabase {
            New-DatabaseRow 'rtcxds' '15.13.1' '15.13.1'
            New-DatabaseRow 'LcsLog' '8.0.0' '8.0.1'
            New-DatabaseRow 'lcscdr' '39.82.0' '39.82.1'
        }
        Mock -ModuleName PatchBot Install-CsDatabase { }

        $run = Invoke-Step { Update-PatchBotDatabase -Variant enterprise-collocated -SqlServerFqdn 'sql01.contoso.local' }

        $run.Thrown | Should -BeNullOrEmpty
        $run.Output[-1] | Should -BeExactly 'Test-CsDatabase: done.'
        $plain = Invoke-Step { Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local' }
        $plain.Thrown | Should -BeLike 'Test-CsDatabase after the update: still behind: LcsLog, lcscdr. See the report *'
    }

    It 'refuses a Standard Edition update with -SqlServerFqdn, and an Enterprise one without it' {
        Assert-ThrowsMessage { Update-PatchBotDatabase -Variant standard -SqlServerFqdn 'sql01.contoso.local' } 'A Standard Edition server updates its local databases; -SqlServerFqdn does not apply. Leave it out.'
        Assert-ThrowsMessage { Update-PatchBotDatabase -Variant enterprise-collocated } "The enterprise-collocated variant updates the back end's databases on its SQL Server; give -SqlServerFqdn."
        Should -Invoke -ModuleName PatchBot Test-CsDatabase -Times 0
    }
}

Describe 'Get-PatchBotServerFacts' {
    BeforeAll {
        # The staging drive D: is a folder here, as the lab maps C:.
        New-PSDrive -Name D -PSProvider FileSystem -Root $TestDrive -Scope Global | Out-Null
    }

    AfterAll {
        Remove-PSDrive -Name D -Scope Global
    }

    BeforeEach {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            [pscustomobject]@{ ComponentName = 'Skype for Business Server 2019, Core Components'; Version = '7.0.2046.520' }
            [pscustomobject]@{ ComponentName = 'Skype for Business Server 2019, Front End Server'; Version = '7.0.2046.530' }
        }
        Mock -ModuleName PatchBot Get-CsComputer { [pscustomobject]@{ Identity = 'be01.contoso.local'; Pool = 'be01-pool.contoso.local' } }
        Mock -ModuleName PatchBot Get-CsPool { [pscustomobject]@{ Identity = 'be01-pool.contoso.local'; Services = @('Registrar:be01-pool.contoso.local', 'UserDatabase:SQL01.contoso.local') } } -ParameterFilter { $Identity -eq 'be01-pool.contoso.local' }
        Mock -ModuleName PatchBot Get-CsPool { [pscustomobject]@{ Identity = 'sql01.contoso.local'; Services = @('UserDatabase:sql01.contoso.local', 'MonitoringDatabase:sql01.contoso.local') } } -ParameterFilter { $Identity -eq 'sql01.contoso.local' }
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' 'Principal' 'Mirror' }
        Mock -ModuleName PatchBot Get-CsWindowsService { New-Service 'RTCSRV' 'Running'; New-Service 'REPLICA' 'Running'; New-Service 'RTCCLSAGT' 'Running' }
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ PowerShellVersion = '4.0' } } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { }
        Mock -ModuleName PatchBot Test-Path { $false }
        Mock -ModuleName PatchBot Get-CimInstance { [pscustomobject]@{ DeviceID = 'D:'; FreeSpace = [uint64] (45.69 * 1073741824) } }
    }

    It 'writes one line of JSON with every fact of an Enterprise Front End' {
        $out = @(Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'D:\PatchBot\staging')

        $out.Count | Should -Be 1
        $out[0] | Should -BeExactly ('{"productName":"SkypeForBusiness","installedVersion":"7.0.2046.520","components":[' +
            '{"name":"Skype for Business Server 2019, Core Components","version":"7.0.2046.520"},' +
            '{"name":"Skype for Business Server 2019, Front End Server","version":"7.0.2046.530"}],' +
            '"edition":"enterprise","poolFqdn":"be01-pool.contoso.local","sqlServerFqdn":"sql01.contoso.local","collocatedStores":true,' +
            '"mirrored":true,"pendingRestart":false,"freeSpaceGb":45.6,"powershellVersion":"4.0","csServiceCount":3}')
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 1 -Exactly -ParameterFilter { $Filter -eq "DeviceID='D:'" }
    }

    It 'reads a Standard Edition server as its own pool with local databases' {
        Mock -ModuleName PatchBot Get-CsComputer { [pscustomobject]@{ Identity = 'se01.contoso.local'; Pool = 'se01.contoso.local' } }
        Mock -ModuleName PatchBot Get-CsPool { [pscustomobject]@{ Identity = 'se01.contoso.local'; Services = @('UserDatabase:se01.contoso.local') } } -ParameterFilter { $Identity -eq 'se01.contoso.local' }
        Mock -ModuleName PatchBot Test-Path { $true }

        $facts = Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'D:\PatchBot\staging' | ConvertFrom-Json

        $facts.edition | Should -BeExactly 'standard'
        $facts.poolFqdn | Should -BeExactly 'se01.contoso.local'
        $facts.sqlServerFqdn | Should -BeNullOrEmpty
        $facts.collocatedStores | Should -BeFalse
        $facts.mirrored | Should -BeFalse
        $facts.pendingRestart | Should -BeTrue
        Should -Invoke -ModuleName PatchBot Get-CsDatabaseMirrorState -Times 0
    }

    It 'reports a fact it cannot read as null and still reports the others' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion { }
        Mock -ModuleName PatchBot Get-CsComputer { throw 'Cannot reach the Central Management Store.' }
        Mock -ModuleName PatchBot Get-CsWindowsService { throw 'Get-CsWindowsService failed.' }
        Mock -ModuleName PatchBot Get-ItemProperty { } -ParameterFilter { $LiteralPath -eq $script:EngineKey }
        Mock -ModuleName PatchBot Get-ItemProperty { throw 'registry unreadable' } -ParameterFilter { $LiteralPath -like 'HKLM:\SYSTEM\*' }
        Mock -ModuleName PatchBot Get-CimInstance { }

        $out = @(Get-PatchBotServerFacts -Product Lync2013 -StagingPath 'C:\PatchBot\staging')

        $out | Should -BeExactly @('{"productName":"Lync2013","installedVersion":null,"components":[],"edition":null,"poolFqdn":null,"sqlServerFqdn":null,"collocatedStores":null,"mirrored":null,"pendingRestart":null,"freeSpaceGb":null,"powershellVersion":null,"csServiceCount":null}')
    }

    It 'reports an engine version it cannot parse as null' {
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ PowerShellVersion = 'unknown' } } -ParameterFilter { $LiteralPath -eq $script:EngineKey }

        $facts = Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'D:\PatchBot\staging' | ConvertFrom-Json

        $facts.powershellVersion | Should -BeNullOrEmpty
        $facts.csServiceCount | Should -Be 3
    }

    It 'leaves the edition unknown when the pool names no user database' {
        Mock -ModuleName PatchBot Get-CsPool { [pscustomobject]@{ Identity = 'be01-pool.contoso.local'; Services = @('Registrar:be01-pool.contoso.local') } } -ParameterFilter { $Identity -eq 'be01-pool.contoso.local' }

        $facts = Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'D:\PatchBot\staging' | ConvertFrom-Json

        $facts.poolFqdn | Should -BeExactly 'be01-pool.contoso.local'
        $facts.edition | Should -BeNullOrEmpty
        $facts.mirrored | Should -BeNullOrEmpty
    }

    It 'reads an Enterprise back end without collocated stores or mirroring' {
        Mock -ModuleName PatchBot Get-CsPool { } -ParameterFilter { $Identity -eq 'sql01.contoso.local' }
        Mock -ModuleName PatchBot Get-CsDatabaseMirrorState { New-MirrorRow 'rtcxds' $script:Off $script:Off }

        $facts = Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'D:\PatchBot\staging' | ConvertFrom-Json

        $facts.collocatedStores | Should -BeFalse
        $facts.mirrored | Should -BeFalse
    }
}
