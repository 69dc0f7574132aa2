<#
.SYNOPSIS
Install answerprint for DaVinci Resolve on Windows (Linux and macOS: install.sh).

.DESCRIPTION
Makes a dedicated Python environment, installs answerprint into it with pip, then runs
"answerprint resolve install" from it: that writes the menu scripts into Resolve's
Fusion\Scripts\Utility\answerprint (Workspace > Scripts > answerprint) and resolve.json, which tells them which
Python to start. Re-running it updates everything in place; colorist settings in resolve.json (production,
render folder, job defaults) are kept. Where answerprint is already installed (a wheel, a studio environment),
"answerprint resolve install" alone does the Resolve part.

  powershell -ExecutionPolicy Bypass -File install_scripts\install.ps1              per user (default)
  powershell -ExecutionPolicy Bypass -File install_scripts\install.ps1 -AllUsers    every user (as administrator)
  ... -DryRun       print the folders and steps, change nothing
  ... -Uninstall    remove the menu scripts, resolve.json and the environment

Options: -Python PATH (Python >= 3.11; default: py -3, then python), -PythonEnv DIR (register an existing
environment that has answerprint), -Environment DIR, -Source SPEC (this checkout, a wheel or a requirement;
default: this checkout), -Extras LIST (train, ui), -Gpu / -NoGpu (default: the GPU extra when nvidia-smi lists
an NVIDIA GPU). pip's own PIP_* environment variables reach pip.
#>
param(
    [switch]$AllUsers,
    [switch]$DryRun,
    [switch]$Uninstall,
    [string]$Python = "",
    [string]$PythonEnv = "",
    [string]$Environment = "",
    [string]$Source = "",
    [string]$Extras = "",
    [switch]$Gpu,
    [switch]$NoGpu
)
$ErrorActionPreference = "Stop"

$RepoRoot = Split-Path -Parent $PSScriptRoot
if (-not $Source) { $Source = $RepoRoot }

# Where the environment goes, and resolve.json (read here to find the environment again on -Uninstall); the
# Resolve folders themselves are answerprint's to know ("answerprint resolve install -DryRun" prints them).
$Folders = @{
    User = @{
        Environment = Join-Path $env:LOCALAPPDATA 'answerprint\resolve-env'
        Config      = Join-Path $env:LOCALAPPDATA 'answerprint\resolve.json'
    }
    AllUsers = @{
        Environment = Join-Path $env:PROGRAMDATA 'answerprint\resolve-env'
        Config      = Join-Path $env:PROGRAMDATA 'answerprint\resolve.json'
    }
}

if ($AllUsers) { $Scope = "AllUsers"; $ScopeWords = "all users" } else { $Scope = "User"; $ScopeWords = "per user" }
$Config = $Folders[$Scope].Config
if (-not $Environment) { $Environment = $Folders[$Scope].Environment }
if ($Uninstall) { $Mode = "uninstall" } else { $Mode = "install" }
if ($DryRun) { $RunWords = " (dry run: nothing is changed)" } else { $RunWords = "" }
$ResolveOptions = @()
if ($AllUsers) { $ResolveOptions += "--all-users" }
if ($DryRun) { $ResolveOptions += "--dry-run" }

function Say([string]$Label, [string]$Text) { Write-Output ("{0,-14}{1}" -f $Label, $Text) }

function Invoke-AnswerprintResolve([string]$PythonExe, [string[]]$Arguments) {
    # "answerprint resolve ACTION" in the environment of $PythonExe.
    & $PythonExe -m answerprint.core.cli resolve @Arguments @ResolveOptions
    if ($LASTEXITCODE -ne 0) { throw "install.ps1: answerprint resolve $($Arguments -join ' ') failed" }
}

function Test-Python311([string]$Command, [string[]]$Arguments) {
    try {
        & $Command @Arguments -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>$null | Out-Null
        return $LASTEXITCODE -eq 0
    } catch { return $false }
}

Write-Output "answerprint for DaVinci Resolve: $Mode, windows, $ScopeWords$RunWords"

