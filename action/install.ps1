# Puts the publish-offer release binary for this runner in the tool cache and writes its path to
# the step output `path` (action.yml runs it next). Windows; install.sh is the same for Linux and
# macOS, step for step: the binary is used only when its SHA-256 equals the one committed in
# SHA256SUMS, and a cached copy is checked the same way before every use.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$here = $PSScriptRoot
# The repository the action comes from, for the advice below. GITHUB_ACTION_REPOSITORY is empty in
# a composite action's steps; the runner checks the action out at ...\_actions\OWNER\REPO\REF, so
# its path names it.
$actionPath = if ($env:GITHUB_ACTION_PATH) { $env:GITHUB_ACTION_PATH } else { Split-Path -Parent $here }
$repository = $env:GITHUB_ACTION_REPOSITORY
if (-not $repository -and $actionPath -match '[\\/]_actions[\\/]([A-Za-z0-9_.-]+)[\\/]([A-Za-z0-9_.-]+)[\\/][^\\/]+') {
    $repository = "$($Matches[1])/$($Matches[2])"
}
if (-not $repository) { $repository = 'OWNER/publish-offer' }
# The release pushes the image as ghcr.io/<owner>/<name>, lower-cased (image names must be).
$image = "ghcr.io/$($repository.ToLowerInvariant())"

function Fail([string] $message) {
    Write-Output "::error title=publish-offer: no binary::$message"
    exit 1
}

# A ref without a usable release binary (a fork, an unreleased commit): say what works instead.
function NoRelease([string] $reason) {
    Fail "$reason. Pin a released version of the action (uses: $repository@vX.Y.Z, or a release's commit SHA), or run the image instead: uses: docker://$($image):X.Y.Z"
}

$version = ''
$downloadUrl = ''
foreach ($line in Get-Content -LiteralPath (Join-Path $here 'release.env')) {
    $key, $value = $line.Split('=', 2)
    if ($key -eq 'version') { $version = $value }
    if ($key -eq 'download_url') { $downloadUrl = $value.TrimEnd('/') }
}
if (-not $version -or -not $downloadUrl) { NoRelease 'this revision of the action names no release (action/release.env is empty)' }
if ($version -notmatch '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$') { Fail "action/release.env: version '$version' is not X.Y.Z" }

# Windows on ARM64 runs x64 binaries under emulation: one binary serves both, cached as x64.
switch ("$env:RUNNER_OS/$env:RUNNER_ARCH") {
    'Windows/X64' { $target = 'x86_64-pc-windows-msvc' }
    'Windows/ARM64' { $target = 'x86_64-pc-windows-msvc' }
    default { NoRelease "no release binary for runner $env:RUNNER_OS/$env:RUNNER_ARCH (there are binaries for Linux X64 and ARM64, macOS ARM64 and X64, Windows X64, which Windows ARM64 runs too)" }
}
$asset = "publish-offer-$target.exe"

# As install.sh's awk: fields split on blanks, the name compared case-sensitively (-ceq, where
# -eq would ignore case), the sum taken as written (lower-case hex, as sha256sum writes it).
$expected = ''
foreach ($line in Get-Content -LiteralPath (Join-Path $here 'SHA256SUMS')) {
    $fields = -split $line
    if ($fields.Count -ge 2 -and ($fields[1] -ceq $asset -or $fields[1] -ceq "*$asset")) { $expected = $fields[0]; break }
}
if (-not $expected) { NoRelease "release $version has no checksum for $asset in action/SHA256SUMS" }
if ($expected -cnotmatch '^[0-9a-f]{64}$') { Fail "action/SHA256SUMS: the checksum of $asset is not 64 hex digits" }

function Sha256Of([string] $path) { (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant() }

# The tool cache's layout (<tool>/<version>/<arch>, complete when <arch>.complete exists).
$cacheRoot = if ($env:RUNNER_TOOL_CACHE) { $env:RUNNER_TOOL_CACHE } else { $env:RUNNER_TEMP }
$archDir = Join-Path (Join-Path (Join-Path $cacheRoot 'publish-offer') $version) 'x64'
$binary = Join-Path $archDir 'publish-offer.exe'

function PublishPath {
    if ($env:GITHUB_OUTPUT) { Add-Content -LiteralPath $env:GITHUB_OUTPUT -Value "path=$binary" -Encoding utf8 }
}

# A link (symbolic link, junction: a reparse point) does not count: its target, outside the
# cache, could change after the check.
function IsLink([string] $path) {
    $item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
    $item -and ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint)
}

if ((Test-Path -LiteralPath "$archDir.complete" -PathType Leaf) -and (Test-Path -LiteralPath $binary -PathType Leaf) -and -not (IsLink "$archDir.complete") -and -not (IsLink $binary)) {
    if ((Sha256Of $binary) -eq $expected) {
        Write-Output "publish-offer $version from the tool cache: $binary"
        PublishPath
        exit 0
    }
    Write-Output "::warning title=publish-offer::the cached $binary does not match its checksum; downloading it again"
    Remove-Item -LiteralPath "$archDir.complete", $binary -Force -ErrorAction SilentlyContinue
} elseif ((IsLink $binary) -or (IsLink "$archDir.complete")) {
    # Removed, not replaced: Move-Item would put the download in a directory the link points to.
    Write-Output "::warning title=publish-offer::the cached $binary is a symbolic link; downloading it again"
    Remove-Item -LiteralPath "$archDir.complete", $binary -Force -ErrorAction SilentlyContinue
}

$url = "$downloadUrl/$asset"
if ($url -notmatch '^https://' -and $url -notmatch '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$)') { Fail "action/release.env: download_url must be https ($url)" }
New-Item -ItemType Directory -Force -Path $archDir | Out-Null
$partial = Join-Path $archDir ".download.$PID"
try {
    # As install.sh: ten retries, a User-Agent naming the action and its version.
    Invoke-WebRequest -Uri $url -OutFile $partial -MaximumRetryCount 10 -RetryIntervalSec 3 -TimeoutSec 300 `
        -UserAgent "publish-offer-action/$version (+https://github.com/$repository)"
} catch {
    Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
    $status = $_.Exception.Response.StatusCode.value__
    if ($status -eq 404) { NoRelease "release $version has no asset $asset ($url`: HTTP 404)" }
    Fail "downloading $url failed: $($_.Exception.Message)"
}

$actual = Sha256Of $partial
if ($actual -ne $expected) {
    Remove-Item -LiteralPath $partial -Force
    Fail "refused $url`: its SHA-256 is $actual, but action/SHA256SUMS says $expected"
}
Move-Item -LiteralPath $partial -Destination $binary -Force
New-Item -ItemType File -Force -Path "$archDir.complete" | Out-Null
Write-Output "publish-offer $version downloaded and verified (SHA-256 $expected): $binary"
PublishPath
