<#
.SYNOPSIS
    The old-PowerShell gate: finds what Windows PowerShell at the floor version (3.0) cannot run.

.DESCRIPTION
    Lync Server 2013 and Skype for Business Server 2015 servers may have only Windows PowerShell
    3.0, but the tests run PowerShell 7, which accepts far more. This script parses each file and
    command line with PowerShell's own parser ([System.Management.Automation.Language.Parser])
    and reports, as JSON:
      - parse errors;
      - syntax newer than the floor (7.x: ternary, ??, ??=, && / ||, ?. and ?[], clean blocks;
        6.x: background &, `e and `u{} escapes, new numeric suffixes, -replace with a script
        block; 5.0: class, enum, using, [T]::new(); 4.0: .Where() / .ForEach());
      - #Requires lines that ask for more than the floor;
      - files with non-ASCII text and no byte order mark (Windows PowerShell misreads them);
      - commands and parameters newer than the floor, from the table below.
    It also reports what the tests' allow-lists need: every command's name and arguments, the
    top-level statements and the functions each text defines.

    Runs on PowerShell 7 (the AST types of 7-only syntax exist only there); it is itself written
    for PowerShell 3.0, so the gate checks it too.

.PARAMETER RequestFile
    JSON: { "floor": "3.0", "items": [ { "name": "...", "path": "file.ps1" } or
    { "name": "...", "text": "one command line" } ] }. An item may carry its own "floor".

.PARAMETER Path
    Files to check (instead of -RequestFile).

.PARAMETER Command
    Command lines to check (instead of -RequestFile).

.PARAMETER OutFile
    Where to write the JSON report; standard output when omitted.

.EXAMPLE
    pwsh -NoProfile -File test/powershell/Test-PowerShellFloor.ps1 -Path src/runner/powershell/PatchBot.psm1
