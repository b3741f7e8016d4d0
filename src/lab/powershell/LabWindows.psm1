# SIMULATOR. The lab's fake Windows layer for real PowerShell 7: not Windows, not Lync, patches
# nothing. See src/lab/README.md ("Real PowerShell engine").
#
# A lab session imports this module -Global (the runner's lab set-up line) before anything else.
# Its exported functions then shadow, for every caller including the real PatchBot.psm1, exactly
# the Windows touchpoints listed in src/runner/powershell/README.md, and answer them from the lab
# server's JSON state file. It holds none of the runner's logic: PatchBot.psm1 does every check;
# this layer only answers what Windows would answer.
#
# It also keeps the lab's books, like the TypeScript stand-in (src/lab/host/): each command the
# runner sends at the top level (the body of its one-line envelope) is recorded in state.log
# under the stand-in's key, may carry an injected fault, takes its simulated duration x timeScale
# of real time, advances the simulated clock and updates the downtime records. The hook is
# PowerShell's own: $ExecutionContext.InvokeCommand.PostCommandLookupAction, which sees every
# command the input line (origin 'Runspace') looks up, and never the commands called inside
# modules (origin 'Internal').
#
# Arguments: the state file, and the folder that plays drive C:.

param(
    [Parameter(Mandatory = $true)] [string] $StateFile,
    [Parameter(Mandatory = $true)] [string] $DriveRoot
)

Set-StrictMode -Version 3.0

$script:StateFile = $StateFile
$script:ProcessStartWall = $null
$script:SessionRecorded = $false
$script:HoldsCsModule = $false
# The step recorder's memory: a command is running under the wrapper (lookups are left alone
# meanwhile); a line's step just ended (its next lookup is the envelope's tail); the envelope line
# whose step was recorded last (one recorded step per line); the commands looked up, by name.
$script:Running = $false
$script:StepDone = $false
$script:RecordedLine = $null
$script:Targets = @{}

$script:InitEncoding = '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding -ArgumentList $false'
$script:InitPreferences = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'"
$script:RebootPendingKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
$script:MicrosoftSubject = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US'
# Topology Builder as Get-Process lists it while conditions.deploymentToolsRunning (as the stand-in has it).
$script:DeploymentTool = @{ Id = 4242; Name = 'Microsoft.Rtc.Management.TopologyBuilder' }

# ---- the state file ----

function Read-LabState {
    $json = [System.IO.File]::ReadAllText($script:StateFile)
    # -DateKind String keeps the wall-clock strings as they are (no DateTime round trip).
    $state = ConvertFrom-Json -InputObject $json -AsHashtable -DateKind String
    if ($state['version'] -ne 1) {
        throw "simulator: $($script:StateFile) is not a lab state file (version 1)"
    }
    $state
}

function Write-LabState {
    param([Parameter(Mandatory = $true)] $State)
    # Temp file + rename, so a reader never sees half a file.
    $temp = "$($script:StateFile).$PID.tmp"
    $json = ConvertTo-Json -InputObject $State -Depth 32
    [System.IO.File]::WriteAllText($temp, $json, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    [System.IO.File]::Move($temp, $script:StateFile, $true)
}

function Get-LabWallTime {
    param([datetime] $Time = [datetime]::UtcNow)
    # The format JavaScript's toISOString() writes, so the wall times compare as strings.
    $Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [Globalization.CultureInfo]::InvariantCulture)
}

function Test-LabAllRunning {
    param($State)
    foreach ($status in $State['services'].Values) {
        if ($status -ne 'Running') { return $false }
    }
    $true
}

function Test-LabProcessAlive {
    param([int] $Id)
    try {
        $process = [System.Diagnostics.Process]::GetProcessById($Id)
        -not $process.HasExited
    }
    catch {
        $false
    }
}

# ---- the step recorder ----

