# Shared helpers for the lab scripts (sourced, not run).
# Exit codes: 0 pass, 1 failure, 77 the lab cannot run on this machine (skip).

LAB_EXIT_FAIL=1
LAB_EXIT_SKIP=77

lab_log() {
	printf 'lab: %s\n' "$*" >&2
}

lab_die() {
	printf 'lab: FAIL: %s\n' "$*" >&2
	exit "$LAB_EXIT_FAIL"
}

# Only for what truly prevents the lab from running here (no QEMU, no kernel package).
lab_skip() {
	printf 'lab: SKIP: %s\n' "$*" >&2
	exit "$LAB_EXIT_SKIP"
}

lab_have() {
	command -v "$1" >/dev/null 2>&1
}

lab_pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

# Installs the Debian packages given when missing; returns non-zero when apt cannot.
lab_pkg_ensure() {
	local missing=() p
	for p in "$@"; do
		lab_pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	lab_log "installing ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || return 1
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 && return 0
	apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# The host tools the lab needs; skips when they are absent and cannot be installed.
lab_tools_ensure() {
	lab_pkg_ensure qemu-system-x86 busybox-static cpio kmod xz-utils gzip iproute2 ||
		lab_log "could not install every lab package"
	local t
	for t in qemu-system-x86_64 cpio xz gzip timeout; do
		lab_have "$t" || lab_skip "$t is missing and could not be installed with apt-get"
	done
	# No pipe into grep -q: under pipefail, busybox killed by SIGPIPE when grep
	# stops early would read as a missing busybox.
	if [ ! -x /bin/busybox ] || ! grep -qx modprobe <<<"$(/bin/busybox --list)"; then
		lab_skip "busybox-static is missing and could not be installed"
	fi
	ldd /bin/busybox >/dev/null 2>&1 &&
		lab_skip "/bin/busybox is not the static build (install busybox-static)"
	return 0
}

# Seconds since the epoch with two decimals, for timings.
lab_now() {
	date +%s.%N | cut -c1-13
}

lab_elapsed() {
	awk -v a="$1" -v b="$(lab_now)" 'BEGIN { printf "%.1f", b - a }'
}
