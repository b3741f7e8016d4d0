# Pester tests of PatchBot.psm1's staging steps: fetch, verify, extract. The file work (hash, copy,
# zip extraction) runs for real on files under $TestDrive; the download, the share copy and the
# Authenticode check are Windows touchpoints and are mocked inside the module.

BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../src/runner/powershell/PatchBot.psm1'
    function global:Get-AuthenticodeSignature {
        param([string] $LiteralPath)
        throw 'Get-AuthenticodeSignature stub: the test must mock it.'
    }
    Import-Module $script:ModulePath -Force
    Add-Type -AssemblyName System.IO.Compression.FileSystem

    # The exact message, case included (-ExpectedMessage alone is a case-insensitive wildcard match).
    function Assert-ThrowsMessage([scriptblock] $Action, [string] $Message) {
        $thrown = $Action | Should -Throw -ExpectedMessage ([WildcardPattern]::Escape($Message)) -PassThru
        $thrown.Exception.Message | Should -BeExactly $Message
    }

    function Write-Bytes([string] $Path, [string] $Text) {
        $folder = Split-Path -Parent $Path
        if (-not (Test-Path -LiteralPath $folder)) {
            New-Item -ItemType Directory -Path $folder | Out-Null
        }
        [System.IO.File]::WriteAllBytes($Path, [System.Text.Encoding]::ASCII.GetBytes($Text))
    }

    function Read-Text([string] $Path) {
        [System.Text.Encoding]::ASCII.GetString([System.IO.File]::ReadAllBytes($Path))
    }

    # SHA-256 of the three bytes 'abc' (the FIPS 180-2 example), so no test computes its own expectation.
    $script:AbcSha256 = 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'
    $script:Microsoft = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US'
}

AfterAll {
    Remove-Module PatchBot -Force -ErrorAction SilentlyContinue
    Remove-Item -Path 'Function:\Get-AuthenticodeSignature' -ErrorAction SilentlyContinue
}

Describe 'Save-PatchBotPackage' {
    BeforeEach {
        $dest = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $dest = Join-Path $dest 'SkypeServerUpdateInstaller.exe'
        Mock -ModuleName PatchBot Invoke-WebRequest { [System.IO.File]::WriteAllBytes($OutFile, [byte[]] (1..10)) }
        Mock -ModuleName PatchBot Copy-Item -ParameterFilter { $LiteralPath -like '\\*' } { [System.IO.File]::WriteAllBytes($Destination, [byte[]] (1..7)) }
    }

    It 'downloads an https source over TLS 1.2 into a new folder' {
        [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::SystemDefault
        $source = 'https://download.microsoft.com/download/9/3/4/SkypeServerUpdateInstaller.exe'

        $out = @(Save-PatchBotPackage -Source $source -Destination $dest)

        $out | Should -BeExactly @("Saved $source to $dest (10 bytes).")
        Should -Invoke -ModuleName PatchBot Invoke-WebRequest -Times 1 -Exactly -ParameterFilter { $Uri -eq $source -and $OutFile -eq $dest -and $UseBasicParsing }
        ([Net.ServicePointManager]::SecurityProtocol -band [Net.SecurityProtocolType]::Tls12) | Should -Be ([Net.SecurityProtocolType]::Tls12)
        Should -Invoke -ModuleName PatchBot Copy-Item -Times 0
    }

    It 'copies a UNC source into a folder that already exists' {
        New-Item -ItemType Directory -Path (Split-Path -Parent $dest) | Out-Null
        $source = '\\fs01\updates$\SfB CU\SkypeServerUpdateInstaller.exe'

        $out = @(Save-PatchBotPackage -Source $source -Destination $dest)

        $out | Should -BeExactly @("Saved $source to $dest (7 bytes).")
        Should -Invoke -ModuleName PatchBot Copy-Item -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq $source -and $Destination -eq $dest -and $Force }
        Should -Invoke -ModuleName PatchBot Invoke-WebRequest -Times 0
    }

    It 'says which download failed and why, also for a non-terminating error' {
        # As a cmdlet does: a non-terminating error stops the caller only under -ErrorAction Stop.
        Mock -ModuleName PatchBot Invoke-WebRequest {
            Write-Error "The remote name could not be resolved: 'download.contoso.com'." -ErrorAction $PesterBoundParameters['ErrorAction']
        }

        Assert-ThrowsMessage { Save-PatchBotPackage -Source 'https://download.contoso.com/cu/x.exe' -Destination $dest } "Download of https://download.contoso.com/cu/x.exe failed: The remote name could not be resolved: 'download.contoso.com'. Check the address and that this server can reach it."
    }

    It 'says which download failed on an HTTP error' {
        Mock -ModuleName PatchBot Invoke-WebRequest { throw 'Response status code does not indicate success: 404 (Not Found).' }

        Assert-ThrowsMessage { Save-PatchBotPackage -Source 'https://download.microsoft.com/x.exe' -Destination $dest } 'Download of https://download.microsoft.com/x.exe failed: Response status code does not indicate success: 404 (Not Found). Check the address and that this server can reach it.'
    }

    It 'says which share copy failed and why' {
        Mock -ModuleName PatchBot Copy-Item -ParameterFilter { $LiteralPath -like '\\*' } {
            Write-Error "Cannot find path '\\fs01\updates\x.exe' because it does not exist." -ErrorAction $PesterBoundParameters['ErrorAction']
        }

        Assert-ThrowsMessage { Save-PatchBotPackage -Source '\\fs01\updates\x.exe' -Destination $dest } "Copy of \\fs01\updates\x.exe failed: Cannot find path '\\fs01\updates\x.exe' because it does not exist. Check the share path and that this account can read it."
    }

    It 'refuses <Source> before touching anything' -ForEach @(
        @{ Source = 'http://download.microsoft.com/x.exe' }
        @{ Source = 'ftp://fs01/x.exe' }
        @{ Source = 'C:\Downloads\x.exe' }
    ) {
        Assert-ThrowsMessage { Save-PatchBotPackage -Source $Source -Destination $dest } "The package source '$Source' is neither an https:// URL nor a UNC path (\\server\share\file). Correct the package source, then retry."
        Should -Invoke -ModuleName PatchBot Invoke-WebRequest -Times 0
        Should -Invoke -ModuleName PatchBot Copy-Item -Times 0
        Test-Path -LiteralPath (Split-Path -Parent $dest) | Should -BeFalse
    }
}

