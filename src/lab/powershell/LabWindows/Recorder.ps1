# SIMULATOR. LabWindows\Recorder.ps1: the step recorder: each top-level command of the runner's envelope recorded in
# state.log under the stand-in's key, with its fault, duration, simulated clock and downtime.
# Part of LabWindows.psm1, which dot-sources it into the module's scope (its parameters, state
# variables, session set-up and Export-ModuleMember list are there). See src/lab/README.md.

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
