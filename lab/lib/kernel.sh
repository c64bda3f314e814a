# The lab kernel: the Debian package that linux-image-amd64 depends on, unpacked and
# cached under $LAB_CACHE/<package>/ (sourced, not run). A complete cache entry holds:
#   vmlinuz        the bootable image
#   vmlinux        the ELF extracted from it (for nested guests)
#   release        the kernel release (uname -r)
#   modules/lib/modules/<release>/   every module plus modules.dep (lab_depmod)
#   complete       written last; entries without it are rebuilt

LAB_CACHE=${IOVIRT_LAB_CACHE:-/var/cache/iovirt-lab}

# Prints the package name linux-image-amd64 depends on, or nothing.
lab_kernel_pkg_lookup() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; found = 1 }'
}

lab_kernel_pkg_resolve() {
	local pkg
	pkg=$(lab_kernel_pkg_lookup)
	if [ -z "$pkg" ]; then
		apt-get update -q >&2 || true
		pkg=$(lab_kernel_pkg_lookup)
	fi
	printf '%s\n' "$pkg"
}

# The newest complete cache entry, for a machine that cannot reach apt any more.
lab_kernel_cached_any() {
	local d
	d=$(find "$LAB_CACHE" -mindepth 2 -maxdepth 2 -path '*/linux-image-*/complete' | sort -V | tail -n 1)
	[ -n "$d" ] && dirname "$d"
}

# Writes the vmlinux ELF held in vmlinuz $1 to $2. The payload is the first xz stream
# (magic FD 37 7A 58 5A 00); --single-stream ignores what follows it.
lab_vmlinux_extract() {
	local off
	off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$1" | cut -d: -f1 | sed -n 1p)
	[ -n "$off" ] || { lab_log "$1: no xz payload"; return 1; }
	# tail may die of SIGPIPE once xz has its stream: only xz's status counts.
	tail -c +"$((off + 1))" "$1" | xz -dc --single-stream >"$2"
	[ "${PIPESTATUS[1]}" -eq 0 ] || return 1
	[ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
		{ lab_log "$2: not an ELF file"; return 1; }
}

# Downloads package $1 into directory $2; retries once after apt-get update.
lab_kernel_download() {
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2) && return 0
	apt-get update -q >&2 || return 1
	(cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2)
}

# Downloads and unpacks package $1 into the new directory $2. Returns 2 when the
# download fails (apt offline), 1 when the package is not what the lab expects.
lab_kernel_unpack() {
	local pkg=$1 dir=$2 deb release
	mkdir -p "$dir/dl"
	lab_kernel_download "$pkg" "$dir/dl" || return 2
	deb=$(ls "$dir"/dl/*.deb) && dpkg -x "$deb" "$dir/pkg" || return 1
	release=$(find "$dir/pkg/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sed -n 1p)
	[ -n "$release" ] && [ -f "$dir/pkg/boot/vmlinuz-$release" ] || return 1
	mv "$dir/pkg/boot/vmlinuz-$release" "$dir/vmlinuz"
	mkdir -p "$dir/modules/lib/modules"
	mv "$dir/pkg/lib/modules/$release" "$dir/modules/lib/modules/"
	echo "$release" >"$dir/release"
	rm -rf "$dir/pkg" "$dir/dl"
}

# Writes modules.dep and the alias indexes for release $2 under root $1. kmod's
# depmod also writes the binary indexes libkmod reads (iovirt's module lookup);
# busybox's text files are enough for busybox modprobe.
lab_depmod() {
	if [ -x /sbin/depmod ]; then
		/sbin/depmod -b "$1" "$2"
	else
		busybox depmod -b "$1" "$2"
	fi
}

# Fills cache entry $2 for package $1. Returns 2 when apt cannot download it.
lab_kernel_build_entry() {
	local pkg=$1 dir=$2 tmp rc
	tmp=$(mktemp -d "$LAB_CACHE/.tmp.XXXXXX") || return 1
	lab_kernel_unpack "$pkg" "$tmp"
	rc=$?
	if [ $rc -eq 0 ] && lab_vmlinux_extract "$tmp/vmlinuz" "$tmp/vmlinux" &&
		lab_depmod "$tmp/modules" "$(cat "$tmp/release")"; then
		date -u +%FT%TZ >"$tmp/complete"
		rm -rf "$dir" && mv "$tmp" "$dir" && return 0
	fi
	rm -rf "$tmp"
	[ $rc -eq 2 ] && return 2
	return 1
}

# Sets LAB_KDIR to a complete cache entry, fetching the package when needed. Skips
# (77) only when no kernel can be had: apt cannot resolve or download it and
# nothing is cached.
lab_kernel_fetch() {
	local pkg
	mkdir -p "$LAB_CACHE" || lab_die "cannot create the cache $LAB_CACHE (set IOVIRT_LAB_CACHE)"
	exec 9>"$LAB_CACHE/.lock"
	flock 9
	pkg=$(lab_kernel_pkg_resolve)
	if [ -z "$pkg" ]; then
		LAB_KDIR=$(lab_kernel_cached_any) ||
			lab_skip "cannot resolve the package linux-image-amd64 depends on (apt offline?) and nothing is cached in $LAB_CACHE"
		lab_log "apt cannot resolve the kernel package; using the cached $LAB_KDIR"
	elif [ -f "$LAB_CACHE/$pkg/complete" ]; then
		LAB_KDIR=$LAB_CACHE/$pkg
	else
		local t0
		t0=$(lab_now)
		lab_log "fetching $pkg into $LAB_CACHE/$pkg"
		lab_kernel_build_entry "$pkg" "$LAB_CACHE/$pkg"
		case $? in
		0)
			LAB_KDIR=$LAB_CACHE/$pkg
			lab_log "kernel cached in $(lab_elapsed "$t0") s" ;;
		2)
			LAB_KDIR=$(lab_kernel_cached_any) ||
				lab_skip "cannot download $pkg (apt offline?) and nothing is cached in $LAB_CACHE"
			lab_log "cannot download $pkg; using the cached $LAB_KDIR" ;;
		*)
			lab_die "$pkg downloaded but could not be unpacked into $LAB_CACHE/$pkg (no vmlinuz, modules or xz payload)" ;;
		esac
	fi
	flock -u 9
	exec 9>&-
	LAB_KRELEASE=$(cat "$LAB_KDIR/release")
	# shellcheck disable=SC2034 # used by images.sh
	LAB_KMODDIR=$LAB_KDIR/modules/lib/modules/$LAB_KRELEASE
}