function Get-LabEnvelopeBody {
    # The command inside the runner's envelope (the body of its try block), with its offsets in
    # the line; $null for a line that is not an envelope.
    param([string] $Line)
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Line, [ref] $tokens, [ref] $errors)
    $try = $ast.Find({ param($node) $node -is [System.Management.Automation.Language.TryStatementAst] }, $false)
    if ($null -eq $try -or $null -eq $ast.EndBlock -or -not $ast.EndBlock.Statements.Contains($try)) {
        return $null
    }
    $body = $try.Body
    [pscustomobject]@{
        Text  = $body.Extent.Text.Substring(1, $body.Extent.Text.Length - 2).Trim()
        Start = $body.Extent.StartOffset
        End   = $body.Extent.EndOffset
        First = @($body.Statements | Select-Object -First 1)
    }
}

function Resolve-LabStepKey {
    # The stand-in's keys (src/lab/host/host.ts resolve()).
    param([string] $Text, [string] $Name, [object[]] $Arguments)
    if ($Text -ceq $script:InitEncoding) { return @('init', 'init.encoding') }
    if ($Text -ceq $script:InitPreferences) { return @('init', 'init.preferences') }
    if ($Name -eq 'Import-Module' -and $Text -match "PatchBot\.psm1'$") { return @('init', 'init.module') }
    if ($Name -eq 'net') {
        $verb = ''
        if (@($Arguments).Count -gt 0) { $verb = "$($Arguments[0])".ToLowerInvariant() }
        return @('step', "net $verb")
    }
    @('step', $Name)
}

function Get-LabClockAt {
    # The simulated clock as it stood at a wall-clock moment, from the command log: what a
    # process starting then would have read.
    param($State, [string] $Wall)
    $clock = 0
    foreach ($record in $State['log']) {
        if ([string]::CompareOrdinal($record['wallStart'], $Wall) -gt 0) { continue }
        $at = $record['simStartMs']
        if ($null -ne $record['wallEnd'] -and [string]::CompareOrdinal($record['wallEnd'], $Wall) -le 0 -and $null -ne $record['simEndMs']) {
            $at = $record['simEndMs']
        }
        if ($at -gt $clock) { $clock = $at }
    }
    $clock
}

function Start-LabRecord {
    # Records a command as started; returns what Complete-LabRecord needs.
    param([string] $Kind, [string] $Key, [string] $Text, [long] $StartedTicks, [string] $WallStart)
    $state = Read-LabState
    if (-not $script:SessionRecorded) {
        # The process is listed with its first command, like the stand-in does.
        $script:SessionRecorded = $true
        $state['sessions'] = @($state['sessions']) + @([ordered]@{
                pid           = $PID
                startedAtWall = $script:ProcessStartWall
                args          = @([Environment]::GetCommandLineArgs() | Select-Object -Skip 1)
            })
        $startDuration = 0
        if ($state['durationsMs'].Contains('session.start')) { $startDuration = $state['durationsMs']['session.start'] }
        $script:ReadyAtSimMs = (Get-LabClockAt -State $state -Wall $script:ProcessStartWall) + $startDuration
    }
    if ($state['clockSimMs'] -lt $script:ReadyAtSimMs) { $state['clockSimMs'] = $script:ReadyAtSimMs }
    $count = 1
    if ($state['callCounts'].Contains($Key)) { $count = $state['callCounts'][$Key] + 1 }
    $state['callCounts'][$Key] = $count
    $fault = $null
    foreach ($rule in $state['faults']) {
        $occurrence = $count
        if ($rule.Contains('occurrence') -and $null -ne $rule['occurrence']) { $occurrence = $rule['occurrence'] }
        if ($rule['command'] -ceq $Key -and $occurrence -eq $count) {
            $fault = $rule['fault']
            break
        }
    }
    $record = [ordered]@{
        seq        = @($state['log']).Count + 1
        pid        = $PID
        kind       = $Kind
        command    = $Text
        key        = $Key
        simStartMs = $state['clockSimMs']
        simEndMs   = $null
        wallStart  = $WallStart
        wallEnd    = $null
        result     = 'running'
        exitCode   = $null
    }
    if ($Kind -eq 'unknown') { $record['result'] = 'unknown' }
    $state['log'] = @($state['log']) + @($record)
    Write-LabState -State $state
    [pscustomobject]@{
        Seq          = $record['seq']
        Key          = $Key
        SimStartMs   = $record['simStartMs']
        StartedTicks = $StartedTicks
        WereRunning  = Test-LabAllRunning -State $state
        Fault        = $fault
    }
}