if ($Uninstall) {
    $owned = ""; $registeredPython = ""; $scriptsFolder = ""
    if (Test-Path -LiteralPath $Config) {
        $existing = Get-Content -LiteralPath $Config -Raw -Encoding UTF8 | ConvertFrom-Json
        $registeredPython = [string]$existing.python
        $scriptsFolder = [string]$existing.scripts_folder
        if ($existing.owns_environment) { $owned = [string]$existing.environment }
    }
    if ($registeredPython -and (Test-Path -LiteralPath $registeredPython)) {
        Invoke-AnswerprintResolve $registeredPython @("uninstall")
    } else {
        # The environment is gone: take out what it had put in, from what resolve.json recorded.
        Say "menu scripts:" "$scriptsFolder (remove)"
        if (-not $DryRun -and $scriptsFolder -and (Test-Path -LiteralPath $scriptsFolder)) {
            foreach ($script in Get-ChildItem -LiteralPath $scriptsFolder -Filter *.py) {
                $first = Get-Content -LiteralPath $script.FullName -TotalCount 1 -Encoding UTF8
                if ($first -like '"""answerprint *') { Remove-Item -LiteralPath $script.FullName -Force }
            }
            if (-not (Get-ChildItem -LiteralPath $scriptsFolder)) { Remove-Item -LiteralPath $scriptsFolder }
        }
        Say "config:" "$Config (remove)"
        if (-not $DryRun) { Remove-Item -LiteralPath $Config -Force -ErrorAction SilentlyContinue }
    }
    if ($owned -and (Test-Path -LiteralPath (Join-Path $owned "pyvenv.cfg"))) {
        Say "environment:" "$owned (remove)"
        if (-not $DryRun) { Remove-Item -LiteralPath $owned -Recurse -Force }
    }
    exit 0
}

if ($PythonEnv) {
    $Environment = $PythonEnv
    $Owns = $false
    $EnvPython = Join-Path $Environment "Scripts\python.exe"
    if (-not (Test-Path -LiteralPath $EnvPython)) { throw "install.ps1: no Python at $EnvPython" }
    Say "environment:" "$Environment (registered; nothing installed)"
} else {
    $Owns = $true
    $EnvPython = Join-Path $Environment "Scripts\python.exe"
    if (Test-Path -LiteralPath $EnvPython) {
        Say "environment:" "$Environment (exists; updated)"
    } else {
        $PythonCommand = @()
        if ($Python) {
            $PythonCommand = @($Python)
        } elseif ((Get-Command py -ErrorAction SilentlyContinue) -and (Test-Python311 "py" @("-3"))) {
            $PythonCommand = @("py", "-3")
        } elseif ((Get-Command python -ErrorAction SilentlyContinue) -and (Test-Python311 "python" @())) {
            $PythonCommand = @("python")
        }
        $PythonExe = ""
        $PythonArguments = @()
        if ($PythonCommand.Count -gt 0) {
            $PythonExe = $PythonCommand[0]
            $PythonArguments = @($PythonCommand | Select-Object -Skip 1)
        }
        if (-not $PythonExe -or -not (Test-Python311 $PythonExe $PythonArguments)) {
            if (-not $DryRun) { throw "install.ps1: answerprint needs Python >= 3.11; pass -Python PATH" }
            $PythonCommand = @("(no Python >= 3.11 found; pass -Python PATH)")
        }
        Say "environment:" "$Environment (create with $($PythonCommand -join ' '))"
        if (-not $DryRun) {
            New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Environment) | Out-Null
            $venvArguments = $PythonArguments + @("-m", "venv")
            & $PythonExe @venvArguments $Environment
            if ($LASTEXITCODE -ne 0) { throw "install.ps1: could not create $Environment" }
        }
    }
    $UseGpu = [bool]$Gpu
    if (-not $Gpu -and -not $NoGpu -and (Get-Command nvidia-smi -ErrorAction SilentlyContinue)) {
        $UseGpu = [bool]((& nvidia-smi -L 2>$null) -match "GPU")
    }
    $AllExtras = @()
    if ($UseGpu) { $AllExtras += "gpu" }
    if ($Extras) { $AllExtras += $Extras.Split(",") }
    $Requirement = $Source
    if ($AllExtras.Count -gt 0) { $Requirement = $Source + "[" + ($AllExtras -join ",") + "]" }
    Say "install:" "pip install $Requirement"
    if (-not $DryRun) {
        & $EnvPython -m pip install -q --upgrade pip
        & $EnvPython -m pip install -q --upgrade $Requirement
        if ($LASTEXITCODE -ne 0) { throw "install.ps1: pip could not install $Requirement" }
    }
}

if (-not (Test-Path -LiteralPath $EnvPython)) {
    Say "menu scripts:" "(written by 'answerprint resolve install' from the new environment, which prints them)"
    exit 0
}
if (-not $DryRun) {
    & $EnvPython -c "import answerprint.plugin.resolve"
    if ($LASTEXITCODE -ne 0) { throw "install.ps1: answerprint is not importable from $EnvPython" }
}
if ($Owns) {
    Invoke-AnswerprintResolve $EnvPython @("install", "--owned-environment")
} else {
    Invoke-AnswerprintResolve $EnvPython @("install")
}
