# Pester tests of PatchBot.psm1's version reads, the installer run and the service check, plus
# what the module exports. The Cs cmdlets, the installed-products registry and Start-Process of
# the installer are Windows touchpoints, mocked inside the module; the installer file is real.

BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../src/runner/powershell/PatchBot.psm1'
    function global:Get-CsServerPatchVersion { throw 'Get-CsServerPatchVersion stub: the test must mock it.' }
    function global:Get-CsWindowsService { throw 'Get-CsWindowsService stub: the test must mock it.' }
    Import-Module $script:ModulePath -Force

    # The exact message, case included (-ExpectedMessage alone is a case-insensitive wildcard match).
    function Assert-ThrowsMessage([scriptblock] $Action, [string] $Message) {
        $thrown = $Action | Should -Throw -ExpectedMessage ([WildcardPattern]::Escape($Message)) -PassThru
        $thrown.Exception.Message | Should -BeExactly $Message
    }

    function New-Component([string] $Name, [string] $Version) {
        [pscustomobject]@{ ComputerName = 'sfbfe01.contoso.local'; ComponentName = $Name; Version = $Version }
    }

    $script:UninstallKeys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
}

AfterAll {
    Remove-Module PatchBot -Force -ErrorAction SilentlyContinue
    Remove-Item -Path 'Function:\Get-CsServerPatchVersion', 'Function:\Get-CsWindowsService' -ErrorAction SilentlyContinue
}

Describe 'the module' {
    It 'exports exactly the step functions of docs/steps.md, and none of its helpers' {
        $exported = @(Get-Command -Module PatchBot | ForEach-Object { $_.Name } | Sort-Object)

        $exported | Should -BeExactly @(
            'Assert-PatchBotCsAdministrator',
            'Assert-PatchBotCsServicesPresent',
            'Assert-PatchBotCsServicesRunning',
            'Assert-PatchBotDatabaseMirror',
            'Assert-PatchBotFileHash',
            'Assert-PatchBotFreeSpace',
            'Assert-PatchBotNoOtherShells',
            'Assert-PatchBotNoPendingReboot',
            'Assert-PatchBotPatchVersion',
            'Assert-PatchBotPowerShellVersion',
            'Assert-PatchBotSqlRights',
            'Assert-PatchBotVersionGap',
            'Expand-PatchBotPackage',
            'Get-PatchBotPatchVersion',
            'Get-PatchBotServerFacts',
            'Install-PatchBotUpdate',
            'Save-PatchBotPackage',
            'Start-PatchBotIis',
            'Stop-PatchBotCsServices',
            'Stop-PatchBotIis',
            'Update-PatchBotDatabase'
        )
    }
}

