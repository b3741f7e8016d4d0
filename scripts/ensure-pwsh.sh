#!/usr/bin/env bash
# Restores the pinned PowerShell 7 (.NET local tool, .config/dotnet-tools.json) and Pester
# (NuGet, tools/powershell/PowerShellTools.csproj) and writes .tools/bin/pwsh, the executable
# the tests and lab mode start. Run by `npm test` (pretest) and .ci/run.
#
# Without dotnet the real-PowerShell suites cannot run: on a laptop that is a loud warning (the
# suites then say themselves what they skip); with CI=true it is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

PWSH_VERSION=7.6.10
PESTER_VERSION=6.2.0

if ! command -v dotnet >/dev/null 2>&1; then
  msg="no 'dotnet' on PATH: PowerShell $PWSH_VERSION and Pester $PESTER_VERSION cannot be restored, so the real-PowerShell suites (Pester, old-PowerShell gate, runner on pwsh, lab parity) will not run. Install the .NET SDK (8 or later) to run them."
  if [ "${CI:-}" = "true" ]; then
    echo "ensure-pwsh: ERROR: $msg" >&2
    exit 1
  fi
  echo "ensure-pwsh: WARNING: $msg" >&2
  exit 0
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
dotnet restore tools/powershell/PowerShellTools.csproj --packages .tools/nuget -v quiet >/dev/null

packages=$(dotnet nuget locals global-packages --list | sed -e 's/^global-packages: *//')
pwsh_dll="${packages%/}/powershell/$PWSH_VERSION/tools/net10.0/any/unix/pwsh.dll"
if [ ! -f "$pwsh_dll" ]; then
  pwsh_dll=$(find "${packages%/}/powershell/$PWSH_VERSION" -path '*/unix/pwsh.dll' 2>/dev/null | head -n 1)
fi
if [ -z "$pwsh_dll" ] || [ ! -f "$pwsh_dll" ]; then
  echo "ensure-pwsh: ERROR: dotnet tool restore ran, but pwsh.dll of PowerShell $PWSH_VERSION is not under $packages" >&2
  exit 1
fi
pester=".tools/nuget/pester/$PESTER_VERSION/tools/Pester.psd1"
if [ ! -f "$pester" ]; then
  echo "ensure-pwsh: ERROR: Pester $PESTER_VERSION was not restored to $pester" >&2
  exit 1
fi

mkdir -p .tools/bin
cat > .tools/bin/pwsh.tmp <<SH
#!/bin/sh
# Written by scripts/ensure-pwsh.sh: PowerShell $PWSH_VERSION from the pinned .NET tool.
exec dotnet "$pwsh_dll" "\$@"
SH
chmod +x .tools/bin/pwsh.tmp
mv .tools/bin/pwsh.tmp .tools/bin/pwsh
printf '%s\n' "$(pwd)/$pester" > .tools/pester-path.txt

version=$(.tools/bin/pwsh -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()')
if [ "$version" != "$PWSH_VERSION" ]; then
  echo "ensure-pwsh: ERROR: .tools/bin/pwsh reports PowerShell '$version', expected $PWSH_VERSION" >&2
  exit 1
fi