#>
[CmdletBinding(DefaultParameterSetName = 'Direct')]
param(
    [Parameter(ParameterSetName = 'Request', Mandatory = $true)]
    [string] $RequestFile,

    [Parameter(ParameterSetName = 'Direct')]
    [string[]] $Path = @(),

    [Parameter(ParameterSetName = 'Direct')]
    [string[]] $Command = @(),

    [ValidatePattern('^\d+\.\d+$')]
    [string] $Floor = '3.0',

    [string] $OutFile = ''
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# ---------------------------------------------------------------------------------------------
# THE TABLE: commands and parameters that Windows PowerShell 3.0 does not have, with the version
# that brought them (Microsoft Learn: each cmdlet's page and the "what's new" articles). A command
# or parameter missing here is not checked; add it here, and nowhere else.
# ---------------------------------------------------------------------------------------------
$NewerCommands = @{
    # 4.0
    'Get-FileHash'                 = '4.0'
    # 5.0
    'Expand-Archive'               = '5.0'
    'Compress-Archive'             = '5.0'
    'New-TemporaryFile'            = '5.0'
    'Get-Clipboard'                = '5.0'
    'Set-Clipboard'                = '5.0'
    'ConvertFrom-String'           = '5.0'
    'Convert-String'               = '5.0'
    'Format-Hex'                   = '5.0'
    'Get-ItemPropertyValue'        = '5.0'
    'New-Guid'                     = '5.0'
    'Clear-RecycleBin'             = '5.0'
    'Write-Information'            = '5.0'
    'Import-PowerShellDataFile'    = '5.0'
    'New-FileCatalog'              = '5.0'
    'Test-FileCatalog'             = '5.0'
    'Protect-CmsMessage'           = '5.0'
    'Unprotect-CmsMessage'         = '5.0'
    'Get-CmsMessage'               = '5.0'
    'Register-ArgumentCompleter'   = '5.0'
    'Get-Runspace'                 = '5.0'
    'Debug-Runspace'               = '5.0'
    'Enable-RunspaceDebug'         = '5.0'
    'Disable-RunspaceDebug'        = '5.0'
    'Get-RunspaceDebug'            = '5.0'
    'Wait-Debugger'                = '5.0'
    'Debug-Job'                    = '5.0'
    'Enter-PSHostProcess'          = '5.0'
    'Exit-PSHostProcess'           = '5.0'
    'Get-PSHostProcessInfo'        = '5.0'
    'New-PSRoleCapabilityFile'     = '5.0'
    'Find-Module'                  = '5.0'
    'Install-Module'               = '5.0'
    'Save-Module'                  = '5.0'
    'Update-Module'                = '5.0'
    'Find-Package'                 = '5.0'
    'Install-Package'              = '5.0'
    'Get-Package'                  = '5.0'
    'Get-PackageProvider'          = '5.0'
    'Install-PackageProvider'      = '5.0'
    # 5.1 (Microsoft.PowerShell.LocalAccounts and others)
    'Get-LocalUser'                = '5.1'
    'New-LocalUser'                = '5.1'
    'Set-LocalUser'                = '5.1'
    'Remove-LocalUser'             = '5.1'
    'Rename-LocalUser'             = '5.1'
    'Enable-LocalUser'             = '5.1'
    'Disable-LocalUser'            = '5.1'
    'Get-LocalGroup'               = '5.1'
    'New-LocalGroup'               = '5.1'
    'Set-LocalGroup'               = '5.1'
    'Remove-LocalGroup'            = '5.1'
    'Rename-LocalGroup'            = '5.1'
    'Get-LocalGroupMember'         = '5.1'
    'Add-LocalGroupMember'         = '5.1'
    'Remove-LocalGroupMember'      = '5.1'
    'Get-ComputerInfo'             = '5.1'
    'Get-TimeZone'                 = '5.1'
    'Set-TimeZone'                 = '5.1'
    # PowerShell 6 and 7 only (never in Windows PowerShell)
    'Get-Uptime'                   = '6.0'
    'Remove-Alias'                 = '6.0'
    'Remove-Service'               = '6.0'
    'Test-Json'                    = '6.1'
    'ConvertFrom-Markdown'         = '6.1'
    'Show-Markdown'                = '6.1'
    'Get-MarkdownOption'           = '6.1'
    'Set-MarkdownOption'           = '6.1'
    'Join-String'                  = '6.2'
    'Get-ExperimentalFeature'      = '6.2'
    'Enable-ExperimentalFeature'   = '6.2'
    'Disable-ExperimentalFeature'  = '6.2'
    'Get-Error'                    = '7.0'
    'Get-SecureRandom'             = '7.4'
    'ConvertTo-CliXml'             = '7.5'
    'ConvertFrom-CliXml'           = '7.5'
}

# Command '*': a common parameter, which every cmdlet and advanced function takes.
$NewerParameters = @(
    @{ Command = '*'; Parameter = 'PipelineVariable'; Since = '4.0'; Alias = 'pv' }
    @{ Command = '*'; Parameter = 'InformationAction'; Since = '5.0'; Alias = 'infa' }
    @{ Command = '*'; Parameter = 'InformationVariable'; Since = '5.0'; Alias = 'iv' }
    @{ Command = '*'; Parameter = 'ProgressAction'; Since = '7.4'; Alias = 'proga' }
    @{ Command = 'ForEach-Object'; Parameter = 'Parallel'; Since = '7.0' }
    @{ Command = 'ForEach-Object'; Parameter = 'ThrottleLimit'; Since = '7.0' }
    @{ Command = 'ForEach-Object'; Parameter = 'TimeoutSeconds'; Since = '7.0' }
    @{ Command = 'ForEach-Object'; Parameter = 'AsJob'; Since = '7.0' }
    @{ Command = 'Get-ChildItem'; Parameter = 'Depth'; Since = '5.0' }
    @{ Command = 'Get-Process'; Parameter = 'IncludeUserName'; Since = '4.0' }
    @{ Command = 'Select-Object'; Parameter = 'SkipLast'; Since = '5.0' }
    @{ Command = 'Out-File'; Parameter = 'NoNewline'; Since = '5.0' }
    @{ Command = 'Set-Content'; Parameter = 'NoNewline'; Since = '5.0' }
    @{ Command = 'Add-Content'; Parameter = 'NoNewline'; Since = '5.0' }
    @{ Command = 'Copy-Item'; Parameter = 'ToSession'; Since = '5.0' }
    @{ Command = 'Copy-Item'; Parameter = 'FromSession'; Since = '5.0' }
    @{ Command = 'Get-Content'; Parameter = 'AsByteStream'; Since = '6.0' }
    @{ Command = 'Set-Content'; Parameter = 'AsByteStream'; Since = '6.0' }
    @{ Command = 'Add-Content'; Parameter = 'AsByteStream'; Since = '6.0' }
    @{ Command = 'ConvertTo-Json'; Parameter = 'AsArray'; Since = '6.2' }
    @{ Command = 'ConvertTo-Json'; Parameter = 'EscapeHandling'; Since = '6.2' }
    @{ Command = 'ConvertFrom-Json'; Parameter = 'AsHashtable'; Since = '6.0' }
    @{ Command = 'ConvertFrom-Json'; Parameter = 'Depth'; Since = '6.2' }
    @{ Command = 'ConvertFrom-Json'; Parameter = 'NoEnumerate'; Since = '7.0' }
    @{ Command = 'Join-Path'; Parameter = 'AdditionalChildPath'; Since = '6.0' }
    @{ Command = 'Split-Path'; Parameter = 'LeafBase'; Since = '6.0' }
    @{ Command = 'Split-Path'; Parameter = 'Extension'; Since = '6.0' }
    @{ Command = 'Export-Csv'; Parameter = 'IncludeTypeInformation'; Since = '6.0' }
    @{ Command = 'Export-Csv'; Parameter = 'UseQuotes'; Since = '7.0' }
    @{ Command = 'Export-Csv'; Parameter = 'QuoteFields'; Since = '7.0' }
    @{ Command = 'ConvertTo-Csv'; Parameter = 'IncludeTypeInformation'; Since = '6.0' }
    @{ Command = 'ConvertTo-Csv'; Parameter = 'UseQuotes'; Since = '7.0' }
    @{ Command = 'ConvertTo-Csv'; Parameter = 'QuoteFields'; Since = '7.0' }
    @{ Command = 'Select-String'; Parameter = 'Raw'; Since = '7.0' }
    @{ Command = 'Select-String'; Parameter = 'NoEmphasis'; Since = '7.0' }
    @{ Command = 'Get-Date'; Parameter = 'AsUTC'; Since = '7.1' }
    @{ Command = 'Import-Module'; Parameter = 'UseWindowsPowerShell'; Since = '7.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'SkipCertificateCheck'; Since = '6.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'SslProtocol'; Since = '6.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'Authentication'; Since = '6.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'Token'; Since = '6.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'NoProxy'; Since = '6.0' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'Form'; Since = '6.1' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'Resume'; Since = '6.1' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'MaximumRetryCount'; Since = '6.1' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'RetryIntervalSec'; Since = '6.1' }
    @{ Command = 'Invoke-WebRequest'; Parameter = 'SkipHttpErrorCheck'; Since = '7.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'SkipCertificateCheck'; Since = '6.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'SslProtocol'; Since = '6.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'Authentication'; Since = '6.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'Token'; Since = '6.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'NoProxy'; Since = '6.0' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'Form'; Since = '6.1' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'MaximumRetryCount'; Since = '6.1' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'RetryIntervalSec'; Since = '6.1' }
    @{ Command = 'Invoke-RestMethod'; Parameter = 'SkipHttpErrorCheck'; Since = '7.0' }
)
# ---------------------------------------------------------------------------------------------

# Aliases as this PowerShell knows them, so that `% -Parallel` counts as ForEach-Object.
$AliasTarget = @{}
foreach ($alias in @(Get-Alias)) {
    $AliasTarget[$alias.Name] = $alias.Definition
}
$ParameterNamesCache = @{}
$ParameterRulesByCommand = @{}
foreach ($rule in $NewerParameters) {
    if (-not $ParameterRulesByCommand.ContainsKey($rule.Command)) {
        $ParameterRulesByCommand[$rule.Command] = @()
    }
    $ParameterRulesByCommand[$rule.Command] += $rule
}
# The AST node types Get-SyntaxFinding looks at; other nodes are skipped quickly.
$SyntaxNodeTypes = @{}
foreach ($type in @('TernaryExpressionAst', 'PipelineChainAst', 'BinaryExpressionAst', 'AssignmentStatementAst',
        'MemberExpressionAst', 'InvokeMemberExpressionAst', 'IndexExpressionAst', 'PipelineAst', 'ScriptBlockAst',
        'TypeDefinitionAst', 'UsingStatementAst', 'ConfigurationDefinitionAst', 'StringConstantExpressionAst',
        'ExpandableStringExpressionAst', 'ConstantExpressionAst')) {
    $SyntaxNodeTypes[$type] = $true
}
$script:RequiresTokens = @()
$AnyNode = { $true }

function New-Finding {
    param($Extent, [string] $Rule, [string] $Since, [string] $Message)
    $text = $Extent.Text
    if ($text.Length -gt 80) {
        $text = $text.Substring(0, 77) + '...'
    }
    ([pscustomobject]@{
            rule    = $Rule
            since   = $Since
            line    = $Extent.StartLineNumber
            column  = $Extent.StartColumnNumber
            text    = $text
            message = $Message
        })
}

function Test-Newer {
    param([string] $Since, [version] $ItemFloor)
    ([version] $Since) -gt $ItemFloor
}

function Get-PropertyValue {
    # A property that only newer PowerShell versions' AST types have; $null where it is missing.
    param($Object, [string] $Name)
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) {
        return $null
    }
    $property.Value
}

function Get-ParameterNames {
    # Names and aliases of a command's parameters in this PowerShell, to resolve abbreviations the
    # way the binder does; empty when the command does not exist here.
    param([string] $Name)
    if (-not $ParameterNamesCache.ContainsKey($Name)) {
        $names = @()
        $info = Get-Command -Name $Name -CommandType Cmdlet, Function -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($null -ne $info -and $null -ne $info.Parameters) {
            foreach ($parameter in $info.Parameters.Values) {
                $names += @{ Name = $parameter.Name; Aliases = @($parameter.Aliases) }
            }
        }
        $ParameterNamesCache[$Name] = $names
    }
    $ParameterNamesCache[$Name]
}

function Resolve-ParameterName {
    # The full parameter name a written one (maybe abbreviated) binds to, or $null.
    param([string] $Command, [string] $Written)
    $known = @(Get-ParameterNames -Name $Command)
    if ($known.Count -eq 0) {
        return $null
    }
    foreach ($parameter in $known) {
        if ($parameter.Name -eq $Written -or $parameter.Aliases -contains $Written) {
            return $parameter.Name
        }
    }
    $matching = @($known | Where-Object { $_.Name -like "$Written*" })
    if ($matching.Count -eq 1) {
        return $matching[0].Name
    }
    $null
}

function Get-CommandDetail {
    param($CommandAst)
    $elements = @()
    foreach ($element in $CommandAst.CommandElements) {
        $value = $null
        $quote = $null
        if ($element.GetType().Name -eq 'StringConstantExpressionAst') {
            $value = $element.Value
            $quote = $element.StringConstantType.ToString()
        }
        elseif ($element.GetType().Name -eq 'CommandParameterAst') {
            $value = $element.ParameterName
        }
        $elements += [pscustomobject]@{ type = $element.GetType().Name; text = $element.Extent.Text; value = $value; quote = $quote }
    }
    ([pscustomobject]@{
            name     = $CommandAst.GetCommandName()
            line     = $CommandAst.Extent.StartLineNumber
            elements = $elements
        })
}

function Get-CommandFinding {
    param($CommandAst, [version] $ItemFloor)
    $written = $CommandAst.GetCommandName()
    if ($null -eq $written) {
        return
    }
    # Module-qualified (Microsoft.PowerShell.Utility\Get-FileHash) and alias forms count too.
    $name = ($written -split '\\')[-1]
    if ($AliasTarget.ContainsKey($name)) {
        $name = $AliasTarget[$name]
    }
    if ($NewerCommands.ContainsKey($name) -and (Test-Newer $NewerCommands[$name] $ItemFloor)) {
        $since = $NewerCommands[$name]
        New-Finding $CommandAst.Extent 'command' $since "$name needs PowerShell $since"
    }
    $rules = @($ParameterRulesByCommand['*'])
    if ($ParameterRulesByCommand.ContainsKey($name)) {
        $rules += $ParameterRulesByCommand[$name]
    }
    foreach ($rule in $rules) {
        if (-not (Test-Newer $rule.Since $ItemFloor)) {
            continue
        }
        foreach ($element in $CommandAst.CommandElements) {
            if ($element.GetType().Name -ne 'CommandParameterAst') {
                continue
            }
            $resolved = Resolve-ParameterName -Command $name -Written $element.ParameterName
            if ($null -eq $resolved) {
                # A command this PowerShell lacks (a Cs cmdlet, a function of the text): the table's
                # alias, or an abbreviation of three letters or more.
                if (($rule.ContainsKey('Alias') -and $rule.Alias -eq $element.ParameterName) -or
                    ($rule.Parameter -like "$($element.ParameterName)*" -and $element.ParameterName.Length -ge 3)) {
                    $resolved = $rule.Parameter
                }
            }
            if ($resolved -eq $rule.Parameter) {
                New-Finding $element.Extent 'parameter' $rule.Since "$name -$($rule.Parameter) needs PowerShell $($rule.Since)"
            }
        }
    }
}

function Get-EscapeFinding {
    # Escapes only work in double-quoted strings; an even run of backticks escapes itself.
    param($Node)
    if ($Node.StringConstantType.ToString() -like 'DoubleQuoted*' -and $Node.Extent.Text -match '(?<!`)(?:``)*`(e|u\{)') {
        New-Finding $Node.Extent 'syntax' '6.0' "escape ``$($Matches[1]) needs PowerShell 6.0 (older versions print the letter)"
    }
}

function Get-EncodingFinding {
    # Windows PowerShell reads a file without a byte order mark in the ANSI code page, so UTF-8
    # text beyond ASCII turns into other characters there (PowerShell 6 and later assume UTF-8).
    param([string] $File, $Ast)
    $bytes = [System.IO.File]::ReadAllBytes($File)
    $hasBom = ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF) -or
        ($bytes.Length -ge 2 -and (($bytes[0] -eq 0xFF -and $bytes[1] -eq 0xFE) -or ($bytes[0] -eq 0xFE -and $bytes[1] -eq 0xFF)))
    if ($hasBom) {
        return
    }
    $lines = $Ast.Extent.Text -split "`n"
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $match = [regex]::Match($lines[$i], '[^\x00-\x7F]')
        if ($match.Success) {
            $text = $lines[$i].Trim()
            if ($text.Length -gt 80) {
                $text = $text.Substring(0, 77) + '...'
            }
            return [pscustomobject]@{
                rule    = 'encoding'
                since   = '6.0'
                line    = $i + 1
                column  = $match.Index + 1
                text    = $text
                message = 'non-ASCII text in a file without a byte order mark: Windows PowerShell reads it in the ANSI code page; save it as UTF-8 with BOM, or keep it ASCII'
            }
        }
    }
}

