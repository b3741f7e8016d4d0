# SIMULATOR. LabWindows\Installer.ps1: touchpoints of the package and the installer: Invoke-WebRequest,
# Get-AuthenticodeSignature, Get-Process and Start-Process.
# Part of LabWindows.psm1, which dot-sources it into the module's scope (its parameters, state
# variables, session set-up and Export-ModuleMember list are there). See src/lab/README.md.

function Invoke-WebRequest {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [uri] $Uri,
        [string] $OutFile,
        [switch] $UseBasicParsing
    )
    $state = Read-LabState
    $source = $Uri.OriginalString
    if (-not $state['packageSources'].Contains($source)) {
        # Windows PowerShell's words (the servers run 5.1), as the stand-in has them.
        throw 'The remote server returned an error: (404) Not Found.'
    }
    $content = $state['packageSources'][$source]
    if ($state['conditions']['corruptDownload']) { $content = "$($content)CORRUPTED BYTES`n" }
    $target = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
    [System.IO.File]::WriteAllText($target, $content, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
}

function Read-LabPackageFields {
    # The key=value lines of the simulated package (src/lab/package.ts).
    param([string] $Path)
    $fields = @{}
    $text = Microsoft.PowerShell.Management\Get-Content -LiteralPath $Path -Raw
    foreach ($line in ($text -split "`n")) {
        $eq = $line.IndexOf('=')
        if ($eq -gt 0) { $fields[$line.Substring(0, $eq)] = $line.Substring($eq + 1) }
    }
    $fields
}

function Get-AuthenticodeSignature {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $LiteralPath)
    $fields = Read-LabPackageFields -Path $LiteralPath
    if ($fields['signer'] -eq 'Microsoft Corporation') {
        return [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = $script:MicrosoftSubject } }
    }
    [pscustomobject]@{ Status = 'NotSigned'; SignerCertificate = $null }
}

function New-LabProcessInfo {
    param([int] $Id, [string] $Name, $StartTime, [bool] $HoldsModule)
    $modules = @([pscustomobject]@{ ModuleName = 'System.Management.Automation.dll' })
    if ($HoldsModule) { $modules += [pscustomobject]@{ ModuleName = 'Microsoft.Rtc.Management.dll' } }
    [pscustomobject]@{ Id = $Id; ProcessName = $Name; StartTime = $StartTime; Modules = $modules }
}

function Get-Process {
    # Management shells on this server: this one, the lab's live shells that imported the
    # Lync/SfB module, and the simulated foreign ones (conditions.foreignModuleHolders).
    $names = @()
    for ($i = 0; $i -lt $args.Count; $i++) {
        if ("$($args[$i])" -eq '-Name' -and $i + 1 -lt $args.Count) { $names = @($args[$i + 1]) }
    }
    if (@($names | Where-Object { $_ -in @('Microsoft.Rtc.Management.TopologyBuilder', 'Deploy') }).Count -gt 0) {
        # Topology Builder / the Deployment Wizard: open while conditions.deploymentToolsRunning.
        $state = Read-LabState
        if ($state['conditions']['deploymentToolsRunning'] -and $names -contains $script:DeploymentTool.Name) {
            [pscustomobject]@{ Id = $script:DeploymentTool.Id; ProcessName = $script:DeploymentTool.Name; StartTime = $null; Modules = @() }
        }
        return
    }
    if (@($names | Where-Object { $_ -in @('powershell', 'powershell_ise', 'pwsh') }).Count -eq 0) {
        return Microsoft.PowerShell.Management\Get-Process @args
    }
    $state = Read-LabState
    New-LabProcessInfo -Id $PID -Name 'powershell' -StartTime ([System.Diagnostics.Process]::GetCurrentProcess().StartTime) -HoldsModule $script:HoldsCsModule
    foreach ($id in @($state['moduleHolders'])) {
        if ($id -ne $PID -and (Test-LabProcessAlive -Id $id)) {
            New-LabProcessInfo -Id $id -Name 'powershell' -StartTime ([System.Diagnostics.Process]::GetProcessById($id).StartTime) -HoldsModule $true
        }
    }
    foreach ($id in @($state['conditions']['foreignModuleHolders'])) {
        New-LabProcessInfo -Id $id -Name 'powershell' -StartTime $null -HoldsModule $true
    }
}

function Start-Process {
    # The update installer stand-in: "installs" the version its package names.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $FilePath,
        [string[]] $ArgumentList,
        [switch] $Wait,
        [switch] $PassThru
    )
    $path = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($FilePath)
    if (-not [System.IO.File]::Exists($path)) {
        # Anything but a simulated package is started for real.
        return Microsoft.PowerShell.Management\Start-Process @PSBoundParameters
    }
    $fields = Read-LabPackageFields -Path $path
    if (-not $fields.ContainsKey('installer')) { return Microsoft.PowerShell.Management\Start-Process @PSBoundParameters }
    $state = Read-LabState
    $exitCode = [int] $state['conditions']['installerExitCode']
    if ($fields['product'] -ne $state['product'] -or $fields['installer'] -ne [System.IO.Path]::GetFileName($path)) {
        # Not an update for this server.
        $exitCode = 1603
    }
    elseif ($script:HoldsCsModule) {
        # The installer's own shell holds the management module: its files stay in use. (Other
        # shells make Install-PatchBotUpdate refuse before it starts the installer.)
        $exitCode = 1603
    }
    if (($exitCode -eq 0 -or $exitCode -eq 3010 -or $exitCode -eq 1641) -and $fields.ContainsKey('version')) {
        Set-LabComponentVersions -State $state -Version $fields['version']
        if ($exitCode -ne 0 -or $state['conditions']['installerLeavesRestartPending']) {
            $state['conditions']['pendingReboot'] = $true
        }
    }
    Write-LabState -State $state
    # Its log file, into its own folder: <base name>-<yyyyMMdd-HHmmss>.log (UTC).
    $stamp = [datetime]::UtcNow.ToString('yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
    $log = Join-Path ([System.IO.Path]::GetDirectoryName($path)) "$([System.IO.Path]::GetFileNameWithoutExtension($path))-$stamp.log"
    [System.IO.File]::WriteAllText($log, "SIMULATED installer log (patch bot lab)`nExit code: $exitCode`n", (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    if ($PassThru) { [pscustomobject]@{ ExitCode = $exitCode; HasExited = $true } }
}