Describe 'Assert-PatchBotFileHash' {
    BeforeAll {
        $script:Exe = Join-Path $TestDrive 'staging/SkypeServerUpdateInstaller.exe'
        $script:Zip = Join-Path $TestDrive 'staging/update.zip'
        Write-Bytes $script:Exe 'abc'
        Write-Bytes $script:Zip 'abc'
    }

    BeforeEach {
        Mock -ModuleName PatchBot Get-AuthenticodeSignature {
            [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = $script:Microsoft } }
        }
    }

    It 'accepts the published hash, in either case, and a Microsoft signature on an .exe' -ForEach @(
        @{ Given = 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD' }
        @{ Given = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' }
    ) {
        $out = @(Assert-PatchBotFileHash -Path $script:Exe -Sha256 $Given)

        $out | Should -BeExactly @("SHA-256 $script:AbcSha256 matches.")
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq $script:Exe }
    }

    It 'reads a path relative to the PowerShell location, not the process directory' {
        Push-Location (Join-Path $TestDrive 'staging')
        try {
            $out = @(Assert-PatchBotFileHash -Path 'update.zip' -Sha256 $script:AbcSha256)
        }
        finally {
            Pop-Location
        }

        $out | Should -BeExactly @("SHA-256 $script:AbcSha256 matches.")
    }

    It 'reads a path on a PowerShell drive' {
        New-PSDrive -Name C -PSProvider FileSystem -Root $TestDrive -Scope Global | Out-Null
        try {
            $out = @(Assert-PatchBotFileHash -Path 'C:\staging\update.zip' -Sha256 $script:AbcSha256)
        }
        finally {
            Remove-PSDrive -Name C -Scope Global
        }

        $out | Should -BeExactly @("SHA-256 $script:AbcSha256 matches.")
    }

    It 'checks no signature on a .zip' {
        Assert-PatchBotFileHash -Path $script:Zip -Sha256 $script:AbcSha256 | Should -BeExactly "SHA-256 $script:AbcSha256 matches."
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 0
    }

    It 'reports a hash mismatch as such, and no signature check runs after it' {
        $expected = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'

        Assert-ThrowsMessage { Assert-PatchBotFileHash -Path $script:Exe -Sha256 $expected.ToLowerInvariant() } "SHA-256 of $script:Exe is $script:AbcSha256, expected $expected. The package is not the published one; download it again."
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 0
    }

    It 'reports a missing package' {
        $missing = Join-Path $TestDrive 'staging/missing.exe'

        Assert-ThrowsMessage { Assert-PatchBotFileHash -Path $missing -Sha256 $script:AbcSha256 } "The package file $missing does not exist. Download the package again."
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 0
    }

    It 'refuses an .exe whose signature is <Status>' -ForEach @(
        @{ Status = 'HashMismatch'; Signer = [pscustomobject]@{ Subject = 'CN=Microsoft Corporation, O=Microsoft Corporation, C=US' } }
        @{ Status = 'NotSigned'; Signer = $null }
    ) {
        $signature = [pscustomobject]@{ Status = $Status; SignerCertificate = $Signer }
        Mock -ModuleName PatchBot Get-AuthenticodeSignature { $signature }

        Assert-ThrowsMessage { Assert-PatchBotFileHash -Path $script:Exe -Sha256 $script:AbcSha256 } "The Authenticode signature of $script:Exe is not valid ($Status). Download the package again from Microsoft."
    }

    It 'refuses an .exe validly signed by someone else' {
        Mock -ModuleName PatchBot Get-AuthenticodeSignature {
            [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = 'CN=Contoso Ltd, O=Contoso Ltd, C=US' } }
        }

        Assert-ThrowsMessage { Assert-PatchBotFileHash -Path $script:Exe -Sha256 $script:AbcSha256 } "$script:Exe is signed by 'CN=Contoso Ltd, O=Contoso Ltd, C=US', not by Microsoft Corporation. Use the package Microsoft publishes."
    }

    It 'refuses an expected hash that is not 64 hex digits' {
        Assert-ThrowsMessage { Assert-PatchBotFileHash -Path $script:Exe -Sha256 'abc' } "Cannot validate argument on parameter 'Sha256'. The argument `"abc`" does not match the `"^[0-9A-Fa-f]{64}$`" pattern. Supply an argument that matches `"^[0-9A-Fa-f]{64}$`" and try the command again."
    }
}

