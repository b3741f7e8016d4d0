#Requires -Version 3.0
<#
.SYNOPSIS
    Installs, upgrades or removes the patch bot runner service on a Lync Server 2013 or
    Skype for Business Server Back End / Standard Edition server.

.DESCRIPTION
    The runner is a Node.js program (dist\runner\main.js). Node is a console program, not a
    Windows service, so the runner is hosted by NSSM (the Non-Sucking Service Manager,
    https://nssm.cc), a prerequisite: put nssm.exe (2.24 or later, 64-bit) on PATH or pass
    -NssmPath. NSSM runs node.exe as the service account, restarts it if it exits, rotates its
    log, asks it to stop with Ctrl+C (the runner then flushes its results), and is told here
    never to kill the process tree, so stopping the service can never kill an update installer
    half-way through. (sc.exe create cannot host node.exe directly: it does not answer the
    service control manager; a wrapper would be a new dependency.)

    Layout under -InstallPath:
        app\            package.json, dist\, node_modules\ copied from -SourcePath
        secret\         runner.secret, readable only by the service account and Administrators
        data\           the runner's journal and full step output (PATCHBOT_JOURNAL_DIR)
        logs\           runner.log (JSON lines, rotated at 10 MB)

    Run it again with new values or a new -SourcePath to change settings or upgrade; it refuses
    while a run is in progress unless -Force is given. The secret is kept when -RunnerSecret is
    not given and a secret file exists.

.PARAMETER SourcePath
    Folder holding the built runner: package.json, dist\ (npm run build) and node_modules\
    (npm ci --omit=dev).

.PARAMETER ServiceAccount
    DOMAIN\user the service runs as. It must be a member of CsAdministrator and a local
    Administrator (it stops services and installs updates). A group managed service account
    (DOMAIN\name$) needs no password.

.PARAMETER RunnerSecret
    The secret `npm run register-runner` printed. Prompted for when omitted. Never pass it as
    plain text; it is written only to the secret file.

.EXAMPLE
    .\Install-PatchRunner.ps1 -SourcePath D:\patchbot-runner -ServiceAccount CONTOSO\svc-patchbot `
        -BotUrl https://patchbot.contoso.com -RunnerId runner-backend01 -Product sfb2019 `
        -Edition standard -PackageSources \\fileserver01\patches\

.EXAMPLE
    .\Install-PatchRunner.ps1 -Uninstall
#>
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string] $SourcePath,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string] $ServiceAccount,

    [Parameter(ParameterSetName = 'Install')]
    [System.Security.SecureString] $ServiceAccountPassword,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [ValidatePattern('^https://')]
    [string] $BotUrl,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')]
    [string] $RunnerId,

    [Parameter(ParameterSetName = 'Install')]
    [System.Security.SecureString] $RunnerSecret,

    [Parameter(ParameterSetName = 'Install')]
    [string] $Server = $env:COMPUTERNAME,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [ValidateSet('lync2013', 'sfb2015', 'sfb2019', 'sfbse')]
    [string] $Product,

    [Parameter(ParameterSetName = 'Install')]
    [ValidateSet('', 'standard', 'enterprise')]
    [string] $Edition = '',

    # Comma-separated https:// or UNC prefixes the bot's catalog packages may come from.
    [Parameter(ParameterSetName = 'Install')]
    [string] $PackageSources = '',

    # Optional local override: all four, and the runner installs only this package.
    [Parameter(ParameterSetName = 'Install')]
    [string] $PackageSource = '',

    [Parameter(ParameterSetName = 'Install')]
    [string] $PackageFile = '',

    [Parameter(ParameterSetName = 'Install')]
    [ValidatePattern('^[0-9A-Fa-f]{64}$')]
    [string] $PackageSha256 = '',

    [Parameter(ParameterSetName = 'Install')]
    [ValidatePattern('^\d+(\.\d+){1,3}$')]
    [string] $PackageVersion = '',

    [Parameter(ParameterSetName = 'Install')]
    [string] $StagingDir = 'C:\PatchBot\staging',

    [Parameter(ParameterSetName = 'Install')]
    [ValidateRange(1, 1000)]
    [int] $MinFreeGb = 10,

    [Parameter(ParameterSetName = 'Install')]
    [ValidateSet('fatal', 'error', 'warn', 'info', 'debug', 'trace')]
    [string] $LogLevel = 'info',

    [Parameter(ParameterSetName = 'Install')]
    [string] $NodePath = 'node.exe',

    [Parameter(ParameterSetName = 'Uninstall', Mandatory = $true)]
    [switch] $Uninstall,

    # No spaces: NSSM passes the path of main.js on node's command line.
    [ValidatePattern('^[A-Za-z]:\\[A-Za-z0-9._\\-]+$')]
    [string] $InstallPath = 'C:\PatchBot',
    [string] $ServiceName = 'PatchBotRunner',
    [string] $NssmPath = 'nssm.exe',

    # Go ahead although a run is in progress or results are not yet delivered.
    [switch] $Force
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$AdministratorsSid = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')

