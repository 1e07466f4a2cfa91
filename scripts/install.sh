#!/bin/sh
# Installs the `dash` binary for this machine from a folder of built binaries (dist/ after
# `bun run build --all`) or the base URL of one, after checking it against that folder's
# SHA256SUMS. POSIX sh (dash, busybox sh, bash): no bashisms.
set -eu

usage() {
  cat <<'EOF'
usage: sh scripts/install.sh --from <dir|url>

Installs dash-<os>-<arch> for this machine from <dir|url> (a folder, or an http(s) URL of one,
holding the binaries and SHA256SUMS that `bun run build --all` writes to dist/) as `dash` in
$DASH_INSTALL_DIR, after checking its SHA-256 against SHA256SUMS.

  --from <dir|url>     where the binaries are (or DASH_INSTALL_FROM)
  -h, --help           this help

Environment:
  DASH_INSTALL_FROM    the same as --from
  DASH_INSTALL_DIR     where `dash` goes (default: ~/.local/bin)
  DASH_INSTALL_UNAME   for testing: stands in for `uname -sm` (e.g. "Linux aarch64"); a binary
                       for another machine is installed but not run
  NO_COLOR             no colours (they are only used on a terminal anyway)
EOF
}

# Colours only for a person at a terminal: logs and pipes get plain text.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  bold=$(printf '\033[1m') red=$(printf '\033[31m') green=$(printf '\033[32m') yellow=$(printf '\033[33m') reset=$(printf '\033[0m')
else
  bold='' red='' green='' yellow='' reset=''
fi

say() { printf '%s\n' "$*"; }
die() { # die <message> [exit code]; red only when stderr is that terminal too
  if [ -t 2 ]; then
    printf '%sinstall.sh: %s%s\n' "$red" "$1" "$reset" >&2
  else
    printf 'install.sh: %s\n' "$1" >&2
  fi
  exit "${2:-1}"
}

from=${DASH_INSTALL_FROM:-}
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --from) [ $# -ge 2 ] || die "--from needs a folder or a URL" 2; from=$2; shift 2 ;;
    --from=*) from=${1#--from=}; shift ;;
    *) die "unknown argument: $1 (see --help)" 2 ;;
  esac
done
[ -n "$from" ] || die "where from? give --from <dir|url> (e.g. --from dist after \`bun run build --all\`); see --help" 2

# The build targets of build.ts, by the `uname -sm` of the machines they run on.
known="linux-x64 (Linux x86_64), linux-arm64 (Linux aarch64), darwin-arm64 (Darwin arm64)"
target_of() {
  case $1 in
    "Linux x86_64" | "Linux amd64") echo linux-x64 ;;
    "Linux aarch64" | "Linux arm64") echo linux-arm64 ;;
    "Darwin arm64") echo darwin-arm64 ;;
    *) echo "" ;;
  esac
}
machine=$(uname -sm)
own=$(target_of "$machine")
wanted=${DASH_INSTALL_UNAME:-$machine}
target=$(target_of "$wanted")
[ -n "$target" ] || die "no dash binary for this machine ($wanted): there are $known"
name="dash-$target"

case $from in
  http://* | https://*) remote=1 ;;
  *) remote=''; [ -d "$from" ] || die "--from $from: no such folder (give a folder or an http(s) URL)" ;;
esac
if [ -n "$remote" ] && ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
  die "neither curl nor wget is installed: install one, or download $name and SHA256SUMS into a folder and use --from <folder>"
fi

fetch() { # fetch <file name> <destination>: 0 when it got the file
  if [ -z "$remote" ]; then
    [ -f "$from/$1" ] || return 1
    cp "$from/$1" "$2"
    return
  fi
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "${from%/}/$1"
  else
    wget -q -O "$2" "${from%/}/$1"
  fi
}