Describe 'Get-PatchBotPatchVersion' {
    Context 'where Get-CsServerPatchVersion exists' {
        It 'lists every component, then the LOWEST version compared as a version' {
            Mock -ModuleName PatchBot Get-CsServerPatchVersion {
                New-Component 'Skype for Business Server 2015, Core Components' '6.0.9319.272'
                New-Component 'Skype for Business Server 2015, Front End Server' '6.0.9319.1000'
                New-Component 'Skype for Business Server 2015, Web Components Server' '6.0.9319.281'
            }
            Mock -ModuleName PatchBot Get-ItemProperty { }

            $out = @(Get-PatchBotPatchVersion -Product SkypeForBusiness)

            $out | Should -BeExactly @(
                'Skype for Business Server 2015, Core Components 6.0.9319.272',
                'Skype for Business Server 2015, Front End Server 6.0.9319.1000',
                'Skype for Business Server 2015, Web Components Server 6.0.9319.281',
                '6.0.9319.272'
            )
            Should -Invoke -ModuleName PatchBot Get-ItemProperty -Times 0
        }

        It 'fails when Get-CsServerPatchVersion lists nothing' {
            Mock -ModuleName PatchBot Get-CsServerPatchVersion { }

            Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product SkypeForBusiness } 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
        }
    }

    Context 'where Get-CsServerPatchVersion does not exist (Lync Server 2013; SfB 2015 before its November 2015 update)' {
        BeforeAll {
            Remove-Item -Path 'Function:\Get-CsServerPatchVersion'
            Get-Command -Name 'Get-CsServerPatchVersion' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        AfterAll {
            function global:Get-CsServerPatchVersion { throw 'Get-CsServerPatchVersion stub: the test must mock it.' }
        }

        It 'lists the installed Lync Server 2013 products from both uninstall keys, then the lowest version' {
            Mock -ModuleName PatchBot Get-ItemProperty {
                [pscustomobject]@{ DisplayName = 'Microsoft Lync Server 2013, Core Components'; DisplayVersion = '5.0.8308.1001' }
                [pscustomobject]@{ DisplayName = 'Microsoft Lync Server 2013, Front End Server'; DisplayVersion = '5.0.8308.992' }
                [pscustomobject]@{ DisplayName = 'Microsoft Lync Server 2013, Administrative Tools' }
                [pscustomobject]@{ DisplayName = 'Microsoft Visual C++ 2012 Redistributable (x64)'; DisplayVersion = '11.0.61030' }
                [pscustomobject]@{ SystemComponent = 1 }
            }

            $out = @(Get-PatchBotPatchVersion -Product Lync2013)

            $out | Should -BeExactly @(
                'Microsoft Lync Server 2013, Core Components 5.0.8308.1001',
                'Microsoft Lync Server 2013, Front End Server 5.0.8308.992',
                '5.0.8308.992'
            )
            Should -Invoke -ModuleName PatchBot Get-ItemProperty -Times 1 -Exactly -ParameterFilter { ($Path -join '|') -eq ($script:UninstallKeys -join '|') }
        }

        It 'lists the installed Skype for Business Server products for SkypeForBusiness' {
            Mock -ModuleName PatchBot Get-ItemProperty {
                [pscustomobject]@{ DisplayName = 'Skype for Business Server 2015, Core Components'; DisplayVersion = '6.0.9319.88' }
                [pscustomobject]@{ DisplayName = 'Skype for Business Server 2015, Front End Server'; DisplayVersion = '6.0.9319.88' }
                [pscustomobject]@{ DisplayName = 'Microsoft Lync Server 2013, Core Components'; DisplayVersion = '5.0.8308.1001' }
            }

            $out = @(Get-PatchBotPatchVersion -Product SkypeForBusiness)

            $out | Should -BeExactly @(
                'Skype for Business Server 2015, Core Components 6.0.9319.88',
                'Skype for Business Server 2015, Front End Server 6.0.9319.88',
                '6.0.9319.88'
            )
        }

        It 'fails when no <Name> product is installed' -ForEach @(
            @{ Product = 'Lync2013'; Name = 'Microsoft Lync Server 2013' }
            @{ Product = 'SkypeForBusiness'; Name = 'Skype for Business Server' }
        ) {
            Mock -ModuleName PatchBot Get-ItemProperty {
                [pscustomobject]@{ DisplayName = 'Microsoft Visual C++ 2012 Redistributable (x64)'; DisplayVersion = '11.0.61030' }
            }

            Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product $Product } "No $Name products are listed under installed programs, so the installed patch version is unknown. Check that $Name is installed on this server."
        }
    }

    It 'refuses an unknown product' {
        Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product Exchange2013 } "Cannot validate argument on parameter 'Product'. The argument `"Exchange2013`" does not belong to the set `"Lync2013,SkypeForBusiness`" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again."
    }
}