function Complete-LabRecord {
    # Lets the command's simulated duration pass, then records its end and the downtime.
    param($Step, [bool] $Ok)
    $state = Read-LabState
    $duration = 1000
    if ($state['durationsMs'].Contains($Step.Key)) { $duration = $state['durationsMs'][$Step.Key] }
    # The command takes duration x timeScale of real time in all, the books included: its end is
    # written first, then the rest of that time passes.
    $frequency = [double] [Diagnostics.Stopwatch]::Frequency
    $endTicks = $Step.StartedTicks + [long] ($duration * $state['timeScale'] / 1000.0 * $frequency)
    $remainingMs = ($endTicks - [Diagnostics.Stopwatch]::GetTimestamp()) * 1000.0 / $frequency
    $end = [datetime]::UtcNow
    if ($remainingMs -gt 0) { $end = $end.AddMilliseconds($remainingMs) }
    $record = $null
    foreach ($candidate in $state['log']) {
        if ($candidate['seq'] -eq $Step.Seq -and $candidate['pid'] -eq $PID) { $record = $candidate }
    }
    if ($null -eq $record) { throw "simulator: the record of $($Step.Key) vanished from $($script:StateFile)" }
    $state['clockSimMs'] = $Step.SimStartMs + $duration
    $record['simEndMs'] = $state['clockSimMs']
    $record['wallEnd'] = Get-LabWallTime -Time $end
    if ($record['result'] -eq 'running') {
        if ($Ok) { $record['result'] = 'ok' } else { $record['result'] = 'error' }
    }
    $record['exitCode'] = Get-Variable -Name LASTEXITCODE -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    # Downtime as the stand-in tracks it (src/lab/host/downtime.ts), on the same clock.
    $running = Test-LabAllRunning -State $state
    if ($Step.WereRunning -and -not $running) {
        $state['downtime'] = @($state['downtime']) + @([ordered]@{
                stoppedAtSimMs = $record['simStartMs']
                stoppedAtWall  = $record['wallStart']
                runningAtSimMs = $null
                runningAtWall  = $null
            })
    }
    $open = @($state['downtime'] | Select-Object -Last 1)
    if (-not $Step.WereRunning -and $running -and $open.Count -eq 1 -and $null -eq $open[0]['runningAtSimMs']) {
        $open[0]['runningAtSimMs'] = $record['simEndMs']
        $open[0]['runningAtWall'] = $record['wallEnd']
    }
    Write-LabState -State $state
    $remainingMs = ($endTicks - [Diagnostics.Stopwatch]::GetTimestamp()) * 1000.0 / $frequency
    $passed = $false
    try {
        if ($remainingMs -ge 1) { Start-Sleep -Milliseconds ([int] [math]::Floor($remainingMs)) }
        $passed = $true
    }
    finally {
        # Ctrl-C stops the pipeline (no marker; the session lives on), as the stand-in has it.
        if (-not $passed) { Set-LabRecordResult -Step $Step -Result 'interrupted' }
    }
}

function Set-LabRecordResult {
    param($Step, [string] $Result)
    $state = Read-LabState
    foreach ($record in $state['log']) {
        if ($record['seq'] -eq $Step.Seq -and $record['pid'] -eq $PID) {
            $record['result'] = $Result
            if ($Result -eq 'crash' -or $Result -eq 'interrupted') { $record['wallEnd'] = Get-LabWallTime }
            if ($Result -eq 'interrupted' -and $state['timeScale'] -gt 0) {
                # Its end was written ahead; the simulated clock goes back to when it stopped.
                $elapsedMs = ([Diagnostics.Stopwatch]::GetTimestamp() - $Step.StartedTicks) * 1000.0 / [Diagnostics.Stopwatch]::Frequency
                $record['simEndMs'] = $Step.SimStartMs + [math]::Round($elapsedMs / $state['timeScale'])
                $state['clockSimMs'] = $record['simEndMs']
            }
        }
    }
    Write-LabState -State $state
}

