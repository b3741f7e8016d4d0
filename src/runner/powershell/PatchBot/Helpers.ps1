# PatchBot\Helpers.ps1: private helpers the other parts share: paths, the account, drives and free space, the
# pending-restart flags, error reasons, the PowerShell engine and .NET versions. Nothing exported.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

function Resolve-FullPath {
    # The file system path .NET must be given for a PowerShell path (relative, or on a PS drive).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $Path)
    $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function Get-AccountName {
    "$env:USERDOMAIN\$env:USERNAME"
}

function Get-LocalDriveName {
    # 'C:' for a path on drive C, resolved by PowerShell (so a relative path counts too).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $Path)
    $provider = $null
    $drive = $null
    try {
        [void] $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path, [ref] $provider, [ref] $drive)
    }
    catch {
        throw "The staging folder $Path is on a drive this server does not have ($(Get-ErrorReason $_)). Use a folder on a local drive, such as C:\PatchBot\staging."
    }
    if ($null -eq $drive -or $drive.Name -notmatch '^[A-Za-z]$') {
        throw "The staging folder $Path is not on a local drive. Use a folder such as C:\PatchBot\staging."
    }
    "$($drive.Name.ToUpperInvariant()):"
}

function Get-DriveFreeBytes {
    param([string] $Drive)
    $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID='$Drive'"
    if ($null -eq $disk -or $null -eq $disk.FreeSpace) {
        throw "Windows reports no free space for drive $Drive (Win32_LogicalDisk), so it cannot be checked. Use a staging folder on a local fixed drive."
    }
    [double] $disk.FreeSpace
}

function Get-PendingRestartReason {
    $base = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion'
    if (Test-Path -LiteralPath "$base\Component Based Servicing\RebootPending") {
        'Component Based Servicing\RebootPending'
    }
    if (Test-Path -LiteralPath "$base\WindowsUpdate\Auto Update\RebootRequired") {
        'WindowsUpdate\Auto Update\RebootRequired'
    }
    $sessionManager = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -ErrorAction SilentlyContinue
    if ($null -ne $sessionManager -and $sessionManager.PSObject.Properties['PendingFileRenameOperations']) {
        if (@($sessionManager.PendingFileRenameOperations | Where-Object { $_ }).Count -gt 0) {
            'Session Manager\PendingFileRenameOperations'
        }
    }
    $updates = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Updates' -ErrorAction SilentlyContinue
    if ($null -ne $updates -and $updates.PSObject.Properties['UpdateExeVolatile'] -and $updates.UpdateExeVolatile -ne 0) {
        'Updates\UpdateExeVolatile'
    }
}

function Get-ErrorReason {
    # The message of a caught error without its final full stop; for a failed .NET method call,
    # the message of the .NET exception rather than PowerShell's "Exception calling ..." wrapper.
    param([System.Management.Automation.ErrorRecord] $ErrorRecord)
    $exception = $ErrorRecord.Exception
    if ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    $exception.Message.Trim().TrimEnd('.')
}

function Get-EngineVersion {
    # Windows PowerShell's installed engine version from the registry, or $null (2.0 or none).
    $engine = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine' -ErrorAction SilentlyContinue
    if ($null -eq $engine -or -not $engine.PSObject.Properties['PowerShellVersion']) {
        return $null
    }
    [version] $engine.PowerShellVersion
}

function Get-DotNetRelease {
    $full = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -ErrorAction SilentlyContinue
    if ($null -eq $full -or -not $full.PSObject.Properties['Release']) {
        return 0
    }
    [int] $full.Release
}