present() { # the dash-* files of the local folder, for an error message
  set -- "$from"/dash-*
  [ -e "$1" ] || { echo "none"; return; }
  list=''
  for f; do list="$list${list:+ }${f##*/}"; done
  echo "$list"
}

# Checked before anything is downloaded: without a hasher nothing can be installed.
if command -v sha256sum >/dev/null 2>&1; then
  hasher="sha256sum"
elif command -v shasum >/dev/null 2>&1; then
  hasher="shasum -a 256"
else
  die "neither sha256sum nor shasum is installed: $name cannot be checked, so it is not installed"
fi

dir=${DASH_INSTALL_DIR:-}
if [ -z "$dir" ]; then
  [ -n "${HOME:-}" ] || die "HOME is not set: set DASH_INSTALL_DIR to the folder to install into"
  dir=$HOME/.local/bin
fi
mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd) # absolute: it goes into the PATH line below
[ ! -d "$dir/dash" ] || die "$dir/dash is a folder: move it away or choose another DASH_INSTALL_DIR"

# Downloads land in a temp folder inside the install folder, so the final mv is a rename on the same
# file system: `dash` is either the old binary or the new one, never half written.
work=$(mktemp -d "$dir/.dash-install.XXXXXX") || die "cannot write to $dir"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

say "fetching $name and SHA256SUMS from $from"
fetch SHA256SUMS "$work/SHA256SUMS" ||
  die "no SHA256SUMS at $from: an unchecked binary is not installed (\`bun run build --all\` writes it beside the binaries)"
if ! fetch "$name" "$work/dash"; then
  [ -n "$remote" ] || die "no $name in $from (binaries there: $(present)); this machine needs $name"
  die "no $name at $from: this machine needs $name"
fi

# The line for exactly this name: `<hex>  name`, or `<hex> *name` as sha256sum -b writes it.
expected=$(awk -v f="$name" '$2 == f || $2 == ("*" f) { print $1; exit }' "$work/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS at $from has no line for $name: not installed"
actual=$($hasher "$work/dash" | cut -d ' ' -f 1)
if [ "$actual" != "$expected" ]; then
  rm -f "$work/dash"
  die "checksum mismatch for $name: SHA256SUMS says $expected, the download is $actual. Deleted it; nothing was installed."
fi

chmod 755 "$work/dash"
mv -f "$work/dash" "$dir/dash"
say "${green}installed${reset} $dir/dash ($target, sha256 $actual checked)"

if [ "$target" = "$own" ]; then
  version=$("$dir/dash" --version) || die "$dir/dash was installed but \`dash --version\` failed"
  say "dash --version: $version"
else
  say "not running it: $name is for $target, this machine is ${own:-$machine} (DASH_INSTALL_UNAME=$wanted)"
fi

say ""
found=$(command -v dash 2>/dev/null || true)
case ":${PATH:-}:" in
  *":$dir:"*)
    # Debian's /bin/dash is a shell: if it comes first on PATH, `dash` would not be this one.
    if [ -n "$found" ] && [ "$found" != "$dir/dash" ]; then
      say "${yellow}another dash comes first on your PATH:${reset} $found (on Debian and Ubuntu that is the dash shell)."
      say "Put $dir before it in your shell profile:  ${bold}export PATH=\"$dir:\$PATH\"${reset}"
    fi
    ;;
  *)
    case ${SHELL:-} in
      */zsh) profile=.zshrc ;;
      */bash) profile=.bashrc ;;
      *) profile=.profile ;;
    esac
    say "$dir is not on your PATH. Add this line to ~/$profile, then open a new shell:"
    say "  ${bold}export PATH=\"$dir:\$PATH\"${reset}"
    ;;
esac
say "Next: ${bold}dash serve${reset}   (the server on 127.0.0.1:7373; the first start prints an admin key)"
say "then, in another shell, paste the command it prints (a swarm that works on this machine), or ${bold}dash demo${reset}"
say "Something missing? ${bold}dash doctor${reset} says what, and how to fix it."