function Enter-LabStep {
    # Called by the step wrapper (see the end of this file) in place of a command the input line
    # looked up. Returns what the wrapper must do: run the command (Run), or fail it (Error).
    param($Invocation, [object[]] $Arguments)
    # Until Exit-LabStep, lookups are left alone (the wrapper's own call of the command too).
    $script:Running = $true
    # The command starts now, as far as the server's books go: the lab's own work counts in its time.
    $startedTicks = [Diagnostics.Stopwatch]::GetTimestamp()
    $wallStart = Get-LabWallTime
    $command = $script:Targets[$Invocation.InvocationName]
    $pass = [pscustomobject]@{ Command = $command; Step = $null; Run = $true; Error = $null }
    $line = $Invocation.Line
    if ($script:RecordedLine -ceq $line) { return $pass }
    $body = Get-LabEnvelopeBody -Line $line
    if ($null -eq $body -or $body.Text -match 'LabWindows\.psm1') {
        $script:RecordedLine = $line
        return $pass
    }
    $script:RecordedLine = $line
    $offset = $Invocation.OffsetInLine - 1
    if ($offset -lt $body.Start -or $offset -ge $body.End) {
        # The envelope's own tail: the body ran no command this layer saw (an assignment such as
        # the preferences line, or a command PowerShell did not find). Recorded now, instantly.
        $kind = 'step'
        $key = '(no command)'
        if ($body.First.Count -eq 1 -and $body.First[0] -is [System.Management.Automation.Language.PipelineAst]) {
            $element = $body.First[0].PipelineElements[0]
            if ($element -is [System.Management.Automation.Language.CommandAst]) {
                $kind = 'unknown'
                $key = $element.GetCommandName()
            }
        }
        $resolved = Resolve-LabStepKey -Text $body.Text -Name '' -Arguments @()
        if ($resolved[0] -eq 'init') { $kind = 'init'; $key = $resolved[1] }
        $step = Start-LabRecord -Kind $kind -Key $key -Text $body.Text -StartedTicks $startedTicks -WallStart $wallStart
        Complete-LabRecord -Step $step -Ok $true
        return $pass
    }
    $resolved = Resolve-LabStepKey -Text $body.Text -Name $command.Name -Arguments $Arguments
    $step = Start-LabRecord -Kind $resolved[0] -Key $resolved[1] -Text $body.Text -StartedTicks $startedTicks -WallStart $wallStart
    $pass.Step = $step
    $fault = $step.Fault
    if ($null -eq $fault) { return $pass }
    switch ($fault['kind']) {
        'hang' {
            Set-LabRecordResult -Step $step -Result 'hang'
            # Like a stuck native program: not even Ctrl-C ends it (Thread.Sleep ignores a stop).
            while ($true) { [System.Threading.Thread]::Sleep(3600000) }
        }
        'crash' {
            Set-LabRecordResult -Step $step -Result 'crash'
            if ($fault.Contains('partialOutput') -and $fault['partialOutput']) {
                [Console]::Out.WriteLine($fault['partialOutput'])
                [Console]::Out.Flush()
            }
            [Environment]::Exit([int] $fault['exitCode'])
        }
        'output' {
            $repeat = 1
            if ($fault.Contains('repeat') -and $null -ne $fault['repeat']) { $repeat = [int] $fault['repeat'] }
            for ($i = 0; $i -lt $repeat; $i++) {
                if ($fault.Contains('stdout') -and $null -ne $fault['stdout']) { [Console]::Out.WriteLine($fault['stdout']) }
                if ($fault.Contains('stderr') -and $null -ne $fault['stderr']) { [Console]::Error.WriteLine($fault['stderr']) }
            }
        }
        'error' {
            $pass.Run = $false
            $pass.Error = $fault['message']
        }
    }
    $pass
}

