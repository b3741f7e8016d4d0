# Pester tests of PatchBot.psm1's pre-checks: CsAdministrator membership, pending restart, free
# space, other management shells. Windows-only touchpoints (README.md next to the module) are
# mocked inside the module; commands that do not exist on Linux get a stub first so Pester can
# mock them, and the stub fails loudly if a test forgot the mock.

BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../src/runner/powershell/PatchBot.psm1'
    function global:whoami.exe { throw 'whoami.exe stub: the test must mock it.' }
    function global:Get-CimInstance {
        param([string] $ClassName, [string] $Filter)
        throw 'Get-CimInstance stub: the test must mock it.'
    }
    Import-Module $script:ModulePath -Force

    # The exact message, case included (-ExpectedMessage alone is a case-insensitive wildcard match).
    function Assert-ThrowsMessage([scriptblock] $Action, [string] $Message) {
        $thrown = $Action | Should -Throw -ExpectedMessage ([WildcardPattern]::Escape($Message)) -PassThru
        $thrown.Exception.Message | Should -BeExactly $Message
    }

    $script:SavedEnv = @{
        USERDOMAIN  = $env:USERDOMAIN
        USERNAME    = $env:USERNAME
        SystemDrive = $env:SystemDrive
    }
}

AfterAll {
    Remove-Module PatchBot -Force -ErrorAction SilentlyContinue
    Remove-Item -Path 'Function:\whoami.exe', 'Function:\Get-CimInstance' -ErrorAction SilentlyContinue
    $env:USERDOMAIN = $script:SavedEnv.USERDOMAIN
    $env:USERNAME = $script:SavedEnv.USERNAME
    $env:SystemDrive = $script:SavedEnv.SystemDrive
}

Describe 'Assert-PatchBotCsAdministrator' {
    BeforeEach {
        $env:USERDOMAIN = 'CONTOSO'
        $env:USERNAME = 'svc-patchbot'
        $global:LASTEXITCODE = $null
    }

    It 'names the CsAdministrator group the logon token holds' {
        Mock -ModuleName PatchBot whoami.exe {
            $global:LASTEXITCODE = 0
            '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"'
            '"CONTOSO\RTCUniversalServerAdmins","Group","S-1-5-21-1004336348-1177238915-682003330-1121","Mandatory group, Enabled by default, Enabled group"'
            '"CONTOSO\CsAdministrator","Group","S-1-5-21-1004336348-1177238915-682003330-1130","Mandatory group, Enabled by default, Enabled group"'
        }

        $out = @(Assert-PatchBotCsAdministrator)

        $out | Should -BeExactly @('CONTOSO\svc-patchbot is a member of CONTOSO\CsAdministrator.')
        Should -Invoke -ModuleName PatchBot whoami.exe -Times 1 -Exactly -ParameterFilter { ($args -join ' ') -eq '/groups /fo csv /nh' }
    }

    It 'refuses an account whose token has only look-alike groups' {
        Mock -ModuleName PatchBot whoami.exe {
            $global:LASTEXITCODE = 0
            '"CONTOSO\CsViewOnlyAdministrator","Group","S-1-5-21-1-2-3-1131","Mandatory group, Enabled by default, Enabled group"'
            '"CONTOSO\CsAdministrators-Old","Group","S-1-5-21-1-2-3-1132","Mandatory group, Enabled by default, Enabled group"'
        }

        Assert-ThrowsMessage { Assert-PatchBotCsAdministrator } 'CONTOSO\svc-patchbot is not a member of CsAdministrator (whoami /groups). Add the account, sign in again, then retry.'
    }

    It 'says so when whoami.exe fails, instead of reading its output' {
        Mock -ModuleName PatchBot whoami.exe {
            $global:LASTEXITCODE = 5
            '"CONTOSO\CsAdministrator","Group","S-1-5-21-1-2-3-1130","Mandatory group"'
        }

        Assert-ThrowsMessage { Assert-PatchBotCsAdministrator } 'whoami.exe /groups failed with exit code 5, so membership of CsAdministrator could not be checked. Run whoami /groups on the server to see why.'
    }
}