Describe 'Assert-PatchBotPatchVersion' {
    BeforeEach {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.530'
            New-Component 'Skype for Business Server 2019, Front End Server' '7.0.2046.530'
            New-Component 'Skype for Business Server 2019, Administrative Tools' '7.0.2046.531'
        }
    }

    It 'passes when every component is at the expected version or later, and writes one line' {
        $out = @(Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530')

        $out | Should -BeExactly @('All 3 components are at 7.0.2046.530 or later (lowest 7.0.2046.530).')
    }

    It 'compares as a version and not as text' {
        Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.99' | Should -BeExactly 'All 3 components are at 7.0.2046.99 or later (lowest 7.0.2046.530).'
    }

    It 'fails when ONE component lags, naming it, though the others reached the target' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.530'
            New-Component 'Skype for Business Server 2019, Front End Server' '7.0.2046.520'
            New-Component 'Skype for Business Server 2019, Administrative Tools' '7.0.2046.530'
        }

        Assert-ThrowsMessage { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530' } 'Below 7.0.2046.530 after the update: Skype for Business Server 2019, Front End Server (7.0.2046.520). The update did not take effect on every component: see the installer log, then run the update again.'
    }

    It 'names every lagging component' {
        Assert-ThrowsMessage { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.531' } 'Below 7.0.2046.531 after the update: Skype for Business Server 2019, Core Components (7.0.2046.530), Skype for Business Server 2019, Front End Server (7.0.2046.530). The update did not take effect on every component: see the installer log, then run the update again.'
    }

    It 'fails with the reason when the version cannot be read' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion { }

        Assert-ThrowsMessage { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530' } 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
    }

    It 'refuses an expected version that is not a version' {
        { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0; Remove-Item C:\' } | Should -Throw -ExpectedMessage "Cannot validate argument on parameter 'Expected'*"
    }
}

Describe 'Assert-PatchBotVersionGap' {
    BeforeEach {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.520'
            New-Component 'Skype for Business Server 2019, Front End Server' '7.0.2046.530'
        }
    }

    It 'lists the components and passes when one of them is below the package' {
        $out = @(Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.530')

        $out | Should -BeExactly @(
            'Skype for Business Server 2019, Core Components 7.0.2046.520',
            'Skype for Business Server 2019, Front End Server 7.0.2046.530',
            '1 of 2 components are below 7.0.2046.530: the update is needed.'
        )
    }

    It 'refuses a downgrade, naming the newer components' {
        Assert-ThrowsMessage { Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.525' } "Newer than the package's 7.0.2046.525: Skype for Business Server 2019, Front End Server (7.0.2046.530). Installing it would be a downgrade, which is refused. Use a package of the installed version or later."
    }

    It 'refuses the same version: nothing to do' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.530'
            New-Component 'Skype for Business Server 2019, Front End Server' '7.0.2046.530'
        }

        Assert-ThrowsMessage { Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.530' } "Every component already runs 7.0.2046.530, the package's version: nothing to do."
    }

    It 'passes the same version with -AllowSameVersion (force), and says so' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.530'
        }

        $out = @(Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.530' -AllowSameVersion)

        $out[-1] | Should -BeExactly 'Every component already runs 7.0.2046.530; it is installed again as asked (force).'
    }

    It 'still refuses a downgrade with -AllowSameVersion' {
        { Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.1' -AllowSameVersion } | Should -Throw -ExpectedMessage "Newer than the package's 7.0.2046.1:*"
    }

    It 'refuses a package version that is not a version' {
        { Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion 'latest' } | Should -Throw -ExpectedMessage "Cannot validate argument on parameter 'PackageVersion'*"
    }
}

Describe 'Install-PatchBotUpdate' {
    BeforeAll {
        $script:Folder = Join-Path $TestDrive '7.0.2046.530'
        $script:Installer = Join-Path $script:Folder 'SkypeServerUpdateInstaller.exe'
        New-Item -ItemType File -Path $script:Installer -Force | Out-Null
        # A log from an earlier run, which must not be repeated.
        [System.IO.File]::WriteAllText((Join-Path $script:Folder 'SkypeServerUpdateInstaller-20261101-010101.log'), "old run`n")
        $script:RebootPendingKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
    }

    BeforeEach {
        $global:LASTEXITCODE = $null
        Mock -ModuleName PatchBot Get-Process { }
        $script:LogName = 'SkypeServerUpdateInstaller-' + [guid]::NewGuid().ToString('N') + '.log'
    }

    It 'runs the installer silently and waits: exit code <Code>, with the new log''s last lines' -ForEach @(
        @{ Code = 0; Line = 'finished (exit code 0).' }
        @{ Code = 3010; Line = 'finished (exit code 3010): a restart is required to complete the update.' }
        @{ Code = 1641; Line = 'finished (exit code 1641): the installer has started a restart of the server to complete the update.' }
    ) {
        $exit = $Code
        $log = Join-Path $script:Folder $script:LogName
        Mock -ModuleName PatchBot Start-Process {
            [System.IO.File]::WriteAllText($log, "Installing`nExit code $exit`n")
            [pscustomobject]@{ ExitCode = $exit }
        }

        $out = @(Install-PatchBotUpdate -Installer $script:Installer -Module SkypeForBusiness)

        $out | Should -BeExactly @("--- last lines of $log ---", 'Installing', "Exit code $Code", "$script:Installer $Line")
        $global:LASTEXITCODE | Should -Be $Code
        Should -Invoke -ModuleName PatchBot Start-Process -Times 1 -Exactly -ParameterFilter {
            $FilePath -eq $script:Installer -and ($ArgumentList -join ' ') -eq '/silentmode' -and $Wait -and $PassThru
        }
        Remove-Item -LiteralPath $log
    }

    It 'shows every new log, *.log and *_log.txt, in name order, and no other file' {
        $names = @('Server.msp-FE01-[2026-12-04][01-02-03]_log.txt', $script:LogName)
        Mock -ModuleName PatchBot Start-Process {
            foreach ($name in $names) { [System.IO.File]::WriteAllText((Join-Path $script:Folder $name), "$name`n") }
            [System.IO.File]::WriteAllText((Join-Path $script:Folder 'notes.txt'), "not a log`n")
            New-Item -ItemType Directory -Path (Join-Path $script:Folder 'folder.log') -Force | Out-Null
            [pscustomobject]@{ ExitCode = 0 }
        }

        $out = @(Install-PatchBotUpdate -Installer $script:Installer -Module SkypeForBusiness)

        $sorted = @($names | Sort-Object)
        $expected = @()
        foreach ($name in $sorted) { $expected += @("--- last lines of $(Join-Path $script:Folder $name) ---", $name) }
        $out | Should -BeExactly @($expected + "$script:Installer finished (exit code 0).")
        foreach ($name in $names + 'notes.txt') { Remove-Item -LiteralPath (Join-Path $script:Folder $name) }
        Remove-Item -LiteralPath (Join-Path $script:Folder 'folder.log')
    }

    It 'reads the restart flags again after exit code 0, and says a restart is required when one is set' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 0 } }
        Mock -ModuleName PatchBot Test-Path { $LiteralPath -eq $script:RebootPendingKey -or $LiteralPath -eq $script:Installer }

        $out = @(Install-PatchBotUpdate -Installer $script:Installer -Module SkypeForBusiness)

        $out | Should -BeExactly @("$script:Installer finished (exit code 0), but a restart is pending (Component Based Servicing\RebootPending): a restart is required to complete the update.")
        $global:LASTEXITCODE | Should -Be 0
    }

    It 'fails on 1618: another installation is running' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 1618 } }

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $script:Installer -Module Lync } "$script:Installer exited with code 1618: another installation is already in progress on this server. Wait until it has finished, then retry."
        $global:LASTEXITCODE | Should -Be 1618
    }

    It 'fails on any other exit code, leaves it in $LASTEXITCODE and still shows the new log' {
        $log = Join-Path $script:Folder $script:LogName
        Mock -ModuleName PatchBot Start-Process {
            [System.IO.File]::WriteAllText($log, "Error 1603`n")
            [pscustomobject]@{ ExitCode = 1603 }
        }

        $out = New-Object System.Collections.ArrayList
        $thrown = $null
        try {
            Install-PatchBotUpdate -Installer $script:Installer -Module SkypeForBusiness | ForEach-Object { [void] $out.Add($_) }
        }
        catch {
            $thrown = $_.Exception.Message
        }
        $thrown | Should -BeExactly "$script:Installer exited with code 1603. See the installer log next to it."
        $global:LASTEXITCODE | Should -Be 1603
        $out | Should -BeExactly @("--- last lines of $log ---", 'Error 1603')
        Remove-Item -LiteralPath $log
    }

    It 'never starts the installer while another shell holds the <Module> module' -ForEach @(
        @{ Module = 'SkypeForBusiness' }
        @{ Module = 'Lync' }
    ) {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 0 } }
        Mock -ModuleName PatchBot Get-Process {
            [pscustomobject]@{ Id = 4242; ProcessName = 'powershell'; StartTime = [datetime] '2026-12-04 01:02:03'; Modules = @([pscustomobject]@{ ModuleName = 'Microsoft.Rtc.Management.dll' }) }
        } -ParameterFilter { $Name -contains 'powershell' }

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $script:Installer -Module $Module } "Other PowerShell processes may have the $Module module loaded: PID 4242 (powershell, started 2026-12-04 01:02:03). Close them, then retry; the installer was not started."
        Should -Invoke -ModuleName PatchBot Start-Process -Times 0
    }

    It 'never starts the installer while Topology Builder or the Deployment Wizard is open' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 0 } }
        Mock -ModuleName PatchBot Get-Process {
            [pscustomobject]@{ Id = 5150; ProcessName = 'Microsoft.Rtc.Management.TopologyBuilder' }
            [pscustomobject]@{ Id = 5151; ProcessName = 'Deploy' }
        } -ParameterFilter { ($Name -join ',') -eq 'Microsoft.Rtc.Management.TopologyBuilder,Deploy' }

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $script:Installer -Module SkypeForBusiness } 'Topology Builder or the Deployment Wizard is open: PID 5150 (Microsoft.Rtc.Management.TopologyBuilder), 5151 (Deploy). Close it, then retry; the installer was not started.'
        Should -Invoke -ModuleName PatchBot Start-Process -Times 0
    }

    It 'never starts a missing installer' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 0 } }
        $missing = Join-Path $TestDrive '7.0.2046.530/LyncServerUpdateInstaller.exe'

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $missing -Module Lync } "Cannot find the installer $missing. Extract the package again."
        Should -Invoke -ModuleName PatchBot Start-Process -Times 0
        $global:LASTEXITCODE | Should -BeNullOrEmpty
    }
}

