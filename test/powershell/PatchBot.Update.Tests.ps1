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
    Remove-Item -LiteralPath 'function:global:Get-CsServerPatchVersion', 'function:global:Get-CsWindowsService' -ErrorAction SilentlyContinue
}

Describe 'the module' {
    It 'exports exactly the eleven step functions, and none of its helpers' {
        $exported = @(Get-Command -Module PatchBot | ForEach-Object { $_.Name } | Sort-Object)

        $exported | Should -BeExactly @(
            'Assert-PatchBotCsAdministrator',
            'Assert-PatchBotCsServicesRunning',
            'Assert-PatchBotFileHash',
            'Assert-PatchBotFreeSpace',
            'Assert-PatchBotNoOtherShells',
            'Assert-PatchBotNoPendingReboot',
            'Assert-PatchBotPatchVersion',
            'Expand-PatchBotPackage',
            'Get-PatchBotPatchVersion',
            'Install-PatchBotUpdate',
            'Save-PatchBotPackage'
        )
    }
}

Describe 'Get-PatchBotPatchVersion' {
    Context 'SkypeForBusiness' {
        It 'lists every component, then the highest version compared as a version' {
            Mock -ModuleName PatchBot Get-CsServerPatchVersion {
                New-Component 'Skype for Business Server 2015, Core Components' '6.0.9319.272'
                New-Component 'Skype for Business Server 2015, Front End Server' '6.0.9319.1000'
                New-Component 'Skype for Business Server 2015, Web Components Server' '6.0.9319.281'
            }

            $out = @(Get-PatchBotPatchVersion -Product SkypeForBusiness)

            $out | Should -BeExactly @(
                'Skype for Business Server 2015, Core Components 6.0.9319.272',
                'Skype for Business Server 2015, Front End Server 6.0.9319.1000',
                'Skype for Business Server 2015, Web Components Server 6.0.9319.281',
                '6.0.9319.1000'
            )
        }

        It 'fails when Get-CsServerPatchVersion lists nothing' {
            Mock -ModuleName PatchBot Get-CsServerPatchVersion { }

            Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product SkypeForBusiness } 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
        }
    }

    Context 'Lync2013' {
        It 'lists the installed Lync Server 2013 products from both uninstall keys, then the highest version' {
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
                '5.0.8308.1001'
            )
            Should -Invoke -ModuleName PatchBot Get-ItemProperty -Times 1 -Exactly -ParameterFilter { ($Path -join '|') -eq ($script:UninstallKeys -join '|') }
        }

        It 'fails when no Lync Server 2013 product is installed' {
            Mock -ModuleName PatchBot Get-ItemProperty {
                [pscustomobject]@{ DisplayName = 'Microsoft Visual C++ 2012 Redistributable (x64)'; DisplayVersion = '11.0.61030' }
            }

            Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product Lync2013 } 'No Microsoft Lync Server 2013 products are listed under installed programs, so the installed patch version is unknown. Check that Lync Server 2013 is installed on this server.'
        }
    }

    It 'refuses an unknown product' {
        Assert-ThrowsMessage { Get-PatchBotPatchVersion -Product Exchange2013 } "Cannot validate argument on parameter 'Product'. The argument `"Exchange2013`" does not belong to the set `"Lync2013,SkypeForBusiness`" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again."
    }
}

Describe 'Assert-PatchBotPatchVersion' {
    BeforeEach {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion {
            New-Component 'Skype for Business Server 2019, Core Components' '7.0.2046.404'
            New-Component 'Skype for Business Server 2019, Front End Server' '7.0.2046.530'
        }
    }

    It 'passes at exactly the expected version, and writes one line' {
        $out = @(Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530')

        $out | Should -BeExactly @('Patch version 7.0.2046.530 (expected 7.0.2046.530).')
    }

    It 'passes above the expected version, compared as a version and not as text' {
        Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.99' | Should -BeExactly 'Patch version 7.0.2046.530 (expected 7.0.2046.99).'
    }

    It 'reads Lync Server 2013 from the installed products' {
        Mock -ModuleName PatchBot Get-ItemProperty {
            [pscustomobject]@{ DisplayName = 'Microsoft Lync Server 2013, Core Components'; DisplayVersion = '5.0.8308.1001' }
        }

        Assert-PatchBotPatchVersion -Product Lync2013 -Expected '5.0.8308.1001' | Should -BeExactly 'Patch version 5.0.8308.1001 (expected 5.0.8308.1001).'
    }

    It 'fails below the expected version' {
        Assert-ThrowsMessage { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.1000' } 'Installed patch version is 7.0.2046.530; expected 7.0.2046.1000 or later. The update did not take effect: see the installer log, then run the update again.'
    }

    It 'fails with the reason when the version cannot be read' {
        Mock -ModuleName PatchBot Get-CsServerPatchVersion { }

        Assert-ThrowsMessage { Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530' } 'Get-CsServerPatchVersion listed no components, so the installed patch version is unknown. Check that Skype for Business Server is installed on this server.'
    }
}

Describe 'Install-PatchBotUpdate' {
    BeforeAll {
        $script:Installer = Join-Path $TestDrive '7.0.2046.530/SkypeServerUpdateInstaller.exe'
        New-Item -ItemType File -Path $script:Installer -Force | Out-Null
    }

    BeforeEach {
        $global:LASTEXITCODE = $null
    }

    It 'runs the installer silently and waits: exit code <Code>' -ForEach @(
        @{ Code = 0; Line = 'finished (exit code 0).' }
        @{ Code = 3010; Line = 'finished (exit code 3010): a restart is required to complete the update.' }
    ) {
        $exit = $Code
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = $exit } }

        $out = @(Install-PatchBotUpdate -Installer $script:Installer)

        $out | Should -BeExactly @("$script:Installer $Line")
        $global:LASTEXITCODE | Should -Be $Code
        Should -Invoke -ModuleName PatchBot Start-Process -Times 1 -Exactly -ParameterFilter {
            $FilePath -eq $script:Installer -and ($ArgumentList -join ' ') -eq '/silentmode' -and $Wait -and $PassThru
        }
    }

    It 'fails on any other exit code and leaves it in $LASTEXITCODE' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 1603 } }

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $script:Installer } "$script:Installer exited with code 1603. See the installer log next to it."
        $global:LASTEXITCODE | Should -Be 1603
    }

    It 'never starts a missing installer' {
        Mock -ModuleName PatchBot Start-Process { [pscustomobject]@{ ExitCode = 0 } }
        $missing = Join-Path $TestDrive '7.0.2046.530/LyncServerUpdateInstaller.exe'

        Assert-ThrowsMessage { Install-PatchBotUpdate -Installer $missing } "Cannot find the installer $missing. Extract the package again."
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
