# SIMULATOR. LabWindows\Services.ps1: touchpoints of services and SQL: Get-Service, sqlcmd.exe and net stop/start w3svc.
# Part of LabWindows.psm1, which dot-sources it into the module's scope (its parameters, state
# variables, session set-up and Export-ModuleMember list are there). See src/lab/README.md.

function Get-Service {
    # W3SVC as the lab state has it; anything else is not a service of this server.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $Name)
    if ($Name -ne 'W3SVC') {
        throw "simulator: Get-Service knows only W3SVC, not $Name."
    }
    $state = Read-LabState
    [pscustomobject]@{ Name = 'W3SVC'; DisplayName = 'World Wide Web Publishing Service'; Status = $state['w3svc'] }
}

function sqlcmd.exe {
    # sqlcmd -Q "... IS_SRVROLEMEMBER('sysadmin')": 1 or 0 from conditions.sqlSysadmin, exit code 0.
    $state = Read-LabState
    if ($state['conditions']['sqlSysadmin']) { '1' } else { '0' }
    $global:LASTEXITCODE = 0
}

function Write-LabNetError {
    # How net.exe fails: its message, a blank line and the HELPMSG number on stderr, exit code 2.
    param([string] $Message, [int] $HelpMsg)
    [Console]::Error.WriteLine($Message)
    [Console]::Error.WriteLine('')
    [Console]::Error.WriteLine("More help is available by typing NET HELPMSG $HelpMsg.")
    $global:LASTEXITCODE = 2
}

function net {
    # net.exe for w3svc: its texts, its exit codes, its errors on stderr.
    $words = @($args | ForEach-Object { "$_".ToLowerInvariant() })
    $service = 'The World Wide Web Publishing Service service'
    $verb = ''
    $name = ''
    if ($words.Count -ge 1) { $verb = $words[0] }
    if ($words.Count -ge 2) { $name = $words[1] }
    $extra = @($words | Select-Object -Skip 2 | Where-Object { $_ -ne '/y' })
    if (($verb -ne 'stop' -and $verb -ne 'start') -or $extra.Count -gt 0) {
        [Console]::Error.WriteLine('The syntax of this command is:')
        [Console]::Error.WriteLine('')
        [Console]::Error.WriteLine('NET [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP | HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START | STATISTICS | STOP | TIME | USE | USER | VIEW ]')
        $global:LASTEXITCODE = 1
        return
    }
    if ($name -ne 'w3svc') {
        Write-LabNetError -Message 'The service name is invalid.' -HelpMsg 2185
        return
    }
    $state = Read-LabState
    if ($verb -eq 'stop') {
        if ($state['w3svc'] -eq 'Stopped') {
            Write-LabNetError -Message "$service is not started." -HelpMsg 3521
            return
        }
        $state['w3svc'] = 'Stopped'
        Write-LabState -State $state
        "$service is stopping."
        "$service was stopped successfully."
        ''
    }
    else {
        if ($state['w3svc'] -eq 'Running') {
            Write-LabNetError -Message 'The requested service has already been started.' -HelpMsg 2182
            return
        }
        $state['w3svc'] = 'Running'
        Write-LabState -State $state
        "$service is starting."
        "$service was started successfully."
        ''
    }
    $global:LASTEXITCODE = 0
}
