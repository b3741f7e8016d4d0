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

function Get-ComponentVersion {
    # Each installed component of the product as Name / Version: Get-CsServerPatchVersion where
    # the management module has it (Skype for Business Server 2015 from its November 2015
    # cumulative update on), else the installed programs, which every version lists.
    param([string] $Product)
    if ($null -ne (Get-Command -Name 'Get-CsServerPatchVersion' -ErrorAction SilentlyContinue)) {
        $components = @(Get-CsServerPatchVersion)
        if ($components.Count -eq 0) {
            throw 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
        }
        foreach ($component in $components) {
            New-Object -TypeName PSObject -Property @{ Name = "$($component.ComponentName)"; Version = "$($component.Version)" }
        }
        return
    }
    $pattern = 'Skype for Business Server*'
    $productName = 'Skype for Business Server'
    if ($Product -eq 'Lync2013') {
        $pattern = 'Microsoft Lync Server 2013*'
        $productName = 'Microsoft Lync Server 2013'
    }
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
    $products = @(Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue | Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -like $pattern -and $_.PSObject.Properties['DisplayVersion'] })
    if ($products.Count -eq 0) {
        throw "No $productName products are listed under installed programs, so the installed patch version is unknown. Check that $productName is installed on this server."
    }
    foreach ($item in $products) {
        New-Object -TypeName PSObject -Property @{ Name = "$($item.DisplayName)"; Version = "$($item.DisplayVersion)" }
    }
}

function Get-LowestVersion {
    param([string[]] $Versions)
    $lowest = $Versions | ForEach-Object { [version] $_ } | Sort-Object | Select-Object -First 1
    $lowest.ToString()
}

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

function Get-LocalPoolFqdn {
    $computer = Get-CsComputer -Local
    if ($null -eq $computer -or -not "$($computer.Pool)") {
        throw 'Get-CsComputer -Local names no pool for this server, so its pool is unknown. Run the runner on a Front End or Standard Edition server that is in the published topology.'
    }
    "$($computer.Pool)".ToLowerInvariant()
}

function Get-ServiceHost {
    # The host names of a pool's services of one kind ('UserDatabase:sql01.contoso.local' -> sql01.contoso.local).
    param([string] $Pool, [string] $Kind)
    $found = Get-CsPool -Identity $Pool
    if ($null -eq $found) {
        return
    }
    foreach ($service in @($found.Services)) {
        $text = "$service"
        if ($text -like "${Kind}:*") {
            $text.Substring($Kind.Length + 1).ToLowerInvariant()
        }
    }
}

function Get-MirrorDatabaseType {
    # Invoke-CsDatabaseFailover fails databases over by store type; the back-end databases by store.
    param([string] $DatabaseName)
    $types = @{
        rtcxds     = 'User'
        rtcshared  = 'User'
        rtcab      = 'Application'
        rgsconfig  = 'Application'
        rgsdyn     = 'Application'
        cpsdyn     = 'Application'
        xds        = 'CentralMgmt'
        lis        = 'CentralMgmt'
        lcslog     = 'Archiving'
        lcscdr     = 'Monitoring'
        qoemetrics = 'Monitoring'
    }
    $types[$DatabaseName.ToLowerInvariant()]
}

function Test-MirroredRow {
    param($Row)
    $off = 'DatabaseInaccessibleOrMirroringNotEnabled'
    "$($Row.StateOnPrimary)" -ne $off -or "$($Row.StateOnMirror)" -ne $off
}

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

function Get-DatabaseTestLine {
    param($Row)
    "$($Row.DatabaseName): installed $($Row.InstalledVersion), expected $($Row.ExpectedVersion)"
}

function Test-DatabaseBehind {
    # Test-CsDatabase's own verdict for the database.
    param($Row)
    -not $Row.Succeed
}

