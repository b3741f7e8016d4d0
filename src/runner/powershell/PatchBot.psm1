# PatchBot.psm1: the patch bot runner's helper functions, for Windows PowerShell 3.0 and later.
#
# The runner imports this module by path at the start of every session and calls these functions
# as single-line steps from its own catalog (src/procedure/catalog.ts). Each function writes a
# short human-readable line on success and throws a clear message on failure; the runner's
# envelope catches the message and reports it. No function prompts: sessions are -NonInteractive.
#
# Floor and Windows touchpoints: see README.md next to this file. Only the touchpoints listed
# there may reach Windows; everything else is plain PowerShell 3.0 and .NET 4.5.

Set-StrictMode -Version 3.0

# 1073741824 bytes = 1 GB (spelled out: the 1GB literal suffix trips some PowerShell parsers).
$script:BytesPerGB = 1073741824

# ---- private helpers (not exported) ----

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

function Assert-PackageExists {
    param([string] $Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        throw "The package file $Path does not exist. Download the package again."
    }
}

function Get-Sha256Hex {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $Path)
    $stream = [System.IO.File]::OpenRead((Resolve-FullPath -Path $Path))
    $sha256 = [System.Security.Cryptography.SHA256]::Create()
    try {
        [BitConverter]::ToString($sha256.ComputeHash($stream)).Replace('-', '')
    }
    finally {
        $sha256.Dispose()
        $stream.Dispose()
    }
}

function Assert-MicrosoftSignature {
    param([string] $Path)
    $signature = Get-AuthenticodeSignature -LiteralPath $Path
    if ($signature.Status -ne 'Valid') {
        throw "The Authenticode signature of $Path is not valid ($($signature.Status)). Download the package again from Microsoft."
    }
    if ($signature.SignerCertificate.Subject -notlike '*O=Microsoft Corporation*') {
        throw "$Path is signed by '$($signature.SignerCertificate.Subject)', not by Microsoft Corporation. Use the package Microsoft publishes."
    }
}

function Save-FromHttps {
    param([string] $Source, [string] $Destination)
    # Windows PowerShell may default to TLS 1.0; update servers expect TLS 1.2.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    try {
        Invoke-WebRequest -Uri $Source -OutFile $Destination -UseBasicParsing -ErrorAction Stop
    }
    catch {
        throw "Download of $Source failed: $(Get-ErrorReason $_). Check the address and that this server can reach it."
    }
}

function Save-FromShare {
    param([string] $Source, [string] $Destination)
    try {
        Copy-Item -LiteralPath $Source -Destination $Destination -Force -ErrorAction Stop
    }
    catch {
        throw "Copy of $Source failed: $(Get-ErrorReason $_). Check the share path and that this account can read it."
    }
}

function Expand-ZipPackage {
    [CmdletBinding()]
    param([string] $Path, [string] $Destination)
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    try {
        $archive = [System.IO.Compression.ZipFile]::OpenRead((Resolve-FullPath -Path $Path))
    }
    catch {
        throw "The package $Path is not a readable zip file ($(Get-ErrorReason $_)). Download the package again."
    }
    try {
        foreach ($entry in $archive.Entries) {
            Expand-ZipEntry -Entry $entry -Path $Path -Destination $Destination
        }
    }
    finally {
        $archive.Dispose()
    }
}

function Expand-ZipEntry {
    # One entry, overwriting an earlier extraction (the step is safe to retry); never outside
    # the destination folder, whatever the entry's name says.
    [CmdletBinding()]
    param($Entry, [string] $Path, [string] $Destination)
    $root = (Resolve-FullPath -Path $Destination).TrimEnd('\', '/') + [System.IO.Path]::DirectorySeparatorChar
    $target = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($root, $Entry.FullName))
    if (-not $target.StartsWith($root, [StringComparison]::OrdinalIgnoreCase)) {
        throw "The package $Path contains the entry '$($Entry.FullName)', which points outside $Destination. The package is not genuine; do not use it."
    }
    if ($Entry.Name -eq '') {
        [void] [System.IO.Directory]::CreateDirectory($target)
        return
    }
    [void] [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($target))
    [System.IO.Compression.ZipFileExtensions]::ExtractToFile($Entry, $target, $true)
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

function Get-SkypeForBusinessVersion {
    $components = @(Get-CsServerPatchVersion)
    if ($components.Count -eq 0) {
        throw 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
    }
    foreach ($component in $components) {
        Write-Output "$($component.ComponentName) $($component.Version)"
    }
    Get-HighestVersion -Versions @($components | ForEach-Object { $_.Version })
}

function Get-Lync2013Version {
    # Lync Server 2013 has no Get-CsServerPatchVersion; the installed products say it.
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
    $products = @(Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue | Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -like 'Microsoft Lync Server 2013*' -and $_.PSObject.Properties['DisplayVersion'] })
    if ($products.Count -eq 0) {
        throw 'No Microsoft Lync Server 2013 products are listed under installed programs, so the installed patch version is unknown. Check that Lync Server 2013 is installed on this server.'
    }
    foreach ($item in $products) {
        Write-Output "$($item.DisplayName) $($item.DisplayVersion)"
    }
    Get-HighestVersion -Versions @($products | ForEach-Object { $_.DisplayVersion })
}

