# PatchBot\Package.ps1: the package: staging it (https or a share), its SHA-256, extracting it and
# checking Microsoft's signature.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

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
