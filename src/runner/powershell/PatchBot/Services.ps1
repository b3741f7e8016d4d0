# PatchBot\Services.ps1: the Cs Windows services and IIS (W3SVC): present, running, stopping them, net
# stop/start w3svc.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Get-CsServiceNotIn {
    param([string] $Status)
    @(Get-CsWindowsService | Where-Object { "$($_.Status)" -ne $Status })
}

function Invoke-Net {
    # net.exe for W3SVC; its output lines, and $LASTEXITCODE as it left it.
    param([string] $Verb)
    if ($Verb -eq 'stop') {
        @(net stop w3svc /y)
    }
    else {
        @(net start w3svc)
    }
}

function Assert-PatchBotCsServicesPresent {
    [CmdletBinding()]
    param()
    $services = @(Get-CsWindowsService)
    if ($services.Count -eq 0) {
        throw 'Get-CsWindowsService lists no services: this machine runs no Lync or Skype for Business services. Install the runner on a Front End or Standard Edition server of the pool.'
    }
    Write-Output "$($services.Count) Lync/Skype for Business services are installed on this server."
}

function Assert-PatchBotCsServicesRunning {
    [CmdletBinding()]
    param()
    $services = @(Get-CsWindowsService)
    if ($services.Count -eq 0) {
        throw 'Get-CsWindowsService listed no services, so they cannot be confirmed as running. Check the server with Get-CsWindowsService.'
    }
    foreach ($service in $services) {
        Write-Output "$($service.Status) $($service.Name)"
    }
    $down = @($services | Where-Object { $_.Status -ne 'Running' })
    if ($down.Count -gt 0) {
        $names = @($down | ForEach-Object { "$($_.Name) ($($_.Status))" })
        throw "Not running: $($names -join ', '). Start them with Start-CsWindowsService, or see the Lync Server event log for why they stopped."
    }
    Write-Output "All $($services.Count) Cs services are running."
}

function Stop-PatchBotCsServices {
    [CmdletBinding()]
    param(
        [switch] $Graceful,

        [ValidateRange(1, 240)]
        [int] $TimeoutMinutes = 30
    )
    $running = @(Get-CsServiceNotIn -Status 'Stopped')
    if ($running.Count -eq 0) {
        Write-Output 'The Cs services are already stopped.'
        return
    }
    if ($Graceful) {
        # -Graceful alone waits for the last call however long it lasts; -NoWait and a poll keep
        # the drain within the limit the plan counted.
        Stop-CsWindowsService -Graceful -NoWait
        $running = @(Get-CsServiceNotIn -Status 'Stopped')
        $polls = $TimeoutMinutes * 4
        for ($i = 0; $i -lt $polls -and $running.Count -gt 0; $i++) {
            Start-Sleep -Seconds 15
            $running = @(Get-CsServiceNotIn -Status 'Stopped')
        }
        if ($running.Count -eq 0) {
            Write-Output "The Cs services drained and stopped within $TimeoutMinutes minutes."
        }
        else {
            $names = @($running | ForEach-Object { "$($_.Name)" })
            Write-Output "Still draining after $TimeoutMinutes minutes: $($names -join ', '); stopping them now."
            Stop-CsWindowsService
        }
    }
    else {
        Stop-CsWindowsService
    }
    $left = @(Get-CsServiceNotIn -Status 'Stopped')
    if ($left.Count -gt 0) {
        $names = @($left | ForEach-Object { "$($_.Name) ($($_.Status))" })
        throw "Still not stopped: $($names -join ', '). Stop them with Stop-CsWindowsService, or see the Lync Server event log for why they do not stop."
    }
    Write-Output 'The Cs services are stopped.'
}

function Stop-PatchBotIis {
    [CmdletBinding()]
    param()
    $service = Get-Service -Name 'W3SVC'
    if ("$($service.Status)" -eq 'Stopped') {
        $global:LASTEXITCODE = 0
        Write-Output 'W3SVC (IIS) is already stopped.'
        return
    }
    Invoke-Net -Verb 'stop'
    if ($LASTEXITCODE -ne 0) {
        throw "net stop w3svc failed with exit code $LASTEXITCODE (see its message above). Stop the World Wide Web Publishing Service by hand, then retry."
    }
    Write-Output 'W3SVC (IIS) is stopped.'
}

function Start-PatchBotIis {
    [CmdletBinding()]
    param()
    $service = Get-Service -Name 'W3SVC'
    if ("$($service.Status)" -eq 'Running') {
        $global:LASTEXITCODE = 0
        Write-Output 'W3SVC (IIS) is already running.'
        return
    }
    Invoke-Net -Verb 'start'
    if ($LASTEXITCODE -ne 0) {
        throw "net start w3svc failed with exit code $LASTEXITCODE (see its message above). Start the World Wide Web Publishing Service by hand, then retry."
    }
    Write-Output 'W3SVC (IIS) is running.'
}
