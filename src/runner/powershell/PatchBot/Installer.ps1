# PatchBot\Installer.ps1: running the update installer: open shells and tools first, its exit code, the
# pending-restart flags and the tail of its log files.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Get-DeploymentTool {
    # Topology Builder and the Deployment Wizard hold the management files the installer replaces.
    $names = @('Microsoft.Rtc.Management.TopologyBuilder', 'Deploy')
    foreach ($process in @(Get-Process -Name $names -ErrorAction SilentlyContinue)) {
        "$($process.Id) ($($process.ProcessName))"
    }
}

function Get-LogFile {
    # Log files in a folder: *.log, and *_log.txt as Windows Installer patch logs are often named.
    param([string] $Folder)
    @(Get-ChildItem -LiteralPath $Folder -ErrorAction SilentlyContinue | Where-Object {
            -not $_.PSIsContainer -and ($_.Name -like '*.log' -or $_.Name -like '*_log.txt')
        } | Sort-Object -Property Name)
}

function Get-NewLogFile {
    # The installer's log files in its folder that are new or changed since $Before (name -> write time).
    param([string] $Folder, [hashtable] $Before)
    foreach ($file in @(Get-LogFile -Folder $Folder)) {
        if (-not $Before.ContainsKey($file.Name) -or $Before[$file.Name] -ne $file.LastWriteTimeUtc) {
            $file
        }
    }
}

function Get-LogSnapshot {
    param([string] $Folder)
    $snapshot = @{}
    foreach ($file in @(Get-LogFile -Folder $Folder)) {
        $snapshot[$file.Name] = $file.LastWriteTimeUtc
    }
    $snapshot
}

function Write-LogTail {
    # The last lines of each log file, each under its name in the installer's folder as given.
    param([object[]] $Files, [string] $Prefix, [int] $Lines = 20)
    foreach ($file in $Files) {
        Write-Output "--- last lines of $Prefix$($file.Name) ---"
        @(Get-Content -LiteralPath $file.FullName -Tail $Lines -ErrorAction SilentlyContinue) | ForEach-Object { Write-Output "$_" }
    }
}

function Install-PatchBotUpdate {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Installer,

        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync', 'SkypeForBusiness')]
        [string] $Module
    )
    if (-not (Test-Path -LiteralPath $Installer -PathType Leaf)) {
        throw "Cannot find the installer $Installer. Extract the package again."
    }
    # Checked again right before the installer: a shell or tool opened since staging keeps the
    # files it must replace in use.
    $holders = @(Get-ModuleHolder)
    if ($holders.Count -gt 0) {
        throw "Other PowerShell processes may have the $Module module loaded: PID $($holders -join ', '). Close them, then retry; the installer was not started."
    }
    $tools = @(Get-DeploymentTool)
    if ($tools.Count -gt 0) {
        throw "Topology Builder or the Deployment Wizard is open: PID $($tools -join ', '). Close it, then retry; the installer was not started."
    }
    $folder = Split-Path -Parent $Installer
    $before = Get-LogSnapshot -Folder $folder
    $process = Start-Process -FilePath $Installer -ArgumentList '/silentmode' -Wait -PassThru
    $code = [int] $process.ExitCode
    $prefix = $Installer.Substring(0, $Installer.Length - (Split-Path -Leaf $Installer).Length)
    Write-LogTail -Files @(Get-NewLogFile -Folder $folder -Before $before) -Prefix $prefix
    # The runner reads the exit code from $LASTEXITCODE, as for any native program.
    $global:LASTEXITCODE = $code
    switch ($code) {
        0 {
            # Exit code 0 does not always mean no restart is due: the flags say.
            $reasons = @(Get-PendingRestartReason)
            if ($reasons.Count -gt 0) {
                Write-Output "$Installer finished (exit code 0), but a restart is pending ($($reasons -join '; ')): a restart is required to complete the update."
            }
            else {
                Write-Output "$Installer finished (exit code 0)."
            }
        }
        3010 {
            Write-Output "$Installer finished (exit code 3010): a restart is required to complete the update."
        }
        1641 {
            Write-Output "$Installer finished (exit code 1641): the installer has started a restart of the server to complete the update."
        }
        1618 {
            throw "$Installer exited with code 1618: another installation is already in progress on this server. Wait until it has finished, then retry."
        }
        default {
            throw "$Installer exited with code $code. See the installer log next to it."
        }
    }
}