function Exit-LabStep {
    # $Ok: $true, $false (it threw), or $null: it neither ended nor threw (Ctrl-C stopped it).
    param($Pass, $Ok)
    $script:Running = $false
    $step = $Pass.Step
    if ($null -eq $step) { return }
    if ($null -eq $Ok) {
        Set-LabRecordResult -Step $step -Result 'interrupted'
        return
    }
    # What the line looks up next is the envelope's own tail: nothing to record there.
    $script:StepDone = $true
    $fault = $step.Fault
    if ($null -ne $fault -and $fault['kind'] -eq 'stderr') {
        [Console]::Error.WriteLine($fault['text'])
    }
    if ($null -ne $fault -and $fault['kind'] -eq 'exit') {
        $global:LASTEXITCODE = [int] $fault['code']
        if ($fault.Contains('stderr') -and $fault['stderr']) { [Console]::Error.WriteLine($fault['stderr']) }
    }
    Complete-LabRecord -Step $step -Ok $Ok
}

# ---- the touchpoints (src/runner/powershell/README.md) ----

function whoami.exe {
    # whoami /groups /fo csv /nh: the groups of the logon token.
    $state = Read-LabState
    '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"'
    '"BUILTIN\Users","Alias","S-1-5-32-545","Mandatory group, Enabled by default, Enabled group"'
    '"CONTOSO\Domain Users","Group","S-1-5-21-1004336348-1177238915-682003330-513","Mandatory group, Enabled by default, Enabled group"'
    if ($state['conditions']['csAdministrator']) {
        '"CONTOSO\CsAdministrator","Group","S-1-5-21-1004336348-1177238915-682003330-1117","Mandatory group, Enabled by default, Enabled group"'
    }
    $global:LASTEXITCODE = 0
}

function Find-LabRegistryPath {
    # The HKLM:\ path(s) among a call's arguments; none for anything else.
    param([object[]] $Arguments)
    foreach ($argument in $Arguments) {
        foreach ($item in @($argument)) {
            if ($item -is [string] -and $item -like 'HKLM:\*') { $item }
        }
    }
}

function Test-Path {
    $registry = @(Find-LabRegistryPath -Arguments $args)
    if ($registry.Count -eq 0) { return Microsoft.PowerShell.Management\Test-Path @args }
    $state = Read-LabState
    $registry[0] -eq $script:RebootPendingKey -and [bool] $state['conditions']['pendingReboot']
}

function Get-ItemProperty {
    $registry = @(Find-LabRegistryPath -Arguments $args)
    if ($registry.Count -eq 0) { return Microsoft.PowerShell.Management\Get-ItemProperty @args }
    $state = Read-LabState
    foreach ($path in $registry) {
        if ($path -eq 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager') {
            [pscustomobject]@{ BootExecute = @('autocheck autochk *'); PSPath = $path }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*') {
            # Installed programs: the product's components, each at its own patch version.
            foreach ($component in @($state['components'])) {
                [pscustomobject]@{ DisplayName = $component; DisplayVersion = (Get-LabComponentVersion -State $state -Component $component); Publisher = 'Microsoft Corporation' }
            }
            [pscustomobject]@{ DisplayName = 'Microsoft SQL Server 2014 Express LocalDB'; DisplayVersion = '12.0.2000.8'; Publisher = 'Microsoft Corporation' }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine') {
            # Written by PowerShell 3.0 and later; 2.0 has only the PowerShell\1 key.
            $version = [string] $state['conditions']['powershellVersion']
            if ([version] $version -ge [version] '3.0') {
                [pscustomobject]@{ PowerShellVersion = $version; PSPath = $path }
            }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full') {
            # .NET 4.0 has the key without Release; 4.5 and later add it (528049: 4.8).
            if ($state['conditions']['dotNet45']) {
                [pscustomobject]@{ Release = 528049; Version = '4.8.03761'; PSPath = $path }
            }
            else {
                [pscustomobject]@{ Version = '4.0.30319'; PSPath = $path }
            }
        }
        # Anything else (Updates\UpdateExeVolatile, the 32-bit view): not there on this server.
    }
}

function Get-LabComponentVersion {
    # A component's own version (componentVersions), installedVersion where the state has none.
    param($State, [string] $Component)
    if ($State.Contains('componentVersions') -and $null -ne $State['componentVersions'] -and $State['componentVersions'].Contains($Component)) {
        return [string] $State['componentVersions'][$Component]
    }
    [string] $State['installedVersion']
}