# An explicit check, not '#Requires -RunAsAdministrator': that line needs PowerShell 4.0, and
# Lync Server 2013 / Skype for Business Server 2015 servers may have only 3.0.
$currentPrincipal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $currentPrincipal.IsInRole($AdministratorsSid)) {
    throw 'Run this script in an elevated Windows PowerShell window (Run as administrator).'
}
$SecretFile = Join-Path $InstallPath 'secret\runner.secret'
$JournalDir = Join-Path $InstallPath 'data'
$LogDir = Join-Path $InstallPath 'logs'
$AppDir = Join-Path $InstallPath 'app'
$ExitConfigError = 78

function Write-Step {
    param([string] $Text)
    Write-Host "==> $Text" -ForegroundColor Cyan
}

function Resolve-Program {
    param([string] $Name, [string] $Hint)
    $command = Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($null -eq $command) {
        throw "$Name was not found. $Hint"
    }
    # .Path, not .Source: Source arrived with PowerShell 5.0.
    return $command.Path
}

function Invoke-Nssm {
    param([string[]] $Arguments)
    # Windows PowerShell turns a native program's stderr into errors, which 'Stop' would throw on.
    $ErrorActionPreference = 'Continue'
    $output = & $script:Nssm @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "nssm $($Arguments[0]) $($Arguments[1]) failed (exit code $LASTEXITCODE): $output"
    }
}

function Test-ServiceExists {
    return $null -ne (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)
}

# Read-only look at the runner's journal: is a run open, are results waiting for the bot?
function Get-JournalState {
    $file = Join-Path $JournalDir 'journal.json'
    if (-not (Test-Path -LiteralPath $file)) {
        return @{ OpenRuns = 0; Unsent = 0 }
    }
    $journal = Get-Content -LiteralPath $file -Raw | ConvertFrom-Json
    $open = @($journal.runs | Where-Object { $null -eq $_.end })
    return @{ OpenRuns = $open.Count; Unsent = @($journal.outbox).Count }
}

function Assert-SafeToStop {
    param([string] $Action)
    $state = Get-JournalState
    if ($state.OpenRuns -gt 0 -and -not $Force) {
        throw "A run is in progress on this server; $Action now would interrupt it. Wait until it ends (status in Teams), or use -Force."
    }
    if ($state.Unsent -gt 0 -and -not $Force) {
        throw "$($state.Unsent) step result(s) have not reached the bot yet. Let the runner deliver them first, or use -Force."
    }
}

function Stop-RunnerService {
    $ErrorActionPreference = 'Continue'
    if (Test-ServiceExists) {
        Write-Step "Stopping service $ServiceName"
        & $script:Nssm stop $ServiceName 2>&1 | Out-Null
        (Get-Service -Name $ServiceName).WaitForStatus('Stopped', [TimeSpan]::FromSeconds(60))
    }
}