function Read-ReportText {
    # The report's text without its HTML, one line per non-empty line, the last $Lines of them.
    param([string] $Path, [int] $Lines = 20)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return
    }
    $text = [System.IO.File]::ReadAllText((Resolve-FullPath -Path $Path))
    $plain = [regex]::Replace($text, '<[^>]*>', "`n")
    $plain = [System.Net.WebUtility]::HtmlDecode($plain)
    @($plain -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ }) | Select-Object -Last $Lines
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
    if ($Path -like '*.zip') {
        # The zip itself carries no signature; the installer it held must.
        Assert-MicrosoftSignature -Path $target
        Write-Output "$Installer is signed by Microsoft Corporation."
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
    # One line per component, then the LOWEST version alone on the last line: the server is only
    # as patched as its least patched component.
    $components = @(Get-ComponentVersion -Product $Product)
    foreach ($component in $components) {
        Write-Output "$($component.Name) $($component.Version)"
    }
    Get-LowestVersion -Versions @($components | ForEach-Object { $_.Version })
}

function Assert-PatchBotPatchVersion {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product,

        [Parameter(Mandatory = $true)]
        [ValidatePattern('^\d+(\.\d+){1,3}$')]
        [string] $Expected
    )
    $components = @(Get-ComponentVersion -Product $Product)
    $lagging = @($components | Where-Object { [version] $_.Version -lt [version] $Expected })
    if ($lagging.Count -gt 0) {
        $names = @($lagging | ForEach-Object { "$($_.Name) ($($_.Version))" })
        throw "Below $Expected after the update: $($names -join ', '). The update did not take effect on every component: see the installer log, then run the update again."
    }
    $lowest = Get-LowestVersion -Versions @($components | ForEach-Object { $_.Version })
    Write-Output "All $($components.Count) components are at $Expected or later (lowest $lowest)."
}

function Assert-PatchBotVersionGap {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product,

        [Parameter(Mandatory = $true)]
        [ValidatePattern('^\d+(\.\d+){1,3}$')]
        [string] $PackageVersion,

        [switch] $AllowSameVersion
    )
    $components = @(Get-ComponentVersion -Product $Product)
    foreach ($component in $components) {
        Write-Output "$($component.Name) $($component.Version)"
    }
    $package = [version] $PackageVersion
    $newer = @($components | Where-Object { [version] $_.Version -gt $package })
    if ($newer.Count -gt 0) {
        $names = @($newer | ForEach-Object { "$($_.Name) ($($_.Version))" })
        throw "Newer than the package's $PackageVersion`: $($names -join ', '). Installing it would be a downgrade, which is refused. Use a package of the installed version or later."
    }
    $older = @($components | Where-Object { [version] $_.Version -lt $package })
    if ($older.Count -eq 0) {
        if (-not $AllowSameVersion) {
            throw "Every component already runs $PackageVersion, the package's version: nothing to do."
        }
        Write-Output "Every component already runs $PackageVersion; it is installed again as asked (force)."
        return
    }
    Write-Output "$($older.Count) of $($components.Count) components are below $PackageVersion`: the update is needed."
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

function Assert-PatchBotCsServicesPresent {
    [CmdletBinding()]
    param()
    $services = @(Get-CsWindowsService)
    if ($services.Count -eq 0) {
        throw 'Get-CsWindowsService lists no services: this machine runs no Lync or Skype for Business services. Install the runner on a Front End or Standard Edition server of the pool.'
    }
    Write-Output "$($services.Count) Lync/Skype for Business services are installed on this server."
}