Describe 'Expand-PatchBotPackage' {
    BeforeAll {
        $content = Join-Path $TestDrive 'content'
        Write-Bytes (Join-Path $content 'SkypeServerUpdateInstaller.exe') 'the installer'
        Write-Bytes (Join-Path $content 'docs/readme.txt') 'read me'
        New-Item -ItemType Directory -Path (Join-Path $content 'logs') | Out-Null
        $script:Package = Join-Path $TestDrive 'staging/update.zip'
        New-Item -ItemType Directory -Path (Split-Path -Parent $script:Package) -Force | Out-Null
        [System.IO.Compression.ZipFile]::CreateFromDirectory($content, $script:Package)
        $script:ExePackage = Join-Path $TestDrive 'staging/SkypeServerUpdateInstaller.exe'
        Write-Bytes $script:ExePackage 'the installer as shipped'
    }

    BeforeEach {
        $dest = Join-Path $TestDrive ('extract-' + [guid]::NewGuid().ToString('N'))
        Mock -ModuleName PatchBot Get-AuthenticodeSignature {
            [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = $script:Microsoft } }
        }
    }

    It 'extracts a zip into a new folder, then checks the signature of the installer it held' {
        $out = @(Expand-PatchBotPackage -Path $script:Package -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe')

        $out | Should -BeExactly @('SkypeServerUpdateInstaller.exe is signed by Microsoft Corporation.', "SkypeServerUpdateInstaller.exe is ready in $dest.")
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 1 -Exactly -ParameterFilter { $LiteralPath -eq (Join-Path $dest 'SkypeServerUpdateInstaller.exe') }
        Read-Text (Join-Path $dest 'SkypeServerUpdateInstaller.exe') | Should -BeExactly 'the installer'
        Read-Text (Join-Path $dest 'docs/readme.txt') | Should -BeExactly 'read me'
        Test-Path -LiteralPath (Join-Path $dest 'logs') -PathType Container | Should -BeTrue
    }

    It 'extracts again over an earlier extraction (the step is retried)' {
        Write-Bytes (Join-Path $dest 'SkypeServerUpdateInstaller.exe') 'half-written'

        Expand-PatchBotPackage -Path $script:Package -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' | Select-Object -Last 1 | Should -BeExactly "SkypeServerUpdateInstaller.exe is ready in $dest."
        Read-Text (Join-Path $dest 'SkypeServerUpdateInstaller.exe') | Should -BeExactly 'the installer'
    }

    It 'extracts a zip given by PowerShell drive paths' {
        New-PSDrive -Name C -PSProvider FileSystem -Root $TestDrive -Scope Global | Out-Null
        try {
            $out = @(Expand-PatchBotPackage -Path 'C:\staging\update.zip' -Destination 'C:\staging\7.0.2046.530' -Installer 'SkypeServerUpdateInstaller.exe')
        }
        finally {
            Remove-PSDrive -Name C -Scope Global
        }

        $out | Should -BeExactly @('SkypeServerUpdateInstaller.exe is signed by Microsoft Corporation.', 'SkypeServerUpdateInstaller.exe is ready in C:\staging\7.0.2046.530.')
        Read-Text (Join-Path $TestDrive 'staging/7.0.2046.530/SkypeServerUpdateInstaller.exe') | Should -BeExactly 'the installer'
    }

    It 'copies an .exe package as the installer' {
        $out = @(Expand-PatchBotPackage -Path $script:ExePackage -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe')

        $out | Should -BeExactly @("SkypeServerUpdateInstaller.exe is ready in $dest.")
        Read-Text (Join-Path $dest 'SkypeServerUpdateInstaller.exe') | Should -BeExactly 'the installer as shipped'
        # The .exe package's own signature was checked with its hash (stage.verify).
        Should -Invoke -ModuleName PatchBot Get-AuthenticodeSignature -Times 0
    }

    It 'refuses the installer from a zip when its signature is <Status>' -ForEach @(
        @{ Status = 'NotSigned' }
        @{ Status = 'HashMismatch' }
    ) {
        $status = $Status
        Mock -ModuleName PatchBot Get-AuthenticodeSignature { [pscustomobject]@{ Status = $status; SignerCertificate = $null } }
        $installer = Join-Path $dest 'SkypeServerUpdateInstaller.exe'

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $script:Package -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "The Authenticode signature of $installer is not valid ($Status). Download the package again from Microsoft."
    }

    It 'refuses the installer from a zip validly signed by someone else' {
        Mock -ModuleName PatchBot Get-AuthenticodeSignature {
            [pscustomobject]@{ Status = 'Valid'; SignerCertificate = [pscustomobject]@{ Subject = 'CN=Contoso Ltd, O=Contoso Ltd, C=US' } }
        }
        $installer = Join-Path $dest 'SkypeServerUpdateInstaller.exe'

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $script:Package -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "$installer is signed by 'CN=Contoso Ltd, O=Contoso Ltd, C=US', not by Microsoft Corporation. Use the package Microsoft publishes."
    }

    It 'reports a missing package and creates nothing' {
        $missing = Join-Path $TestDrive 'staging/missing.zip'

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $missing -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "The package file $missing does not exist. Download the package again."
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It 'refuses a package that is neither .zip nor .exe and creates nothing' {
        $msi = Join-Path $TestDrive 'staging/update.msi'
        Write-Bytes $msi 'msi'

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $msi -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "The package $msi is neither a .zip nor an .exe file, so it cannot be extracted. Use the package Microsoft publishes."
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It 'reports a .zip that is not a zip archive' {
        $broken = Join-Path $TestDrive 'staging/broken.zip'
        Write-Bytes $broken 'this is not a zip archive, only text'

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $broken -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "The package $broken is not a readable zip file (End of Central Directory record could not be found). Download the package again."
    }

    It 'refuses a zip entry that points outside the destination and writes nothing there' {
        $evil = Join-Path $TestDrive 'staging/evil.zip'
        $archive = [System.IO.Compression.ZipFile]::Open($evil, [System.IO.Compression.ZipArchiveMode]::Create)
        try {
            $writer = New-Object System.IO.StreamWriter -ArgumentList $archive.CreateEntry('../escaped.txt').Open()
            $writer.Write('escaped')
            $writer.Dispose()
        }
        finally {
            $archive.Dispose()
        }

        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $evil -Destination $dest -Installer 'SkypeServerUpdateInstaller.exe' } "The package $evil contains the entry '../escaped.txt', which points outside $dest. The package is not genuine; do not use it."
        Test-Path -LiteralPath (Join-Path $TestDrive 'escaped.txt') | Should -BeFalse
    }

    It 'reports a package without the installer' {
        Assert-ThrowsMessage { Expand-PatchBotPackage -Path $script:Package -Destination $dest -Installer 'LyncServerUpdateInstaller.exe' } "LyncServerUpdateInstaller.exe was not found in the package $script:Package. Check that the package is the update for this product."
    }
}