Describe 'Assert-PatchBotNoPendingReboot' {
    BeforeEach {
        Mock -ModuleName PatchBot Test-Path -ParameterFilter { $LiteralPath -like 'HKLM:*' } { $false }
        Mock -ModuleName PatchBot Get-ItemProperty { }
    }

    It 'passes when no flag is set, and reads every flag' {
        Assert-PatchBotNoPendingReboot | Should -BeExactly 'No restart pending.'

        Should -Invoke -ModuleName PatchBot Test-Path -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' }
        Should -Invoke -ModuleName PatchBot Test-Path -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' }
        Should -Invoke -ModuleName PatchBot Get-ItemProperty -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' }
        Should -Invoke -ModuleName PatchBot Get-ItemProperty -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq 'HKLM:\SOFTWARE\Microsoft\Updates' }
    }

    It 'passes when the rename list holds only empty entries and UpdateExeVolatile is 0' {
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Session Manager' } {
            [pscustomobject]@{ PendingFileRenameOperations = @('', '') }
        }
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Updates' } {
            [pscustomobject]@{ UpdateExeVolatile = 0 }
        }

        Assert-PatchBotNoPendingReboot | Should -BeExactly 'No restart pending.'
    }

    It 'passes when the keys exist without the flag values' {
        Mock -ModuleName PatchBot Get-ItemProperty { [pscustomobject]@{ Other = 1 } }

        Assert-PatchBotNoPendingReboot | Should -BeExactly 'No restart pending.'
    }

    It 'stops on <Reason>' -ForEach @(
        @{ Reason = 'Component Based Servicing\RebootPending'; Key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' }
        @{ Reason = 'WindowsUpdate\Auto Update\RebootRequired'; Key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' }
    ) {
        Mock -ModuleName PatchBot Test-Path -ParameterFilter { $LiteralPath -eq $Key } { $true }

        Assert-ThrowsMessage { Assert-PatchBotNoPendingReboot } "A restart is pending ($Reason). Restart the server before updating it."
    }

    It 'stops on pending file rename operations' {
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Session Manager' } {
            [pscustomobject]@{ PendingFileRenameOperations = @('\??\C:\Windows\Temp\x.dll', '') }
        }

        Assert-ThrowsMessage { Assert-PatchBotNoPendingReboot } 'A restart is pending (Session Manager\PendingFileRenameOperations). Restart the server before updating it.'
    }

    It 'stops on UpdateExeVolatile' {
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Updates' } {
            [pscustomobject]@{ UpdateExeVolatile = 1 }
        }

        Assert-ThrowsMessage { Assert-PatchBotNoPendingReboot } 'A restart is pending (Updates\UpdateExeVolatile). Restart the server before updating it.'
    }

    It 'lists every flag that is set' {
        Mock -ModuleName PatchBot Test-Path -ParameterFilter { $LiteralPath -like 'HKLM:*' } { $true }
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Session Manager' } {
            [pscustomobject]@{ PendingFileRenameOperations = @('\??\C:\x.dll') }
        }
        Mock -ModuleName PatchBot Get-ItemProperty -ParameterFilter { $LiteralPath -like '*\Updates' } {
            [pscustomobject]@{ UpdateExeVolatile = 2 }
        }

        Assert-ThrowsMessage { Assert-PatchBotNoPendingReboot } 'A restart is pending (Component Based Servicing\RebootPending; WindowsUpdate\Auto Update\RebootRequired; Session Manager\PendingFileRenameOperations; Updates\UpdateExeVolatile). Restart the server before updating it.'
    }
}

