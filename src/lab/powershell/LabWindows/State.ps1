# SIMULATOR. LabWindows\State.ps1: the lab server's JSON state file, wall time, and the process bookkeeping (who
# holds the fake Cs module).
# Part of LabWindows.psm1, which dot-sources it into the module's scope (its parameters, state
# variables, session set-up and Export-ModuleMember list are there). See src/lab/README.md.

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

function Register-LabModuleHolder {
    # Called when this process imports the fake Lync/SkypeForBusiness module.
    $script:HoldsCsModule = $true
    $state = Read-LabState
    $live = @(@($state['moduleHolders']) | Where-Object { $_ -ne $PID -and (Test-LabProcessAlive -Id $_) })
    $state['moduleHolders'] = @($live) + @($PID)
    Write-LabState -State $state
}
