# PatchBot\Prechecks.ps1: the server pre-checks: PowerShell and .NET, CsAdministrator membership, no
# pending restart, free space, no other management shell holding the Cs module.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Assert-PatchBotPowerShellVersion {
    [CmdletBinding()]
    param()
    # The installed engine, from the registry (the session itself may be a newer or older host).
    $engine = Get-EngineVersion
    if ($null -eq $engine -or $engine -lt [version] '3.0') {
        $found = '2.0 or older'
        if ($null -ne $engine) {
            $found = $engine.ToString()
        }
        throw "Windows PowerShell $found is installed; the patch bot needs 3.0 or later. Install Windows Management Framework 3.0 or later (5.1 recommended), then retry."
    }
    $release = Get-DotNetRelease
    if ($release -lt 378389) {
        $found = 'none'
        if ($release -gt 0) {
            $found = "release $release"
        }
        throw ".NET Framework 4.5 or later is not installed (found: $found). Install .NET Framework 4.5 or later, then retry."
    }
    Write-Output "Windows PowerShell $($engine.Major).$($engine.Minor) and .NET Framework 4.5 or later (release $release) are installed."
}

function Assert-PatchBotCsAdministrator {
    [CmdletBinding()]
    param()
    # whoami /groups lists the groups in the current logon token, including universal groups
    # such as CsAdministrator; a membership added after sign-in is not there until the next one.
    $lines = @(whoami.exe /groups /fo csv /nh)
    if ($LASTEXITCODE -ne 0) {
        throw "whoami.exe /groups failed with exit code $LASTEXITCODE, so membership of CsAdministrator could not be checked. Run whoami /groups on the server to see why."
    }
    $groups = @($lines | ConvertFrom-Csv -Header 'Name', 'Type', 'Sid', 'Attributes')
    $match = @($groups | Where-Object { $_.Name -like '*\CsAdministrator' })
    $account = Get-AccountName
    if ($match.Count -eq 0) {
        throw "$account is not a member of CsAdministrator (whoami /groups). Add the account, sign in again, then retry."
    }
    Write-Output "$account is a member of $($match[0].Name)."
}

function Assert-PatchBotNoPendingReboot {
    [CmdletBinding()]
    param()
    $reasons = @(Get-PendingRestartReason)
    if ($reasons.Count -gt 0) {
        throw "A restart is pending ($($reasons -join '; ')). Restart the server before updating it."
    }
    Write-Output 'No restart pending.'
}

function Assert-PatchBotFreeSpace {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path,

        [Parameter(Mandatory = $true)]
        [ValidateRange(1, 1000)]
        [int] $MinimumGB
    )
    # The installer unpacks to the system drive as well as using the staging folder.
    $drives = @(Get-LocalDriveName -Path $Path) + @($env:SystemDrive) | Where-Object { $_ } | ForEach-Object { $_.ToUpperInvariant() } | Select-Object -Unique
    foreach ($drive in $drives) {
        $free = Get-DriveFreeBytes -Drive $drive
        # Shown rounded down to 0.1 GB, so a shortfall never reads as enough.
        $freeGb = [math]::Floor($free / $script:BytesPerGB * 10) / 10
        if ($free -lt [double] $MinimumGB * $script:BytesPerGB) {
            throw "Only $freeGb GB free on $drive; the update needs at least $MinimumGB GB. Free up space on $drive, then retry."
        }
        Write-Output "$drive $freeGb GB free (needs $MinimumGB GB)."
    }
}

function Get-ModuleHolder {
    # Both management modules load Microsoft.Rtc.Management.dll; a process holding it keeps the
    # files the installer must replace in use. PowerShell turns a failing property read into
    # $null, so a process whose modules cannot be read (another user's, 32-bit) has no module
    # list at all, while a readable PowerShell process always lists some.
    $candidates = @(Get-Process -Name 'powershell', 'powershell_ise', 'pwsh' -ErrorAction SilentlyContinue | Where-Object { $_.Id -ne $PID })
    foreach ($process in $candidates) {
        $modules = @($process.Modules | Where-Object { $null -ne $_ })
        if ($modules.Count -eq 0) {
            "$($process.Id) ($($process.ProcessName), could not be inspected)"
        }
        elseif (@($modules | Where-Object { $_.ModuleName -like 'Microsoft.Rtc.Management*' }).Count -gt 0) {
            "$($process.Id) ($($process.ProcessName), started $(Format-StartTime $process.StartTime))"
        }
    }
}

function Format-StartTime {
    param($Time)
    if ($null -eq $Time) {
        return 'at an unknown time'
    }
    ([datetime] $Time).ToString('yyyy-MM-dd HH:mm:ss', [Globalization.CultureInfo]::InvariantCulture)
}

function Assert-PatchBotNoOtherShells {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync', 'SkypeForBusiness')]
        [string] $Module
    )
    $holders = @(Get-ModuleHolder)
    if ($holders.Count -gt 0) {
        throw "Other PowerShell processes may have the $Module module loaded: PID $($holders -join ', '). Close them, then retry."
    }
    Write-Output "No other PowerShell process holds the $Module module."
}
