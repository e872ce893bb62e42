#!/bin/sh
# Best effort: install Debian packages with apt-get when a check says they are missing.
# Never fails the build (what needs them says so: /health for OCR; the browser tests skip, or
# fail under CI=true).
#   install-optional.sh LABEL LOG "CHECK COMMAND" PACKAGE...
label=$1 log=$2 check=$3
shift 3
if sh -c "$check" >/dev/null 2>&1; then
  echo "$label: installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$label: no apt-get here; install $* yourself"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
else
  echo "$label: not root and no passwordless sudo; run: sudo apt-get install $*"
  exit 0
fi
echo "$label: installing $* with apt-get (log: $log)"
apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120"
if { $apt install --no-install-recommends "$@" || { $apt update && $apt install --no-install-recommends "$@"; }; } >"$log" 2>&1; then
  echo "$label: installed $*"
else
  echo "$label: apt-get install $* failed (see $log)"
fi
exit 0
