# PatchBot.psm1: the patch bot runner's helper functions for Windows PowerShell 5.1.
#
# The runner imports this module by path at the start of every session and calls these functions
# as single-line steps from its own catalog (src/procedure/catalog.ts). Each function writes a
# short human-readable line on success and throws a clear message on failure; the runner's
# envelope catches the message and reports it. No function prompts: sessions are -NonInteractive.

Set-StrictMode -Version 3.0

function Assert-PatchBotCsAdministrator {
    [CmdletBinding()]
    param()
    # whoami /groups lists the groups in the current logon token, including universal groups
    # such as CsAdministrator; a membership added after sign-in is not there until the next one.
    $lines = @(whoami.exe /groups /fo csv /nh)
    if ($LASTEXITCODE -ne 0) {
        throw "whoami /groups failed with exit code $LASTEXITCODE."
    }
    $groups = @($lines | ConvertFrom-Csv -Header 'Name', 'Type', 'Sid', 'Attributes')
    $match = @($groups | Where-Object { $_.Name -like '*\CsAdministrator' })
    $account = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    if ($match.Count -eq 0) {
        throw "$account is not a member of CsAdministrator (whoami /groups). Add the account, sign in again, then retry."
    }
    Write-Output "$account is a member of $($match[0].Name)."
}

function Assert-PatchBotNoPendingReboot {
    [CmdletBinding()]
    param()
    $reasons = New-Object System.Collections.Generic.List[string]
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') {
        $reasons.Add('Component Based Servicing\RebootPending')
    }
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') {
        $reasons.Add('WindowsUpdate\Auto Update\RebootRequired')
    }
    $sessionManager = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -ErrorAction SilentlyContinue
    if ($null -ne $sessionManager -and $sessionManager.PSObject.Properties['PendingFileRenameOperations']) {
        if (@($sessionManager.PendingFileRenameOperations | Where-Object { $_ }).Count -gt 0) {
            $reasons.Add('Session Manager\PendingFileRenameOperations')
        }
    }
    $updates = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Updates' -ErrorAction SilentlyContinue
    if ($null -ne $updates -and $updates.PSObject.Properties['UpdateExeVolatile'] -and $updates.UpdateExeVolatile -ne 0) {
        $reasons.Add('Updates\UpdateExeVolatile')
    }
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
    $drives = @($env:SystemDrive, [IO.Path]::GetPathRoot($Path)) | ForEach-Object { $_.TrimEnd('\').ToUpperInvariant() } | Select-Object -Unique
    foreach ($drive in $drives) {
        $info = New-Object System.IO.DriveInfo -ArgumentList $drive
        # 1073741824 bytes = 1 GB (spelled out: the 1GB literal suffix trips some PowerShell parsers).
        $freeGb = [math]::Round($info.AvailableFreeSpace / 1073741824, 1)
        if ($freeGb -lt $MinimumGB) {
            throw "Only $freeGb GB free on $drive; the update needs at least $MinimumGB GB."
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
    $folder = Split-Path -Parent $Destination
    if (-not (Test-Path -LiteralPath $folder)) {
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
    }
    if ($Source -like 'https://*') {
        # Windows PowerShell 5.1 may default to TLS 1.0; update servers expect TLS 1.2.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        Invoke-WebRequest -Uri $Source -OutFile $Destination -UseBasicParsing
    }
    elseif ($Source -like '\\*') {
        Copy-Item -LiteralPath $Source -Destination $Destination -Force
    }
    else {
        throw "Package source must be an https:// URL or a UNC path, not '$Source'."
    }
    $size = (Get-Item -LiteralPath $Destination).Length
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
    $actual = (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
    if ($actual -ne $Sha256.ToUpperInvariant()) {
        throw "SHA-256 of $Path is $actual, expected $($Sha256.ToUpperInvariant()). The package is not the published one."
    }
    if ($Path -like '*.exe') {
        $signature = Get-AuthenticodeSignature -LiteralPath $Path
        if ($signature.Status -ne 'Valid') {
            throw "The Authenticode signature of $Path is not valid ($($signature.Status))."
        }
        if ($signature.SignerCertificate.Subject -notlike '*O=Microsoft Corporation*') {
            throw "$Path is signed by '$($signature.SignerCertificate.Subject)', not by Microsoft Corporation."
        }
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
    if (-not (Test-Path -LiteralPath $Destination)) {
        New-Item -ItemType Directory -Path $Destination -Force | Out-Null
    }
    if ($Path -like '*.zip') {
        Expand-Archive -LiteralPath $Path -DestinationPath $Destination -Force
    }
    elseif ($Path -like '*.exe') {
        # The cumulative update ships as the installer itself.
        Copy-Item -LiteralPath $Path -Destination (Join-Path $Destination $Installer) -Force
    }
    else {
        throw "Do not know how to extract $Path (expected .zip or .exe)."
    }
    $target = Join-Path $Destination $Installer
    if (-not (Test-Path -LiteralPath $target)) {
        throw "$Installer was not found in the package $Path."
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
    # Both management modules load Microsoft.Rtc.Management.dll; a process holding it keeps the
    # files the installer must replace in use.
    $candidates = @(Get-Process -Name 'powershell', 'powershell_ise', 'pwsh' -ErrorAction SilentlyContinue | Where-Object { $_.Id -ne $PID })
    $holders = New-Object System.Collections.Generic.List[string]
    foreach ($process in $candidates) {
        try {
            $loaded = @($process.Modules | Where-Object { $_.ModuleName -like 'Microsoft.Rtc.Management*' })
            if ($loaded.Count -gt 0) {
                $holders.Add("$($process.Id) ($($process.ProcessName), started $($process.StartTime))")
            }
        }
        catch {
            $holders.Add("$($process.Id) ($($process.ProcessName), could not be inspected)")
        }
    }
    if ($holders.Count -gt 0) {
        throw "Other PowerShell processes may have the $Module module loaded: PID $($holders -join ', '). Close them first."
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
    if ($Product -eq 'SkypeForBusiness') {
        $components = @(Get-CsServerPatchVersion)
        foreach ($component in $components) {
            Write-Output "$($component.ComponentName) $($component.Version)"
        }
        $versions = @($components | ForEach-Object { [version] $_.Version })
    }
    else {
        # Lync Server 2013 has no Get-CsServerPatchVersion; the installed products say it.
        $keys = @(
            'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
            'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
        )
        $products = @(Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue | Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -like 'Microsoft Lync Server 2013*' -and $_.PSObject.Properties['DisplayVersion'] })
        foreach ($item in $products) {
            Write-Output "$($item.DisplayName) $($item.DisplayVersion)"
        }
        $versions = @($products | ForEach-Object { [version] $_.DisplayVersion })
    }
    if ($versions.Count -eq 0) {
        throw "No installed $Product components were found."
    }
    $highest = $versions | Sort-Object -Descending | Select-Object -First 1
    Write-Output $highest.ToString()
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
        throw "Installed patch version is $installed; expected $Expected or later."
    }
    Write-Output "Patch version $installed (expected $Expected)."
}

function Install-PatchBotUpdate {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Installer
    )
    if (-not (Test-Path -LiteralPath $Installer)) {
        throw "Cannot find the installer $Installer."
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
    foreach ($service in $services) {
        Write-Output "$($service.Status) $($service.Name)"
    }
    $down = @($services | Where-Object { $_.Status -ne 'Running' })
    if ($down.Count -gt 0) {
        $names = @($down | ForEach-Object { "$($_.Name) ($($_.Status))" })
        throw "Not running: $($names -join ', ')."
    }
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