function Get-RequiresExtent {
    # The #Requires line that names the keyword, else the whole script.
    param($ScriptBlock, [string] $Keyword)
    foreach ($token in $script:RequiresTokens) {
        if ($token.Text -match "-$Keyword\b") {
            return $token.Extent
        }
    }
    $ScriptBlock.Extent
}

function Get-SyntaxFinding {
    # Syntax (and script requirements) newer than the floor, by AST node.
    param($Node, [version] $ItemFloor)
    $found = @()
    switch ($Node.GetType().Name) {
        'TernaryExpressionAst' {
            $found += New-Finding $Node.Extent 'syntax' '7.0' 'ternary operator (a ? b : c) needs PowerShell 7.0'
        }
        'PipelineChainAst' {
            $found += New-Finding $Node.Extent 'syntax' '7.0' 'pipeline chain (&& / ||) needs PowerShell 7.0'
        }
        'BinaryExpressionAst' {
            $operator = $Node.Operator.ToString()
            if ($operator -eq 'QuestionQuestion') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'null-coalescing operator (??) needs PowerShell 7.0'
            }
            elseif (@('Ireplace', 'Creplace') -contains $operator -and $Node.Right.GetType().Name -eq 'ArrayLiteralAst' -and @($Node.Right.Elements | Where-Object { $_.GetType().Name -eq 'ScriptBlockExpressionAst' }).Count -gt 0) {
                $found += New-Finding $Node.Extent 'syntax' '6.1' '-replace with a script block as the substitute needs PowerShell 6.1'
            }
        }
        'AssignmentStatementAst' {
            if ($Node.Operator.ToString() -eq 'QuestionQuestionEquals') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'null-coalescing assignment (??=) needs PowerShell 7.0'
            }
        }
        'MemberExpressionAst' {
            if (Get-PropertyValue $Node 'NullConditional') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'null-conditional member access (?.) needs PowerShell 7.0'
            }
        }
        'InvokeMemberExpressionAst' {
            if (Get-PropertyValue $Node 'NullConditional') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'null-conditional member access (?.) needs PowerShell 7.0'
            }
            $member = $Node.Member
            if ($member.GetType().Name -eq 'StringConstantExpressionAst') {
                if ($Node.Static -and $member.Value -eq 'new') {
                    $found += New-Finding $Node.Extent 'syntax' '5.0' '[T]::new() needs PowerShell 5.0; use New-Object'
                }
                elseif (-not $Node.Static -and @('Where', 'ForEach') -contains $member.Value) {
                    $found += New-Finding $Node.Extent 'syntax' '4.0' ".$($member.Value)() on a collection needs PowerShell 4.0; use $($member.Value)-Object"
                }
            }
        }
        'IndexExpressionAst' {
            if (Get-PropertyValue $Node 'NullConditional') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'null-conditional index (?[]) needs PowerShell 7.0'
            }
        }
        'PipelineAst' {
            if (Get-PropertyValue $Node 'Background') {
                $found += New-Finding $Node.Extent 'syntax' '6.0' 'background operator (&) needs PowerShell 6.0; use Start-Job'
            }
        }
        'ScriptBlockAst' {
            $clean = Get-PropertyValue $Node 'CleanBlock'
            if ($null -ne $clean) {
                $found += New-Finding $clean.Extent 'syntax' '7.3' 'clean block needs PowerShell 7.3'
            }
            $requirements = $Node.ScriptRequirements
            if ($null -ne $requirements) {
                if ($null -ne $requirements.RequiredPSVersion -and $requirements.RequiredPSVersion -gt $ItemFloor) {
                    $version = $requirements.RequiredPSVersion.ToString()
                    $found += New-Finding (Get-RequiresExtent $Node 'Version') 'requires' $version "#Requires -Version ${version}: PowerShell $ItemFloor refuses to run it"
                }
                if ($requirements.IsElevationRequired) {
                    $found += New-Finding (Get-RequiresExtent $Node 'RunAsAdministrator') 'requires' '4.0' '#Requires -RunAsAdministrator needs PowerShell 4.0'
                }
                $editions = Get-PropertyValue $requirements 'RequiredPSEditions'
                if ($null -ne $editions -and @($editions).Count -gt 0) {
                    $found += New-Finding (Get-RequiresExtent $Node 'PSEdition') 'requires' '5.1' '#Requires -PSEdition needs PowerShell 5.1'
                }
            }
        }
        'TypeDefinitionAst' {
            $kind = 'class'
            if ($Node.IsEnum) {
                $kind = 'enum'
            }
            $found += New-Finding $Node.Extent 'syntax' '5.0' "$kind definition needs PowerShell 5.0"
        }
        'UsingStatementAst' {
            $found += New-Finding $Node.Extent 'syntax' '5.0' 'using statement needs PowerShell 5.0'
        }
        'ConfigurationDefinitionAst' {
            $found += New-Finding $Node.Extent 'syntax' '4.0' 'configuration (DSC) needs PowerShell 4.0'
        }
        'StringConstantExpressionAst' {
            $found += @(Get-EscapeFinding $Node)
        }
        'ExpandableStringExpressionAst' {
            $found += @(Get-EscapeFinding $Node)
        }
        'ConstantExpressionAst' {
            $literal = $Node.Extent.Text
            if ($literal -match '^0[bB][01]') {
                $found += New-Finding $Node.Extent 'syntax' '7.0' 'binary literal (0b...) needs PowerShell 7.0'
            }
            elseif ($literal -match '^(0[xX][0-9a-fA-F]+|[0-9]+)(y|uy|s|us|u|ul|n)(kb|mb|gb|tb|pb)?$') {
                $since = '6.2'
                if ($Matches[2] -eq 'n') {
                    $since = '7.0'
                }
                $found += New-Finding $Node.Extent 'syntax' $since "numeric suffix '$($Matches[2])' needs PowerShell $since"
            }
        }
    }
    foreach ($finding in $found) {
        if (Test-Newer $finding.since $ItemFloor) {
            $finding
        }
    }
}