function Assert-PatchBotSqlRights {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn
    )
    $account = Get-AccountName
    # sqlcmd.exe comes with the SQL Server Express that every Front End has; -E signs in as this account.
    $query = "SET NOCOUNT ON; SELECT IS_SRVROLEMEMBER('sysadmin')"
    try {
        $lines = @(sqlcmd.exe -S $SqlServerFqdn -E -b -h -1 -W -Q $query)
    }
    catch [System.Management.Automation.CommandNotFoundException] {
        throw "sqlcmd.exe was not found on this server, so the rights on $SqlServerFqdn could not be checked. Run the runner on a Front End of the pool, where SQL Server's command-line tools are installed."
    }
    $answer = @($lines | ForEach-Object { "$_".Trim() } | Where-Object { $_ })
    if ($LASTEXITCODE -ne 0) {
        $detail = ''
        if ($answer.Count -gt 0) {
            $detail = ": $($answer[-1])"
        }
        throw "sqlcmd.exe could not query $SqlServerFqdn (exit code $LASTEXITCODE)$detail. Check that $SqlServerFqdn is the back end's SQL Server, that it is reachable, and that $account can sign in to it."
    }
    $last = ''
    if ($answer.Count -gt 0) {
        $last = $answer[-1]
    }
    if ($last -eq '0') {
        throw "$account is not a member of the sysadmin role on $SqlServerFqdn, so it cannot update the back-end databases. Grant it the role (or run the runner as an account that has it), then retry."
    }
    if ($last -ne '1') {
        throw "sqlcmd.exe gave no answer this module understands about the sysadmin role on $SqlServerFqdn ('$last'). Run the query by hand to see why."
    }
    Write-Output "$account is a member of the sysadmin role on $SqlServerFqdn."
}

function Assert-PatchBotDatabaseMirror {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn,

        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $PoolFqdn,

        [switch] $Mirrored
    )
    if (-not $PoolFqdn) {
        $PoolFqdn = Get-LocalPoolFqdn
    }
    $rows = @(Get-CsDatabaseMirrorState -PoolFqdn $PoolFqdn)
    if ($rows.Count -eq 0) {
        throw "Get-CsDatabaseMirrorState listed no databases for the pool $PoolFqdn, so mirroring could not be checked. Check the pool's name and that this account may read the topology."
    }
    foreach ($row in $rows) {
        Write-Output "$($row.DatabaseName): primary $($row.StateOnPrimary), mirror $($row.StateOnMirror)"
    }
    $mirroredRows = @($rows | Where-Object { Test-MirroredRow $_ })
    if ($mirroredRows.Count -eq 0) {
        if ($Mirrored) {
            throw "The back-end databases of the pool $PoolFqdn are not mirrored, but the plan expected mirroring. Ask for the update again so that it is planned with what the server reports now."
        }
        Write-Output "The back-end databases of the pool $PoolFqdn are not mirrored."
        return
    }
    if (-not $Mirrored) {
        throw "The back-end databases of the pool $PoolFqdn are mirrored, but the plan did not know. Ask for the update again so that it is planned with what the server reports now."
    }
    $elsewhere = @($mirroredRows | Where-Object { "$($_.StateOnPrimary)" -ne 'Principal' })
    if ($elsewhere.Count -gt 0) {
        $types = @()
        foreach ($row in $elsewhere) {
            $type = Get-MirrorDatabaseType -DatabaseName "$($row.DatabaseName)"
            if ($null -eq $type) {
                throw "The database $($row.DatabaseName) is principal on the mirror and this module does not know its store type. Make $SqlServerFqdn its principal with Invoke-CsDatabaseFailover, then retry."
            }
            if ($types -notcontains $type) {
                $types += $type
            }
        }
        foreach ($type in $types) {
            try {
                Invoke-CsDatabaseFailover -PoolFqdn $PoolFqdn -DatabaseType $type -NewPrincipal Primary -Confirm:$false -ErrorAction Stop
            }
            catch {
                throw "Failing the $type databases of the pool $PoolFqdn back to $SqlServerFqdn failed: $(Get-ErrorReason $_). Nothing has been stopped; make $SqlServerFqdn the principal by hand, then retry."
            }
            Write-Output "Failed the $type databases over to $SqlServerFqdn (Invoke-CsDatabaseFailover -NewPrincipal Primary)."
        }
        $rows = @(Get-CsDatabaseMirrorState -PoolFqdn $PoolFqdn)
        $still = @($rows | Where-Object { (Test-MirroredRow $_) -and "$($_.StateOnPrimary)" -ne 'Principal' })
        if ($still.Count -gt 0) {
            $names = @($still | ForEach-Object { "$($_.DatabaseName)" })
            throw "Still principal on the mirror after the failover: $($names -join ', '). Nothing has been stopped; make $SqlServerFqdn the principal by hand, then retry."
        }
    }
    Write-Output "Every mirrored database of the pool $PoolFqdn is principal on $SqlServerFqdn."
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