function Set-LabComponentVersions {
    # The installer's effect: every component but the lagging one at $Version; installedVersion the lowest.
    param($State, [string] $Version)
    if (-not $State.Contains('componentVersions') -or $null -eq $State['componentVersions']) {
        $State['componentVersions'] = [ordered]@{}
    }
    $lagging = $State['conditions']['laggingComponent']
    $versions = @()
    foreach ($component in @($State['components'])) {
        if ($component -ne $lagging) {
            $State['componentVersions'][$component] = $Version
        }
        $versions += [version] (Get-LabComponentVersion -State $State -Component $component)
    }
    if ($versions.Count -gt 0) {
        $State['installedVersion'] = ($versions | Sort-Object | Select-Object -First 1).ToString()
    }
}

function Get-CimInstance {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $ClassName, [string] $Filter)
    if ($ClassName -ne 'Win32_LogicalDisk') {
        throw "simulator: Get-CimInstance knows only Win32_LogicalDisk, not $ClassName."
    }
    $state = Read-LabState
    if ($Filter -eq "DeviceID='C:'") {
        [pscustomobject]@{
            DeviceID  = 'C:'
            DriveType = 3
            FreeSpace = [uint64] ([double] $state['conditions']['freeSpaceGb'] * 1073741824)
            Size      = [uint64] 500 * 1073741824
        }
    }
}

function Invoke-WebRequest {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [uri] $Uri,
        [string] $OutFile,
        [switch] $UseBasicParsing
    )
    $state = Read-LabState
    $source = $Uri.OriginalString
    if (-not $state['packageSources'].Contains($source)) {
        # Windows PowerShell's words (the servers run 5.1), as the stand-in has them.
        throw 'The remote server returned an error: (404) Not Found.'
    }
    $content = $state['packageSources'][$source]
    if ($state['conditions']['corruptDownload']) { $content = "$($content)CORRUPTED BYTES`n" }
    $target = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
    [System.IO.File]::WriteAllText($target, $content, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
}

function Read-LabPackageFields {
    # The key=value lines of the simulated package (src/lab/package.ts).
    param([string] $Path)
    $fields = @{}
    $text = Microsoft.PowerShell.Management\Get-Content -LiteralPath $Path -Raw
    foreach ($line in ($text -split "`n")) {
        $eq = $line.IndexOf('=')
        if ($eq -gt 0) { $fields[$line.Substring(0, $eq)] = $line.Substring($eq + 1) }
    }
    $fields
}

function Get-AuthenticodeSignature {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $LiteralPath)
    $fields = Read-LabPackageFields -Path $LiteralPath
    if ($fields['signer'] -eq 'Microsoft Corporation') {
        return [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = $script:MicrosoftSubject } }
    }
    [pscustomobject]@{ Status = 'NotSigned'; SignerCertificate = $null }
}

function New-LabProcessInfo {
    param([int] $Id, [string] $Name, $StartTime, [bool] $HoldsModule)
    $modules = @([pscustomobject]@{ ModuleName = 'System.Management.Automation.dll' })
    if ($HoldsModule) { $modules += [pscustomobject]@{ ModuleName = 'Microsoft.Rtc.Management.dll' } }
    [pscustomobject]@{ Id = $Id; ProcessName = $Name; StartTime = $StartTime; Modules = $modules }
}

function Get-Process {
    # Management shells on this server: this one, the lab's live shells that imported the
    # Lync/SfB module, and the simulated foreign ones (conditions.foreignModuleHolders).
    $names = @()
    for ($i = 0; $i -lt $args.Count; $i++) {
        if ("$($args[$i])" -eq '-Name' -and $i + 1 -lt $args.Count) { $names = @($args[$i + 1]) }
    }
    if (@($names | Where-Object { $_ -in @('Microsoft.Rtc.Management.TopologyBuilder', 'Deploy') }).Count -gt 0) {
        # Topology Builder / the Deployment Wizard: open while conditions.deploymentToolsRunning.
        $state = Read-LabState
        if ($state['conditions']['deploymentToolsRunning'] -and $names -contains $script:DeploymentTool.Name) {
            [pscustomobject]@{ Id = $script:DeploymentTool.Id; ProcessName = $script:DeploymentTool.Name; StartTime = $null; Modules = @() }
        }
        return
    }
    if (@($names | Where-Object { $_ -in @('powershell', 'powershell_ise', 'pwsh') }).Count -eq 0) {
        return Microsoft.PowerShell.Management\Get-Process @args
    }
    $state = Read-LabState
    New-LabProcessInfo -Id $PID -Name 'powershell' -StartTime ([System.Diagnostics.Process]::GetCurrentProcess().StartTime) -HoldsModule $script:HoldsCsModule
    foreach ($id in @($state['moduleHolders'])) {
        if ($id -ne $PID -and (Test-LabProcessAlive -Id $id)) {
            New-LabProcessInfo -Id $id -Name 'powershell' -StartTime ([System.Diagnostics.Process]::GetProcessById($id).StartTime) -HoldsModule $true
        }
    }
    foreach ($id in @($state['conditions']['foreignModuleHolders'])) {
        New-LabProcessInfo -Id $id -Name 'powershell' -StartTime $null -HoldsModule $true
    }
}