function Test-Item {
    param([string] $Name, [string] $File, [string] $Text, [version] $ItemFloor)
    $tokens = $null
    $errors = $null
    if ($File) {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($File, [ref] $tokens, [ref] $errors)
    }
    else {
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref] $tokens, [ref] $errors)
    }
    # The #Requires lines, to point findings about them at the right one.
    $script:RequiresTokens = @($tokens | Where-Object { $_.Kind.ToString() -eq 'Comment' -and $_.Text -match '^#requires\b' })
    $findings = @()
    if ($File) {
        $findings += @(Get-EncodingFinding -File $File -Ast $ast)
    }
    foreach ($parseError in $errors) {
        $findings += New-Finding $parseError.Extent 'parse-error' '' "$($parseError.ErrorId): $($parseError.Message)"
    }
    $commands = @()
    $functions = @()
    foreach ($node in $ast.FindAll($AnyNode, $true)) {
        $type = $node.GetType().Name
        if ($SyntaxNodeTypes.ContainsKey($type)) {
            $findings += @(Get-SyntaxFinding -Node $node -ItemFloor $ItemFloor)
        }
        if ($type -eq 'CommandAst') {
            $commands += Get-CommandDetail -CommandAst $node
            $findings += @(Get-CommandFinding -CommandAst $node -ItemFloor $ItemFloor)
        }
        elseif ($type -eq 'FunctionDefinitionAst') {
            $functions += $node.Name
        }
    }
    $statements = @()
    if ($null -ne $ast.EndBlock) {
        foreach ($statement in $ast.EndBlock.Statements) {
            $elementCount = 0
            if ($statement.GetType().Name -eq 'PipelineAst') {
                $elementCount = $statement.PipelineElements.Count
            }
            $statements += ([pscustomobject]@{ type = $statement.GetType().Name; elements = $elementCount })
        }
    }
    ([pscustomobject]@{
            name       = $Name
            floor      = $ItemFloor.ToString()
            findings   = $findings
            commands   = $commands
            statements = $statements
            functions  = $functions
            blocks     = ($null -ne $ast.ParamBlock -or $null -ne $ast.BeginBlock -or $null -ne $ast.ProcessBlock -or $null -ne $ast.DynamicParamBlock)
        })
}