Describe 'Assert-PatchBotFreeSpace' {
    BeforeAll {
        # Drives C: and D: as the lab maps them: PowerShell drives onto real folders.
        New-Item -ItemType Directory -Path (Join-Path $TestDrive 'c'), (Join-Path $TestDrive 'd') | Out-Null
        New-PSDrive -Name C -PSProvider FileSystem -Root (Join-Path $TestDrive 'c') -Scope Global | Out-Null
        New-PSDrive -Name D -PSProvider FileSystem -Root (Join-Path $TestDrive 'd') -Scope Global | Out-Null
        $script:GB = 1073741824
    }

    AfterAll {
        Remove-PSDrive -Name C, D -Scope Global -ErrorAction SilentlyContinue
    }

    BeforeEach {
        $env:SystemDrive = 'C:'
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='C:'" } {
            [pscustomobject]@{ DeviceID = 'C:'; FreeSpace = [uint64] 45634027520 }
        }
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='D:'" } {
            [pscustomobject]@{ DeviceID = 'D:'; FreeSpace = [uint64] 128849018880 }
        }
    }

    It 'checks the staging drive once when it is the system drive' {
        $out = @(Assert-PatchBotFreeSpace -Path 'C:\PatchBot\staging' -MinimumGB 10)

        $out | Should -BeExactly @('C: 42.5 GB free (needs 10 GB).')
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 1 -Exactly
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 1 -Exactly -ParameterFilter { $ClassName -eq 'Win32_LogicalDisk' -and $Filter -eq "DeviceID='C:'" }
    }

    It 'checks the staging drive, then the system drive' {
        $out = @(Assert-PatchBotFreeSpace -Path 'd:\Patch Bot\staging' -MinimumGB 10)

        $out | Should -BeExactly @('D: 120 GB free (needs 10 GB).', 'C: 42.5 GB free (needs 10 GB).')
    }

    It 'writes the free space with a decimal point on a German server too' {
        $culture = [System.Globalization.CultureInfo]::CurrentCulture
        [System.Globalization.CultureInfo]::CurrentCulture = 'de-DE'
        try {
            $out = @(Assert-PatchBotFreeSpace -Path 'C:\staging' -MinimumGB 10)
        }
        finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $culture
        }

        $out | Should -BeExactly @('C: 42.5 GB free (needs 10 GB).')
    }

    It 'takes the drive of a relative path from the PowerShell location' {
        Push-Location 'D:\'
        try {
            $out = @(Assert-PatchBotFreeSpace -Path 'staging' -MinimumGB 10)
        }
        finally {
            Pop-Location
        }

        $out | Should -BeExactly @('D: 120 GB free (needs 10 GB).', 'C: 42.5 GB free (needs 10 GB).')
    }

    It 'checks only the staging drive when the system drive is unknown' {
        $env:SystemDrive = $null

        Assert-PatchBotFreeSpace -Path 'D:\staging' -MinimumGB 10 | Should -BeExactly 'D: 120 GB free (needs 10 GB).'
    }

    It 'passes with exactly the minimum free' {
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='C:'" } {
            [pscustomobject]@{ DeviceID = 'C:'; FreeSpace = [uint64] 10737418240 }
        }

        Assert-PatchBotFreeSpace -Path 'C:\staging' -MinimumGB 10 | Should -BeExactly 'C: 10 GB free (needs 10 GB).'
    }

    It 'fails one byte short of the minimum, and shows the free space rounded down' {
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='C:'" } {
            [pscustomobject]@{ DeviceID = 'C:'; FreeSpace = [uint64] 10737418239 }
        }

        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'C:\staging' -MinimumGB 10 } 'Only 9.9 GB free on C:; the update needs at least 10 GB. Free up space on C:, then retry.'
    }

    It 'stops at a full staging drive without looking further' {
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='D:'" } {
            [pscustomobject]@{ DeviceID = 'D:'; FreeSpace = [uint64] 3221225472 }
        }

        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'D:\staging' -MinimumGB 10 } 'Only 3 GB free on D:; the update needs at least 10 GB. Free up space on D:, then retry.'
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 0 -ParameterFilter { $Filter -eq "DeviceID='C:'" }
    }

    It 'fails on a full system drive even when the staging drive has room' {
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='C:'" } {
            [pscustomobject]@{ DeviceID = 'C:'; FreeSpace = [uint64] 2147483648 }
        }

        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'D:\staging' -MinimumGB 10 } 'Only 2 GB free on C:; the update needs at least 10 GB. Free up space on C:, then retry.'
    }

    It 'refuses a staging folder that is not on a local drive' {
        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path '\\fs01\share\staging' -MinimumGB 10 } 'The staging folder \\fs01\share\staging is not on a local drive. Use a folder such as C:\PatchBot\staging.'
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 0
    }

    It 'refuses a staging folder on a drive the server does not have' {
        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'Q:\staging' -MinimumGB 10 } "The staging folder Q:\staging is on a drive this server does not have (Cannot find drive. A drive with the name 'Q' does not exist). Use a folder on a local drive, such as C:\PatchBot\staging."
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 0
    }

    It 'fails when Windows reports <Case>' -ForEach @(
        @{ Case = 'no such drive'; Disk = $null }
        @{ Case = 'no free space value (a drive without media)'; Disk = [pscustomobject]@{ DeviceID = 'D:'; FreeSpace = $null } }
    ) {
        $disk = $Disk
        Mock -ModuleName PatchBot Get-CimInstance -ParameterFilter { $Filter -eq "DeviceID='D:'" } { $disk }

        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'D:\staging' -MinimumGB 10 } 'Windows reports no free space for drive D: (Win32_LogicalDisk), so it cannot be checked. Use a staging folder on a local fixed drive.'
    }

    It 'refuses a minimum outside 1..1000 GB' {
        Assert-ThrowsMessage { Assert-PatchBotFreeSpace -Path 'C:\staging' -MinimumGB 0 } "Cannot validate argument on parameter 'MinimumGB'. The 0 argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again."
        Should -Invoke -ModuleName PatchBot Get-CimInstance -Times 0
    }
}

