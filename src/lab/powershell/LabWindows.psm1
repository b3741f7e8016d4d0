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

# The functions live in LabWindows\*.ps1 next to this file, one file per theme: the state file,
# the step recorder, and the touchpoints (system, package and installer, services). They are
# dot-sourced into this module's scope and see its $script: variables above.
. (Join-Path $PSScriptRoot 'LabWindows\State.ps1')
. (Join-Path $PSScriptRoot 'LabWindows\Recorder.ps1')
. (Join-Path $PSScriptRoot 'LabWindows\System.ps1')
. (Join-Path $PSScriptRoot 'LabWindows\Installer.ps1')
. (Join-Path $PSScriptRoot 'LabWindows\Services.ps1')

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
