# install-publish-offer.ps1 -Version X.Y.Z [-Dir DIR]: install-publish-offer.sh for Windows (x64;
# ARM64 runs the x64 binary under emulation). Puts publish-offer.exe in DIR (default:
# .\publish-offer-bin) when its SHA-256 equals its line in the release's SHA256SUMS (or in the
# file PUBLISH_OFFER_SHA256SUMS names, a copy kept in your repository), prints its path, and on
# Azure Pipelines puts DIR on the PATH of the steps after it. PowerShell 7 (pwsh) or 5.1.
#
#   - pwsh: |
#       Invoke-WebRequest -UseBasicParsing -OutFile install-publish-offer.ps1 `
#         https://raw.githubusercontent.com/OWNER/publish-offer/vX.Y.Z/examples/install-publish-offer.ps1
#       ./install-publish-offer.ps1 -Version X.Y.Z -Dir "$(Agent.ToolsDirectory)/publish-offer"
param(
    [Parameter(Mandatory = $true)] [string] $Version,
    [string] $Dir = 'publish-offer-bin'
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

if ($Version -notmatch '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$') {
    [Console]::Error.WriteLine("install-publish-offer: '$Version' is not a version (X.Y.Z)")
    exit 2
}
$base = if ($env:PUBLISH_OFFER_DOWNLOAD_URL) { $env:PUBLISH_OFFER_DOWNLOAD_URL } else { "https://github.com/OWNER/publish-offer/releases/download/v$Version" }
$base = $base.TrimEnd('/')
if ($base -notmatch '^https://' -and $base -notmatch '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$)') {
    [Console]::Error.WriteLine("install-publish-offer: PUBLISH_OFFER_DOWNLOAD_URL must be https ($base)")
    exit 2
}
$asset = 'publish-offer-x86_64-pc-windows-msvc.exe'

function Fetch([string] $url, [string] $path) {
    Invoke-WebRequest -UseBasicParsing -Uri $url -OutFile $path -TimeoutSec 300 -UserAgent "publish-offer-install/$Version"
}

New-Item -ItemType Directory -Force -Path $Dir | Out-Null
$Dir = (Resolve-Path -LiteralPath $Dir).Path
$work = Join-Path $Dir ".download.$PID"
New-Item -ItemType Directory -Force -Path $work | Out-Null
try {
    $sums = Join-Path $work 'SHA256SUMS'
    if ($env:PUBLISH_OFFER_SHA256SUMS) { Copy-Item -LiteralPath $env:PUBLISH_OFFER_SHA256SUMS -Destination $sums } else { Fetch "$base/SHA256SUMS" $sums }
    $expected = ''
    foreach ($line in Get-Content -LiteralPath $sums) {
        $fields = -split $line
        if ($fields.Count -ge 2 -and ($fields[1] -ceq $asset -or $fields[1] -ceq "*$asset")) { $expected = $fields[0]; break }
    }
    if ($expected -cnotmatch '^[0-9a-f]{64}$') {
        [Console]::Error.WriteLine("install-publish-offer: SHA256SUMS has no checksum for $asset")
        exit 1
    }
    $download = Join-Path $work $asset
    Fetch "$base/$asset" $download
    $actual = (Get-FileHash -LiteralPath $download -Algorithm SHA256).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        [Console]::Error.WriteLine("install-publish-offer: refused $base/$asset`: its SHA-256 is $actual, but SHA256SUMS says $expected")
        exit 1
    }
    $binary = Join-Path $Dir 'publish-offer.exe'
    Move-Item -LiteralPath $download -Destination $binary -Force
} finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
[Console]::Error.WriteLine("publish-offer $Version verified (SHA-256 $expected): $binary")
if ($env:TF_BUILD -eq 'True') { Write-Output "##vso[task.prependpath]$Dir" }
Write-Output $binary