# RFC 4515: these characters must be escaped inside an LDAP filter value.
function ConvertTo-LdapFilterValue {
    param([string] $Value)
    return $Value.Replace('\', '\5c').Replace('*', '\2a').Replace('(', '\28').Replace(')', '\29')
}

# $true, $false, or $null when it cannot be told (no domain controller reachable).
function Test-CsAdministratorMember {
    param([string] $Account)
    $sam = ($Account -split '\\')[-1]
    if ((whoami.exe).Trim() -ieq $Account) {
        # The column headers are localized; the group name is not.
        return $null -ne ((whoami.exe /groups) -match '\\CSAdministrator\b' | Select-Object -First 1)
    }
    try {
        $searcher = New-Object System.DirectoryServices.DirectorySearcher
        $searcher.Filter = '(&(objectClass=group)(sAMAccountName=CSAdministrator))'
        $group = $searcher.FindOne()
        if ($null -eq $group) {
            return $null
        }
        $groupDn = ConvertTo-LdapFilterValue ([string] $group.Properties['distinguishedname'][0])
        # 1.2.840.113556.1.4.1941 follows nested group membership.
        $searcher.Filter = "(&(sAMAccountName=$(ConvertTo-LdapFilterValue $sam))(memberOf:1.2.840.113556.1.4.1941:=$groupDn))"
        return $null -ne $searcher.FindOne()
    }
    catch {
        return $null
    }
}

function Test-LocalAdministrator {
    param([string] $Account)
    try {
        # The WinNT provider works on PowerShell 3.0 (Get-LocalGroupMember needs 5.1); the group's
        # name is looked up from its SID because it is translated on non-English Windows.
        $groupName = $AdministratorsSid.Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
        $group = [ADSI]"WinNT://./$groupName,group"
        $members = @($group.psbase.Invoke('Members')) | ForEach-Object {
            $path = $_.GetType().InvokeMember('ADsPath', 'GetProperty', $null, $_, $null)
            # WinNT://CONTOSO/svc-patchbot (domain) or WinNT://WORKGROUP/SERVER01/admin (local)
            # -> CONTOSO\svc-patchbot or SERVER01\admin
            $parts = ($path -replace '^WinNT://', '').Split('/')
            $parts[$parts.Length - 2] + '\' + $parts[$parts.Length - 1]
        }
        return $members -contains $Account
    }
    catch {
        return $null
    }
}

function Assert-ServiceAccount {
    param([string] $Account)
    try {
        $sid = (New-Object System.Security.Principal.NTAccount($Account)).Translate([System.Security.Principal.SecurityIdentifier])
    }
    catch {
        throw "The service account $Account does not exist (write it as DOMAIN\name)."
    }
    $cs = Test-CsAdministratorMember -Account $Account
    if ($cs -eq $false) {
        Write-Warning "$Account is not a member of CsAdministrator. Every run will fail its first pre-check until it is."
    }
    elseif ($null -eq $cs) {
        Write-Warning "Could not check whether $Account is a member of CsAdministrator; make sure it is."
    }
    if ((Test-LocalAdministrator -Account $Account) -ne $true) {
        Write-Warning "$Account is not directly a member of the local Administrators group; it needs to be (directly or through a group) to stop services and install updates."
    }
    return $sid
}

function ConvertTo-PlainText {
    param([System.Security.SecureString] $Secure)
    $pointer = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($Secure)
    try {
        return [Runtime.InteropServices.Marshal]::PtrToStringBSTR($pointer)
    }
    finally {
        [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($pointer)
    }
}

# Inheritance off, owner Administrators, FullControl for Administrators, $Rights for $Sid.
function New-RestrictedAcl {
    param([System.Security.Principal.SecurityIdentifier] $Sid, [string] $Rights, [switch] $Folder)
    if ($Folder) {
        $acl = New-Object System.Security.AccessControl.DirectorySecurity
        $inheritance = 'ContainerInherit, ObjectInherit'
    }
    else {
        $acl = New-Object System.Security.AccessControl.FileSecurity
        $inheritance = 'None'
    }
    $acl.SetAccessRuleProtection($true, $false)
    $acl.SetOwner($AdministratorsSid)
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($AdministratorsSid, 'FullControl', $inheritance, 'None', 'Allow')))
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($Sid, $Rights, $inheritance, 'None', 'Allow')))
    return $acl
}

# The folder is locked down before the file exists, so the secret never sits under a wider ACL.
# Also run on upgrades that keep the secret: the service account may have changed.
function Set-SecretAcl {
    param([System.Security.Principal.SecurityIdentifier] $Sid)
    $folder = Split-Path -Parent $SecretFile
    New-Item -ItemType Directory -Force -Path $folder | Out-Null
    Set-Acl -LiteralPath $folder -AclObject (New-RestrictedAcl -Sid $Sid -Rights 'Read' -Folder)
    if (-not (Test-Path -LiteralPath $SecretFile)) {
        New-Item -ItemType File -Path $SecretFile | Out-Null
    }
    Set-Acl -LiteralPath $SecretFile -AclObject (New-RestrictedAcl -Sid $Sid -Rights 'Read')
}