Describe 'Assert-PatchBotCsServicesRunning' {
    It 'lists every service and passes when all run' {
        Mock -ModuleName PatchBot Get-CsWindowsService {
            [pscustomobject]@{ Name = 'RTCSRV'; Status = 'Running' }
            [pscustomobject]@{ Name = 'RTCCLSAGT'; Status = 'Running' }
            [pscustomobject]@{ Name = 'REPLICA'; Status = 'Running' }
        }

        $out = @(Assert-PatchBotCsServicesRunning)

        $out | Should -BeExactly @('Running RTCSRV', 'Running RTCCLSAGT', 'Running REPLICA', 'All 3 Cs services are running.')
    }

    It 'names every service that does not run' {
        Mock -ModuleName PatchBot Get-CsWindowsService {
            [pscustomobject]@{ Name = 'RTCSRV'; Status = 'Stopped' }
            [pscustomobject]@{ Name = 'RTCCLSAGT'; Status = 'Running' }
            [pscustomobject]@{ Name = 'RTCATS'; Status = 'StartPending' }
        }

        Assert-ThrowsMessage { Assert-PatchBotCsServicesRunning } 'Not running: RTCSRV (Stopped), RTCATS (StartPending). Start them with Start-CsWindowsService, or see the Lync Server event log for why they stopped.'
    }

    It 'does not pass an empty service list as all running' {
        Mock -ModuleName PatchBot Get-CsWindowsService { }

        Assert-ThrowsMessage { Assert-PatchBotCsServicesRunning } 'Get-CsWindowsService listed no services, so they cannot be confirmed as running. Check the server with Get-CsWindowsService.'
    }
}
