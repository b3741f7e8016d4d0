# SIMULATOR. LabWindows\System.ps1: touchpoints of the system: whoami.exe, the registry (Test-Path, Get-ItemProperty,
# the installed component versions) and Get-CimInstance (free space).
# Part of LabWindows.psm1, which dot-sources it into the module's scope (its parameters, state
# variables, session set-up and Export-ModuleMember list are there). See src/lab/README.md.

function whoami.exe {
    # whoami /groups /fo csv /nh: the groups of the logon token.
    $state = Read-LabState
    '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"'
    '"BUILTIN\Users","Alias","S-1-5-32-545","Mandatory group, Enabled by default, Enabled group"'
    '"CONTOSO\Domain Users","Group","S-1-5-21-1004336348-1177238915-682003330-513","Mandatory group, Enabled by default, Enabled group"'
    if ($state['conditions']['csAdministrator']) {
        '"CONTOSO\CsAdministrator","Group","S-1-5-21-1004336348-1177238915-682003330-1117","Mandatory group, Enabled by default, Enabled group"'
    }
    $global:LASTEXITCODE = 0
}

function Find-LabRegistryPath {
    # The HKLM:\ path(s) among a call's arguments; none for anything else.
    param([object[]] $Arguments)
    foreach ($argument in $Arguments) {
        foreach ($item in @($argument)) {
            if ($item -is [string] -and $item -like 'HKLM:\*') { $item }
        }
    }
}

function Test-Path {
    $registry = @(Find-LabRegistryPath -Arguments $args)
    if ($registry.Count -eq 0) { return Microsoft.PowerShell.Management\Test-Path @args }
    $state = Read-LabState
    $registry[0] -eq $script:RebootPendingKey -and [bool] $state['conditions']['pendingReboot']
}

function Get-ItemProperty {
    $registry = @(Find-LabRegistryPath -Arguments $args)
    if ($registry.Count -eq 0) { return Microsoft.PowerShell.Management\Get-ItemProperty @args }
    $state = Read-LabState
    foreach ($path in $registry) {
        if ($path -eq 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager') {
            [pscustomobject]@{ BootExecute = @('autocheck autochk *'); PSPath = $path }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*') {
            # Installed programs: the product's components, each at its own patch version.
            foreach ($component in @($state['components'])) {
                [pscustomobject]@{ DisplayName = $component; DisplayVersion = (Get-LabComponentVersion -State $state -Component $component); Publisher = 'Microsoft Corporation' }
            }
            [pscustomobject]@{ DisplayName = 'Microsoft SQL Server 2014 Express LocalDB'; DisplayVersion = '12.0.2000.8'; Publisher = 'Microsoft Corporation' }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine') {
            # Written by PowerShell 3.0 and later; 2.0 has only the PowerShell\1 key.
            $version = [string] $state['conditions']['powershellVersion']
            if ([version] $version -ge [version] '3.0') {
                [pscustomobject]@{ PowerShellVersion = $version; PSPath = $path }
            }
        }
        elseif ($path -eq 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full') {
            # .NET 4.0 has the key without Release; 4.5 and later add it (528049: 4.8).
            if ($state['conditions']['dotNet45']) {
                [pscustomobject]@{ Release = 528049; Version = '4.8.03761'; PSPath = $path }
            }
            else {
                [pscustomobject]@{ Version = '4.0.30319'; PSPath = $path }
            }
        }
        # Anything else (Updates\UpdateExeVolatile, the 32-bit view): not there on this server.
    }
}

function Get-LabComponentVersion {
    # A component's own version (componentVersions), installedVersion where the state has none.
    param($State, [string] $Component)
    if ($State.Contains('componentVersions') -and $null -ne $State['componentVersions'] -and $State['componentVersions'].Contains($Component)) {
        return [string] $State['componentVersions'][$Component]
    }
    [string] $State['installedVersion']
}

function Set-LabComponentVersions {
    # The installer's effect: every component but the lagging one at $Version; installedVersion the lowest.
    param($State, [string] $Version)
    if (-not $State.Contains('componentVersions') -or $null -eq $State['componentVersions']) {
        $State['componentVersions'] = [ordered]@{}
    }
    $lagging = $State['conditions']['laggingComponent']
    $versions = @()
    foreach ($component in @($State['components'])) {
        if ($component -ne $lagging) {
            $State['componentVersions'][$component] = $Version
        }
        $versions += [version] (Get-LabComponentVersion -State $State -Component $component)
    }
    if ($versions.Count -gt 0) {
        $State['installedVersion'] = ($versions | Sort-Object | Select-Object -First 1).ToString()
    }
}

function Get-CimInstance {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $ClassName, [string] $Filter)
    if ($ClassName -ne 'Win32_LogicalDisk') {
        throw "simulator: Get-CimInstance knows only Win32_LogicalDisk, not $ClassName."
    }
    $state = Read-LabState
    if ($Filter -eq "DeviceID='C:'") {
        [pscustomobject]@{
            DeviceID  = 'C:'
            DriveType = 3
            FreeSpace = [uint64] ([double] $state['conditions']['freeSpaceGb'] * 1073741824)
            Size      = [uint64] 500 * 1073741824
        }
    }
}