Describe 'Assert-PatchBotNoOtherShells' {
    BeforeAll {
        function script:New-ShellProcess([int] $Id, [string] $Name, [string[]] $Modules) {
            $list = @($Modules | ForEach-Object { [pscustomobject]@{ ModuleName = $_ } })
            [pscustomobject]@{ Id = $Id; ProcessName = $Name; StartTime = [datetime] '2026-12-04 09:15:00'; Modules = $list }
        }
        $script:Plain = @('powershell.exe', 'ntdll.dll', 'System.Management.Automation.ni.dll')
        $script:Holding = $script:Plain + 'Microsoft.Rtc.Management.dll'
    }

    It 'passes when no other PowerShell process runs, and asks for all three shells' {
        Mock -ModuleName PatchBot Get-Process { }

        Assert-PatchBotNoOtherShells -Module Lync | Should -BeExactly 'No other PowerShell process holds the Lync module.'
        Should -Invoke -ModuleName PatchBot Get-Process -Times 1 -Exactly -ParameterFilter { ($Name -join ',') -eq 'powershell,powershell_ise,pwsh' }
    }

    It 'passes over shells without the module and over its own process' {
        $others = @(
            (New-ShellProcess -Id 100 -Name 'powershell' -Modules $script:Plain),
            (New-ShellProcess -Id $PID -Name 'pwsh' -Modules $script:Holding)
        )
        Mock -ModuleName PatchBot Get-Process { $others }

        Assert-PatchBotNoOtherShells -Module SkypeForBusiness | Should -BeExactly 'No other PowerShell process holds the SkypeForBusiness module.'
    }

    It 'names a shell that holds the management module' {
        $others = @(
            (New-ShellProcess -Id 100 -Name 'powershell' -Modules $script:Plain),
            (New-ShellProcess -Id 4242 -Name 'powershell_ise' -Modules $script:Holding)
        )
        Mock -ModuleName PatchBot Get-Process { $others }

        Assert-ThrowsMessage { Assert-PatchBotNoOtherShells -Module SkypeForBusiness } 'Other PowerShell processes may have the SkypeForBusiness module loaded: PID 4242 (powershell_ise, started 2026-12-04 09:15:00). Close them, then retry.'
    }

    It 'counts a shell whose modules cannot be read (PowerShell reads a failing property as $null)' {
        $denied = New-ShellProcess -Id 5150 -Name 'powershell' -Modules @()
        $denied.PSObject.Properties.Remove('Modules')
        $denied | Add-Member -MemberType ScriptProperty -Name Modules -Value { throw 'Access is denied' }
        $holder = New-ShellProcess -Id 4242 -Name 'pwsh' -Modules $script:Holding
        $holder.StartTime = $null
        Mock -ModuleName PatchBot Get-Process { $denied; $holder }

        Assert-ThrowsMessage { Assert-PatchBotNoOtherShells -Module Lync } 'Other PowerShell processes may have the Lync module loaded: PID 5150 (powershell, could not be inspected), 4242 (pwsh, started at an unknown time). Close them, then retry.'
    }

    It 'refuses a module other than Lync or SkypeForBusiness' {
        Mock -ModuleName PatchBot Get-Process { }

        Assert-ThrowsMessage { Assert-PatchBotNoOtherShells -Module Exchange } "Cannot validate argument on parameter 'Module'. The argument `"Exchange`" does not belong to the set `"Lync,SkypeForBusiness`" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again."
        Should -Invoke -ModuleName PatchBot Get-Process -Times 0
    }
}