function Get-HighestVersion {
    param([string[]] $Versions)
    $highest = $Versions | ForEach-Object { [version] $_ } | Sort-Object -Descending | Select-Object -First 1
    $highest.ToString()
}

# ---- exported functions: one per catalog step ----

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

function Save-PatchBotPackage {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Source,

        [Parameter(Mandatory = $true)]
        [string] $Destination
    )
    $fromWeb = $Source -like 'https://*'
    if (-not $fromWeb -and $Source -notlike '\\*') {
        throw "The package source '$Source' is neither an https:// URL nor a UNC path (\\server\share\file). Correct the package source, then retry."
    }
    $folder = Split-Path -Parent $Destination
    if (-not (Test-Path -LiteralPath $folder)) {
        New-Item -ItemType Directory -Path $folder -Force -ErrorAction Stop | Out-Null
    }
    if ($fromWeb) {
        Save-FromHttps -Source $Source -Destination $Destination
    }
    else {
        Save-FromShare -Source $Source -Destination $Destination
    }
    $size = (Get-Item -LiteralPath $Destination -ErrorAction Stop).Length
    Write-Output "Saved $Source to $Destination ($size bytes)."
}

function Assert-PatchBotFileHash {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path,

        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[0-9A-Fa-f]{64}$')]
        [string] $Sha256
    )
    Assert-PackageExists -Path $Path
    $actual = Get-Sha256Hex -Path $Path
    $expected = $Sha256.ToUpperInvariant()
    if ($actual -ne $expected) {
        throw "SHA-256 of $Path is $actual, expected $expected. The package is not the published one; download it again."
    }
    if ($Path -like '*.exe') {
        Assert-MicrosoftSignature -Path $Path
    }
    Write-Output "SHA-256 $actual matches."
}

function Expand-PatchBotPackage {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path,

        [Parameter(Mandatory = $true)]
        [string] $Destination,

        [Parameter(Mandatory = $true)]
        [string] $Installer
    )
    Assert-PackageExists -Path $Path
    if ($Path -notlike '*.zip' -and $Path -notlike '*.exe') {
        throw "The package $Path is neither a .zip nor an .exe file, so it cannot be extracted. Use the package Microsoft publishes."
    }
    if (-not (Test-Path -LiteralPath $Destination)) {
        New-Item -ItemType Directory -Path $Destination -Force -ErrorAction Stop | Out-Null
    }
    $target = Join-Path $Destination $Installer
    if ($Path -like '*.zip') {
        Expand-ZipPackage -Path $Path -Destination $Destination
    }
    else {
        # The cumulative update ships as the installer itself.
        Copy-Item -LiteralPath $Path -Destination $target -Force -ErrorAction Stop
    }
    if (-not (Test-Path -LiteralPath $target -PathType Leaf)) {
        throw "$Installer was not found in the package $Path. Check that the package is the update for this product."
    }
    Write-Output "$Installer is ready in $Destination."
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

function Get-PatchBotPatchVersion {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product
    )
    # Writes one line per component, then the highest version alone on the last line.
    if ($Product -eq 'SkypeForBusiness') {
        Get-SkypeForBusinessVersion
    }
    else {
        Get-Lync2013Version
    }
}

function Assert-PatchBotPatchVersion {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product,

        [Parameter(Mandatory = $true)]
        [string] $Expected
    )
    $installed = @(Get-PatchBotPatchVersion -Product $Product) | Select-Object -Last 1
    if ([version] $installed -lt [version] $Expected) {
        throw "Installed patch version is $installed; expected $Expected or later. The update did not take effect: see the installer log, then run the update again."
    }
    Write-Output "Patch version $installed (expected $Expected)."
}

function Install-PatchBotUpdate {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Installer
    )
    if (-not (Test-Path -LiteralPath $Installer -PathType Leaf)) {
        throw "Cannot find the installer $Installer. Extract the package again."
    }
    $process = Start-Process -FilePath $Installer -ArgumentList '/silentmode' -Wait -PassThru
    # The runner reads the exit code from $LASTEXITCODE, as for any native program.
    $global:LASTEXITCODE = $process.ExitCode
    if ($process.ExitCode -eq 3010) {
        Write-Output "$Installer finished (exit code 3010): a restart is required to complete the update."
    }
    elseif ($process.ExitCode -ne 0) {
        throw "$Installer exited with code $($process.ExitCode). See the installer log next to it."
    }
    else {
        Write-Output "$Installer finished (exit code 0)."
    }
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

Export-ModuleMember -Function @(
    'Assert-PatchBotCsAdministrator',
    'Assert-PatchBotNoPendingReboot',
    'Assert-PatchBotFreeSpace',
    'Save-PatchBotPackage',
    'Assert-PatchBotFileHash',
    'Expand-PatchBotPackage',
    'Assert-PatchBotNoOtherShells',
    'Get-PatchBotPatchVersion',
    'Assert-PatchBotPatchVersion',
    'Install-PatchBotUpdate',
    'Assert-PatchBotCsServicesRunning'
)
