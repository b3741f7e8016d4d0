# PatchBot\Versions.ps1: the installed Lync/SfB component versions: listing them, the version gap before
# the update and the check after it.
# Part of PatchBot.psm1, which dot-sources it into the module's scope (Set-StrictMode 3.0, and the
# Export-ModuleMember list, are there). Windows PowerShell 3.0 floor: see ..\README.md.

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