function Update-PatchBotDatabase {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('standard', 'enterprise', 'enterprise-collocated')]
        [string] $Variant,

        [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')]
        [string] $SqlServerFqdn
    )
    if ($Variant -eq 'standard' -and $SqlServerFqdn) {
        throw 'A Standard Edition server updates its local databases; -SqlServerFqdn does not apply. Leave it out.'
    }
    if ($Variant -ne 'standard' -and -not $SqlServerFqdn) {
        throw "The $Variant variant updates the back end's databases on its SQL Server; give -SqlServerFqdn."
    }
    $test = @{ LocalService = $true }
    $install = @{ Update = $true; LocalDatabases = $true }
    if ($Variant -ne 'standard') {
        $test = @{ ConfiguredDatabases = $true; SqlServerFqdn = $SqlServerFqdn }
        $install = @{ Update = $true; ConfiguredDatabases = $true; SqlServerFqdn = $SqlServerFqdn }
        if ($Variant -eq 'enterprise-collocated') {
            $install['ExcludeCollocatedStores'] = $true
        }
    }
    $before = @(Test-CsDatabase @test)
    foreach ($row in $before) {
        Write-Output (Get-DatabaseTestLine $row)
    }
    if (@($before | Where-Object { Test-DatabaseBehind $_ }).Count -gt 0) {
        Write-Output 'Test-CsDatabase: update needed.'
    }
    else {
        Write-Output 'Test-CsDatabase: up to date.'
    }
    $stamp = [datetime]::Now.ToString('yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
    $temp = $env:TEMP
    if (-not $temp) {
        $temp = [System.IO.Path]::GetTempPath()
    }
    $report = $temp.TrimEnd('\', '/') + '\' + "PatchBot-Install-CsDatabase-$stamp.html"
    $install['Report'] = $report
    $failure = $null
    try {
        Install-CsDatabase @install -ErrorAction Stop | ForEach-Object { Write-Output "$_" }
    }
    catch {
        $failure = Get-ErrorReason $_
    }
    $summary = @(Read-ReportText -Path $report)
    if ($summary.Count -gt 0) {
        Write-Output "--- report $report ---"
        $summary | ForEach-Object { Write-Output $_ }
    }
    if ($null -ne $failure) {
        throw "Install-CsDatabase -Update failed: $failure. See the report $report, fix the cause, then retry."
    }
    $after = @(Test-CsDatabase @test)
    foreach ($row in $after) {
        Write-Output (Get-DatabaseTestLine $row)
    }
    $behind = @($after | Where-Object { Test-DatabaseBehind $_ })
    if ($Variant -eq 'enterprise-collocated') {
        # -ExcludeCollocatedStores leaves the Archiving and Monitoring databases on the same SQL
        # Server alone, so their rows do not count here.
        $behind = @($behind | Where-Object { @('Archiving', 'Monitoring') -notcontains (Get-MirrorDatabaseType -DatabaseName "$($_.DatabaseName)") })
    }
    if ($behind.Count -gt 0) {
        $names = @($behind | ForEach-Object { "$($_.DatabaseName)" })
        throw "Test-CsDatabase after the update: still behind: $($names -join ', '). See the report $report, then run the database update again."
    }
    Write-Output 'Test-CsDatabase: done.'
}

function Get-PatchBotServerFacts {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('Lync2013', 'SkypeForBusiness')]
        [string] $Product,

        [Parameter(Mandatory = $true)]
        [string] $StagingPath
    )
    # One line of JSON. Each fact is read on its own: one that cannot be read is null, and the
    # others are still reported.
    $facts = [ordered]@{
        productName       = $Product
        installedVersion  = $null
        components        = @()
        edition           = $null
        poolFqdn          = $null
        sqlServerFqdn     = $null
        collocatedStores  = $null
        mirrored          = $null
        pendingRestart    = $null
        freeSpaceGb       = $null
        powershellVersion = $null
        csServiceCount    = $null
    }
    try {
        $components = @(Get-ComponentVersion -Product $Product)
        $list = New-Object System.Collections.ArrayList
        foreach ($component in $components) {
            [void] $list.Add([ordered]@{ name = $component.Name; version = $component.Version })
        }
        $facts.components = $list.ToArray()
        $facts.installedVersion = Get-LowestVersion -Versions @($components | ForEach-Object { $_.Version })
    }
    catch {
        $facts.components = @()
    }
    try {
        $pool = Get-LocalPoolFqdn
        $facts.poolFqdn = $pool
        $database = @(Get-ServiceHost -Pool $pool -Kind 'UserDatabase') | Select-Object -First 1
        if ($null -ne $database) {
            if ($database -eq $pool) {
                # A Standard Edition server is its own pool and holds its databases itself.
                $facts.edition = 'standard'
                $facts.collocatedStores = $false
                $facts.mirrored = $false
            }
            else {
                $facts.edition = 'enterprise'
                $facts.sqlServerFqdn = $database
                $stores = @(Get-ServiceHost -Pool $database -Kind 'ArchivingDatabase') + @(Get-ServiceHost -Pool $database -Kind 'MonitoringDatabase')
                $facts.collocatedStores = @($stores | Where-Object { $_ -eq $database }).Count -gt 0
                $facts.mirrored = @(Get-CsDatabaseMirrorState -PoolFqdn $pool | Where-Object { Test-MirroredRow $_ }).Count -gt 0
            }
        }
    }
    catch {
        Write-Verbose "Pool facts: $(Get-ErrorReason $_)"
    }
    try {
        $facts.pendingRestart = @(Get-PendingRestartReason).Count -gt 0
    }
    catch {
        Write-Verbose "Pending restart: $(Get-ErrorReason $_)"
    }
    try {
        $drive = Get-LocalDriveName -Path $StagingPath
        $facts.freeSpaceGb = [math]::Floor((Get-DriveFreeBytes -Drive $drive) / $script:BytesPerGB * 10) / 10
    }
    catch {
        Write-Verbose "Free space: $(Get-ErrorReason $_)"
    }
    try {
        $engine = Get-EngineVersion
        if ($null -ne $engine) {
            $facts.powershellVersion = "$($engine.Major).$($engine.Minor)"
        }
    }
    catch {
        Write-Verbose "PowerShell version: $(Get-ErrorReason $_)"
    }
    try {
        $facts.csServiceCount = @(Get-CsWindowsService).Count
    }
    catch {
        Write-Verbose "Cs services: $(Get-ErrorReason $_)"
    }
    ConvertTo-Json -InputObject $facts -Compress -Depth 4
}

Export-ModuleMember -Function @(
    'Assert-PatchBotPowerShellVersion',
    'Assert-PatchBotCsAdministrator',
    'Assert-PatchBotNoPendingReboot',
    'Assert-PatchBotFreeSpace',
    'Save-PatchBotPackage',
    'Assert-PatchBotFileHash',
    'Expand-PatchBotPackage',
    'Assert-PatchBotCsServicesPresent',
    'Assert-PatchBotNoOtherShells',
    'Assert-PatchBotVersionGap',
    'Assert-PatchBotSqlRights',
    'Assert-PatchBotDatabaseMirror',
    'Stop-PatchBotCsServices',
    'Stop-PatchBotIis',
    'Install-PatchBotUpdate',
    'Start-PatchBotIis',
    'Update-PatchBotDatabase',
    'Assert-PatchBotCsServicesRunning',
    'Get-PatchBotPatchVersion',
    'Assert-PatchBotPatchVersion',
    'Get-PatchBotServerFacts'
)