function Start-Process {
    # The update installer stand-in: "installs" the version its package names.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $FilePath,
        [string[]] $ArgumentList,
        [switch] $Wait,
        [switch] $PassThru
    )
    $path = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($FilePath)
    if (-not [System.IO.File]::Exists($path)) {
        # Anything but a simulated package is started for real.
        return Microsoft.PowerShell.Management\Start-Process @PSBoundParameters
    }
    $fields = Read-LabPackageFields -Path $path
    if (-not $fields.ContainsKey('installer')) { return Microsoft.PowerShell.Management\Start-Process @PSBoundParameters }
    $state = Read-LabState
    $exitCode = [int] $state['conditions']['installerExitCode']
    if ($fields['product'] -ne $state['product'] -or $fields['installer'] -ne [System.IO.Path]::GetFileName($path)) {
        # Not an update for this server.
        $exitCode = 1603
    }
    elseif ($script:HoldsCsModule) {
        # The installer's own shell holds the management module: its files stay in use. (Other
        # shells make Install-PatchBotUpdate refuse before it starts the installer.)
        $exitCode = 1603
    }
    if (($exitCode -eq 0 -or $exitCode -eq 3010 -or $exitCode -eq 1641) -and $fields.ContainsKey('version')) {
        Set-LabComponentVersions -State $state -Version $fields['version']
        if ($exitCode -ne 0 -or $state['conditions']['installerLeavesRestartPending']) {
            $state['conditions']['pendingReboot'] = $true
        }
    }
    Write-LabState -State $state
    # Its log file, into its own folder: <base name>-<yyyyMMdd-HHmmss>.log (UTC).
    $stamp = [datetime]::UtcNow.ToString('yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
    $log = Join-Path ([System.IO.Path]::GetDirectoryName($path)) "$([System.IO.Path]::GetFileNameWithoutExtension($path))-$stamp.log"
    [System.IO.File]::WriteAllText($log, "SIMULATED installer log (patch bot lab)`nExit code: $exitCode`n", (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    if ($PassThru) { [pscustomobject]@{ ExitCode = $exitCode; HasExited = $true } }
}

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

# ---- for the fake management modules (modules/*/) ----

function Register-LabModuleHolder {
    # Called when this process imports the fake Lync/SkypeForBusiness module.
    $script:HoldsCsModule = $true
    $state = Read-LabState
    $live = @(@($state['moduleHolders']) | Where-Object { $_ -ne $PID -and (Test-LabProcessAlive -Id $_) })
    $state['moduleHolders'] = @($live) + @($PID)
    Write-LabState -State $state
}

# ---- session set-up ----

$script:ProcessStartWall = Get-LabWallTime -Time ([System.Diagnostics.Process]::GetCurrentProcess().StartTime)
$script:ReadyAtSimMs = 0

# The account and system drive Windows would report.
$env:USERDOMAIN = 'CONTOSO'
$env:USERNAME = 'svc-patchbot'
$env:SystemDrive = 'C:'
$env:TEMP = 'C:\Windows\Temp'

# Drive C: is a folder of the lab server, so the staging paths are real files.
# (The session state API rather than New-PSDrive: it keeps the cmdlet module's loading, which the
# module's first file command pays, out of the lab's set-up.)
[void] [System.IO.Directory]::CreateDirectory($DriveRoot)
[void] [System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($DriveRoot, 'Windows', 'Temp'))
$drives = $ExecutionContext.SessionState.Drive
if (@($drives.GetAllAtScope('Global') | Where-Object { $_.Name -eq 'C' }).Count -eq 0) {
    $fileSystem = $ExecutionContext.SessionState.Provider.GetOne('FileSystem')
    $drive = New-Object System.Management.Automation.PSDriveInfo -ArgumentList 'C', $fileSystem, $DriveRoot, 'SIMULATOR: the lab server''s drive C:', $null
    [void] $drives.New($drive, 'Global')
}

# Warm up: the layer's books cost a few hundred milliseconds of first-use work in a new process
# (PowerShell compiles each function on its first call), which belongs to this set-up, not to the
# first command recorded. So one command is recorded here on a scratch copy of the state.
$realStateFile = $script:StateFile
$script:StateFile = "$realStateFile.$PID.warm-up"
try {
    [System.IO.File]::Copy($realStateFile, $script:StateFile, $true)
    $scratch = Read-LabState
    $scratch['timeScale'] = 0
    Write-LabState -State $scratch
    $null = Get-LabEnvelopeBody -Line 'try { Get-Date } catch { }'
    $warmUp = Start-LabRecord -Kind 'init' -Key 'warm-up' -Text 'warm-up' -StartedTicks ([Diagnostics.Stopwatch]::GetTimestamp()) -WallStart (Get-LabWallTime)
    Complete-LabRecord -Step $warmUp -Ok $true
}
finally {
    [System.IO.File]::Delete($script:StateFile)
    $script:StateFile = $realStateFile
    $script:SessionRecorded = $false
    $script:ReadyAtSimMs = 0
}

# The step wrapper: runs in place of a command the input line looked up. Created from text so it
# is bound to no module and runs the command in the caller's (global) session state, as if
# unwrapped: Import-Module, variables and $LASTEXITCODE behave as without the lab.
$script:StepWrapper = [scriptblock]::Create(@'
$__labPass = Enter-LabStep -Invocation $MyInvocation -Arguments $args
$__labOk = $null
try {
    if ($null -ne $__labPass.Error) { Write-Error -Message $__labPass.Error }
    elseif ($MyInvocation.ExpectingInput) { $input | & $__labPass.Command @args }
    else { & $__labPass.Command @args }
    $__labOk = $true
}
catch {
    $__labOk = $false
    throw
}
finally {
    Exit-LabStep -Pass $__labPass -Ok $__labOk
}
'@)

$ExecutionContext.InvokeCommand.PostCommandLookupAction = {
    param([string] $Name, [System.Management.Automation.CommandLookupEventArgs] $EventArgs)
    if ($EventArgs.CommandOrigin -ne 'Runspace' -or $script:Running) { return }
    if ($script:StepDone) {
        $script:StepDone = $false
        if ($Name -eq 'ConvertTo-Json') { return }
    }
    $command = $EventArgs.Command
    if ($null -eq $command -or $command.Name -in @('Out-Default', 'Enter-LabStep', 'Exit-LabStep')) { return }
    # Once replaced, the engine looks the command up once more, now as the wrapper itself.
    if ($command -is [System.Management.Automation.FunctionInfo] -and $command.ScriptBlock.ToString() -ceq $script:StepWrapper.ToString()) { return }
    # Keyed by the name as typed, which the wrapper sees as its InvocationName (a pipeline looks
    # up all its commands before the first one runs).
    $script:Targets[$Name] = $command
    $EventArgs.CommandScriptBlock = $script:StepWrapper
}

Export-ModuleMember -Function @(
    'Enter-LabStep', 'Exit-LabStep', 'Read-LabState', 'Write-LabState', 'Register-LabModuleHolder',
    'whoami.exe', 'Test-Path', 'Get-ItemProperty', 'Get-CimInstance', 'Invoke-WebRequest',
    'Get-AuthenticodeSignature', 'Get-Process', 'Start-Process', 'Get-Service', 'sqlcmd.exe', 'net',
    'Get-LabComponentVersion'
)