# ---- main ----

$items = @()
$defaultFloor = [version] $Floor
if ($PSCmdlet.ParameterSetName -eq 'Request') {
    $request = Get-Content -LiteralPath $RequestFile -Raw -Encoding UTF8 | ConvertFrom-Json
    if ($null -ne $request.PSObject.Properties['floor'] -and $request.floor) {
        $defaultFloor = [version] $request.floor
    }
    foreach ($item in $request.items) {
        $items += $item
    }
}
else {
    foreach ($file in $Path) {
        $items += [pscustomobject]@{ name = $file; path = $file }
    }
    foreach ($line in $Command) {
        $items += [pscustomobject]@{ name = $line; text = $line }
    }
}

$results = @()
foreach ($item in $items) {
    $itemFloor = $defaultFloor
    if ($null -ne $item.PSObject.Properties['floor'] -and $item.floor) {
        $itemFloor = [version] $item.floor
    }
    if ($null -ne $item.PSObject.Properties['path'] -and $item.path) {
        $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($item.path)
        $results += Test-Item -Name $item.name -File $full -ItemFloor $itemFloor
    }
    else {
        $results += Test-Item -Name $item.name -Text ([string] $item.text) -ItemFloor $itemFloor
    }
}

$report = ([pscustomobject]@{
        powershell = $PSVersionTable.PSVersion.ToString()
        floor      = $defaultFloor.ToString()
        items      = $results
    })
$json = ConvertTo-Json -InputObject $report -Depth 8 -Compress
if ($OutFile) {
    [System.IO.File]::WriteAllText($ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile), $json, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
}
else {
    $json
}