function Write-SecretFile {
    param([System.Security.Principal.SecurityIdentifier] $Sid, [System.Security.SecureString] $Secret)
    Set-SecretAcl -Sid $Sid
    $plain = ConvertTo-PlainText -Secure $Secret
    try {
        [System.IO.File]::WriteAllText($SecretFile, $plain, (New-Object System.Text.UTF8Encoding($false)))
    }
    finally {
        $plain = $null
    }
}

function Grant-FolderAccess {
    param([string] $Path, [System.Security.Principal.SecurityIdentifier] $Sid)
    New-Item -ItemType Directory -Force -Path $Path | Out-Null
    $acl = Get-Acl -LiteralPath $Path
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($Sid, 'Modify', 'ContainerInherit, ObjectInherit', 'None', 'Allow')))
    Set-Acl -LiteralPath $Path -AclObject $acl
}

# Win32_Service.Change sets the password without putting it on any command line, but unlike the
# Services console it does not grant "Log on as a service"; secedit does that here.
function Grant-ServiceLogonRight {
    param([System.Security.Principal.SecurityIdentifier] $Sid)
    $work = Join-Path $env:TEMP ('patchbot-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    try {
        $exported = Join-Path $work 'current.inf'
        secedit.exe /export /cfg $exported /areas USER_RIGHTS | Out-Null
        $line = Get-Content -LiteralPath $exported | Where-Object { $_ -like 'SeServiceLogonRight*' } | Select-Object -First 1
        if ($null -ne $line -and $line -match [regex]::Escape("*$($Sid.Value)")) {
            return
        }
        $holders = if ($null -eq $line) { "*$($Sid.Value)" } else { "$(($line -split '=', 2)[1].Trim()),*$($Sid.Value)" }
        $inf = Join-Path $work 'grant.inf'
        $content = @('[Unicode]', 'Unicode=yes', '[Version]', 'signature="$CHICAGO$"', 'Revision=1', '[Privilege Rights]', "SeServiceLogonRight = $holders")
        Set-Content -LiteralPath $inf -Value $content -Encoding Unicode
        secedit.exe /configure /db (Join-Path $work 'grant.sdb') /cfg $inf /areas USER_RIGHTS | Out-Null
        if ($LASTEXITCODE -ne 0) {
            Write-Warning "Could not grant 'Log on as a service' (secedit exit code $LASTEXITCODE); grant it by Group Policy."
        }
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Set-ServiceAccount {
    param([string] $Account, [System.Security.Principal.SecurityIdentifier] $Sid)
    if ($Account.EndsWith('$')) {
        Invoke-Nssm -Arguments @('set', $ServiceName, 'ObjectName', $Account)
        return
    }
    $password = $ServiceAccountPassword
    if ($null -eq $password) {
        $password = Read-Host -AsSecureString -Prompt "Password of $Account"
    }
    Grant-ServiceLogonRight -Sid $Sid
    $service = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'"
    $plain = ConvertTo-PlainText -Secure $password
    try {
        $result = Invoke-CimMethod -InputObject $service -MethodName Change -Arguments @{ StartName = $Account; StartPassword = $plain }
    }
    finally {
        $plain = $null
    }
    if ($result.ReturnValue -ne 0) {
        throw "Setting the service account failed (Win32_Service.Change returned $($result.ReturnValue))."
    }
}

function Copy-RunnerFiles {
    foreach ($required in @('package.json', 'dist\runner\main.js', 'node_modules')) {
        if (-not (Test-Path -LiteralPath (Join-Path $SourcePath $required))) {
            throw "$SourcePath has no $required. Build the runner first: npm ci; npm run build; npm prune --omit=dev."
        }
    }
    foreach ($folder in @('dist', 'node_modules')) {
        robocopy.exe (Join-Path $SourcePath $folder) (Join-Path $AppDir $folder) /MIR /NFL /NDL /NJH /NJS /NP | Out-Null
        if ($LASTEXITCODE -ge 8) {
            throw "Copying $folder failed (robocopy exit code $LASTEXITCODE)."
        }
    }
    Copy-Item -LiteralPath (Join-Path $SourcePath 'package.json') -Destination $AppDir -Force
    # tsc copies no PowerShell files (npm run build does): make sure the runner's PowerShell module,
    # PatchBot.psm1 and the folder PatchBot of the parts it dot-sources, is next to the compiled code.
    $module = Join-Path $AppDir 'dist\runner\powershell\PatchBot.psm1'
    $moduleParts = Join-Path $AppDir 'dist\runner\powershell\PatchBot'
    $moduleSource = Join-Path $SourcePath 'src\runner\powershell\PatchBot.psm1'
    $modulePartsSource = Join-Path $SourcePath 'src\runner\powershell\PatchBot'
    if (-not (Test-Path -LiteralPath $module) -or -not (Test-Path -LiteralPath $moduleParts)) {
        if (-not (Test-Path -LiteralPath $moduleSource)) {
            throw "PatchBot.psm1 is missing from $SourcePath (expected dist\runner\powershell or src\runner\powershell)."
        }
        if (-not (Test-Path -LiteralPath $modulePartsSource)) {
            throw "The folder PatchBot (the parts of PatchBot.psm1) is missing from $SourcePath (expected in dist\runner\powershell or src\runner\powershell)."
        }
        New-Item -ItemType Directory -Force -Path $moduleParts | Out-Null
        Copy-Item -LiteralPath $moduleSource -Destination $module -Force
        Get-ChildItem -LiteralPath $modulePartsSource -Filter '*.ps1' | ForEach-Object {
            Copy-Item -LiteralPath $_.FullName -Destination (Join-Path $moduleParts $_.Name) -Force
        }
    }
}

function Install-RunnerService {
    param([string] $Node, [System.Security.Principal.SecurityIdentifier] $Sid)
    $main = Join-Path $AppDir 'dist\runner\main.js'
    if (Test-ServiceExists) {
        Invoke-Nssm -Arguments @('set', $ServiceName, 'Application', $Node)
        Invoke-Nssm -Arguments @('set', $ServiceName, 'AppParameters', $main)
    }
    else {
        Invoke-Nssm -Arguments @('install', $ServiceName, $Node, $main)
    }
    $powershell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $environment = @(
        "PATCHBOT_BOT_URL=$BotUrl",
        "PATCHBOT_RUNNER_ID=$RunnerId",
        "PATCHBOT_RUNNER_SECRET_FILE=$SecretFile",
        "PATCHBOT_SERVER=$Server",
        "PATCHBOT_PRODUCT=$Product",
        "PATCHBOT_EDITION=$Edition",
        "PATCHBOT_PACKAGE_SOURCES=$PackageSources",
        "PATCHBOT_PACKAGE_SOURCE=$PackageSource",
        "PATCHBOT_PACKAGE_FILE=$PackageFile",
        "PATCHBOT_PACKAGE_SHA256=$PackageSha256",
        "PATCHBOT_PACKAGE_VERSION=$PackageVersion",
        "PATCHBOT_STAGING_DIR=$StagingDir",
        "PATCHBOT_MIN_FREE_GB=$MinFreeGb",
        "PATCHBOT_POWERSHELL=$powershell",
        "PATCHBOT_JOURNAL_DIR=$JournalDir",
        "LOG_LEVEL=$LogLevel"
    )
    foreach ($entry in $environment) {
        if ($entry.Contains('"')) {
            throw "A value may not contain a double quote: $($entry.Split('=')[0])"
        }
    }
    $log = Join-Path $LogDir 'runner.log'
    $settings = @(
        @('DisplayName', 'Patch bot runner'),
        @('Description', 'Takes patch jobs for this Lync/Skype for Business server from the patch bot and runs them.'),
        @('AppDirectory', $AppDir),
        @('Start', 'SERVICE_DELAYED_AUTO_START'),
        @('AppStdout', $log),
        @('AppStderr', $log),
        @('AppRotateFiles', '1'),
        @('AppRotateOnline', '1'),
        @('AppRotateBytes', '10485760'),
        # Ctrl+C first, and time to flush results; never end the process tree (an installer may run).
        @('AppStopMethodConsole', '15000'),
        @('AppKillProcessTree', '0'),
        @('AppRestartDelay', '10000')
    )
    foreach ($setting in $settings) {
        Invoke-Nssm -Arguments (@('set', $ServiceName) + $setting)
    }
    Invoke-Nssm -Arguments (@('set', $ServiceName, 'AppEnvironmentExtra') + $environment)
    Invoke-Nssm -Arguments @('set', $ServiceName, 'AppExit', 'Default', 'Restart')
    # A configuration error does not get better by restarting: stop and leave it to an admin.
    Invoke-Nssm -Arguments @('set', $ServiceName, 'AppExit', "$ExitConfigError", 'Exit')
    Set-ServiceAccount -Account $ServiceAccount -Sid $Sid
}

function Start-RunnerService {
    Write-Step "Starting service $ServiceName"
    $ErrorActionPreference = 'Continue'
    # The status below says whether it worked; the log tail says why not.
    & $script:Nssm start $ServiceName 2>&1 | Out-Null
    Start-Sleep -Seconds 5
    $service = Get-Service -Name $ServiceName
    if ($service.Status -ne 'Running') {
        $tail = ''
        $log = Join-Path $LogDir 'runner.log'
        if (Test-Path -LiteralPath $log) {
            $tail = (Get-Content -LiteralPath $log -Tail 20) -join [Environment]::NewLine
        }
        throw "The service did not stay running (status $($service.Status)). Last log lines:$([Environment]::NewLine)$tail"
    }
    Write-Host "The runner is running. In Teams, 'runners' should show $Server online within a few seconds."
}

function Install-PatchRunner {
    if ($PackageSources -eq '' -and $PackageSource -eq '') {
        throw 'Give -PackageSources (where the bot''s packages may come from), or a local package with -PackageSource, -PackageFile, -PackageSha256 and -PackageVersion.'
    }
    $script:Nssm = Resolve-Program -Name $NssmPath -Hint 'Install NSSM 2.24 or later (https://nssm.cc) and put nssm.exe on PATH, or pass -NssmPath.'
    $node = Resolve-Program -Name $NodePath -Hint 'Install Node.js 20 LTS or later, or pass -NodePath.'
    $version = (& $node --version).Trim()
    if ($version -notmatch '^v(\d+)\.' -or [int] $Matches[1] -lt 20) {
        throw "Node.js 20 or later is required; $node is $version."
    }
    if ([Environment]::GetEnvironmentVariable('NODE_POWERSHELL', 'Machine')) {
        throw 'NODE_POWERSHELL is set machine-wide; the runner refuses to start with it. Remove it first.'
    }
    $sid = Assert-ServiceAccount -Account $ServiceAccount
    $secret = $RunnerSecret
    if ($null -eq $secret -and -not (Test-Path -LiteralPath $SecretFile)) {
        $secret = Read-Host -AsSecureString -Prompt 'Runner secret (printed once by register-runner)'
    }
    if (Test-ServiceExists) {
        Assert-SafeToStop -Action 'upgrading'
        Stop-RunnerService
    }
    Write-Step "Copying the runner to $AppDir"
    Copy-RunnerFiles
    Grant-FolderAccess -Path $JournalDir -Sid $sid
    Grant-FolderAccess -Path $LogDir -Sid $sid
    if ($null -ne $secret) {
        Write-Step "Writing the secret to $SecretFile (service account and Administrators only)"
        Write-SecretFile -Sid $sid -Secret $secret
    }
    else {
        Write-Step "Keeping the secret in $SecretFile"
        Set-SecretAcl -Sid $sid
    }
    Write-Step "Configuring service $ServiceName (NSSM)"
    Install-RunnerService -Node $node -Sid $sid
    Start-RunnerService
}

function Uninstall-PatchRunner {
    $script:Nssm = Resolve-Program -Name $NssmPath -Hint 'NSSM is needed to remove the service; pass -NssmPath.'
    Assert-SafeToStop -Action 'uninstalling'
    if (Test-ServiceExists) {
        Stop-RunnerService
        Write-Step "Removing service $ServiceName"
        Invoke-Nssm -Arguments @('remove', $ServiceName, 'confirm')
    }
    foreach ($path in @($SecretFile, (Split-Path -Parent $SecretFile), $AppDir, $JournalDir, $LogDir)) {
        if (Test-Path -LiteralPath $path) {
            Remove-Item -LiteralPath $path -Recurse -Force
        }
    }
    $staging = Join-Path $InstallPath 'staging'
    if (Test-Path -LiteralPath $staging) {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
    if ((Test-Path -LiteralPath $InstallPath) -and -not (Get-ChildItem -LiteralPath $InstallPath -Force)) {
        Remove-Item -LiteralPath $InstallPath -Force
    }
    Write-Host "Removed. Delete the runner on the bot as well, so its secret stops working."
}

if ($Uninstall) {
    Uninstall-PatchRunner
}
else {
    Install-PatchRunner
}
