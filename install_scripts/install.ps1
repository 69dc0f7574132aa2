<#
.SYNOPSIS
Install answerprint for DaVinci Resolve on Windows (Linux and macOS: install.sh).

.DESCRIPTION
Makes a dedicated Python environment with answerprint in it, copies the menu scripts into Resolve's
Fusion\Scripts\Utility\answerprint (Workspace > Scripts > answerprint), and writes resolve.json telling those
scripts which Python to start. Re-running it updates everything in place; colorist settings in resolve.json
(production, render folder, job defaults) are kept.

  powershell -ExecutionPolicy Bypass -File install_scripts\install.ps1              per user (default)
  powershell -ExecutionPolicy Bypass -File install_scripts\install.ps1 -AllUsers    every user (as administrator)
  ... -DryRun       print the folders and steps, change nothing
  ... -Uninstall    remove the menu scripts, resolve.json and the environment

Options: -Python PATH (Python >= 3.11; default: py -3, then python), -PythonEnv DIR (register an existing
environment that has answerprint), -Environment DIR, -Source SPEC (default: this checkout), -Extras LIST
(train, ui), -Gpu / -NoGpu (default: the GPU extra when nvidia-smi lists an NVIDIA GPU).
Environment: ANSWERPRINT_SKIP_PIP=1 creates or registers the environment without running pip.
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
$MenuSource = Join-Path $RepoRoot "plugin\resolve\menu"
if (-not $Source) { $Source = $RepoRoot }
$SkipPip = $env:ANSWERPRINT_SKIP_PIP -eq "1"

# Folders, from Blackmagic's scripting README (see docs/resolve.md).
$Folders = @{
    User = @{
        Scripts     = Join-Path $env:APPDATA 'Blackmagic Design\DaVinci Resolve\Support\Fusion\Scripts'
        Environment = Join-Path $env:LOCALAPPDATA 'answerprint\resolve-env'
        Config      = Join-Path $env:LOCALAPPDATA 'answerprint\resolve.json'
    }
    AllUsers = @{
        Scripts     = Join-Path $env:PROGRAMDATA 'Blackmagic Design\DaVinci Resolve\Fusion\Scripts'
        Environment = Join-Path $env:PROGRAMDATA 'answerprint\resolve-env'
        Config      = Join-Path $env:PROGRAMDATA 'answerprint\resolve.json'
    }
}
$LutFolder = Join-Path $env:PROGRAMDATA 'Blackmagic Design\DaVinci Resolve\Support\LUT'

if ($AllUsers) { $Scope = "AllUsers"; $ScopeWords = "all users" } else { $Scope = "User"; $ScopeWords = "per user" }
$MenuFolder = Join-Path $Folders[$Scope].Scripts "Utility\answerprint"
$Config = $Folders[$Scope].Config
if (-not $Environment) { $Environment = $Folders[$Scope].Environment }
if ($Uninstall) { $Mode = "uninstall" } else { $Mode = "install" }
if ($DryRun) { $RunWords = " (dry run: nothing is changed)" } else { $RunWords = "" }

function Say([string]$Label, [string]$Text) { Write-Output ("{0,-14}{1}" -f $Label, $Text) }

function Test-Python311([string]$Command, [string[]]$Arguments) {
    try {
        & $Command @Arguments -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>$null | Out-Null
        return $LASTEXITCODE -eq 0
    } catch { return $false }
}

function Write-Config([string]$PythonExe, [string]$EnvironmentDir, [bool]$Owns) {
    $data = [ordered]@{}
    if (Test-Path -LiteralPath $Config) {
        $existing = Get-Content -LiteralPath $Config -Raw -Encoding UTF8 | ConvertFrom-Json
        foreach ($property in $existing.PSObject.Properties) { $data[$property.Name] = $property.Value }
    }
    $data["schema"] = "answerprint.resolve/1"
    $data["python"] = $PythonExe
    $data["environment"] = $EnvironmentDir
    $data["owns_environment"] = $Owns
    $data["scripts_folder"] = $MenuFolder
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Config) | Out-Null
    $json = ConvertTo-Json -InputObject $data -Depth 10
    [System.IO.File]::WriteAllText($Config, $json + "`n", (New-Object System.Text.UTF8Encoding $false))
}

Write-Output "answerprint for DaVinci Resolve: $Mode, windows, $ScopeWords$RunWords"

if ($Uninstall) {
    $owned = ""; $registered = ""
    if (Test-Path -LiteralPath $Config) {
        $existing = Get-Content -LiteralPath $Config -Raw -Encoding UTF8 | ConvertFrom-Json
        $registered = [string]$existing.environment
        if ($existing.owns_environment) { $owned = $registered }
    }
    Say "menu scripts:" "$MenuFolder (remove)"
    if (-not $DryRun) {
        foreach ($script in Get-ChildItem -LiteralPath $MenuSource -Filter *.py) {
            Remove-Item -LiteralPath (Join-Path $MenuFolder $script.Name) -Force -ErrorAction SilentlyContinue
        }
        if ((Test-Path -LiteralPath $MenuFolder) -and -not (Get-ChildItem -LiteralPath $MenuFolder)) {
            Remove-Item -LiteralPath $MenuFolder
        }
    }
    Say "config:" "$Config (remove)"
    if (-not $DryRun) { Remove-Item -LiteralPath $Config -Force -ErrorAction SilentlyContinue }
    if ($owned -and (Test-Path -LiteralPath (Join-Path $owned "pyvenv.cfg"))) {
        Say "environment:" "$owned (remove)"
        if (-not $DryRun) { Remove-Item -LiteralPath $owned -Recurse -Force }
    } elseif ($registered) {
        Say "environment:" "$registered (kept: registered with -PythonEnv, not made by this installer)"
    }
    Say "LUT folder:" "$LutFolder\answerprint (kept: grades use these LUTs)"
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
            if ($SkipPip) { $venvArguments += "--without-pip" }
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
    if ($SkipPip) {
        Say "install:" "skipped (ANSWERPRINT_SKIP_PIP=1): $Requirement"
    } else {
        Say "install:" "pip install $Requirement"
        if (-not $DryRun) {
            & $EnvPython -m pip install -q --upgrade pip
            & $EnvPython -m pip install -q --upgrade $Requirement
            if ($LASTEXITCODE -ne 0) { throw "install.ps1: pip could not install $Requirement" }
        }
    }
}
if (-not $SkipPip -and -not $DryRun) {
    & $EnvPython -c "import answerprint.plugin.resolve"
    if ($LASTEXITCODE -ne 0) { throw "install.ps1: answerprint is not importable from $EnvPython" }
}

Say "menu scripts:" $MenuFolder
if (-not $DryRun) {
    New-Item -ItemType Directory -Force -Path $MenuFolder | Out-Null
    Copy-Item -Path (Join-Path $MenuSource "*.py") -Destination $MenuFolder -Force
}
Say "config:" $Config
if (-not $DryRun) { Write-Config $EnvPython $Environment $Owns }
Say "LUT folder:" "$LutFolder\answerprint (Color Match writes its LUTs here; make it writable for colorists)"
if (-not $DryRun) {
    Write-Output "done: in Resolve Studio, with External scripting = Local, open Workspace > Scripts > answerprint"
}
