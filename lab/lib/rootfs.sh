# Building initramfs trees: busybox, modules, binaries with their libraries (sourced;
# needs kernel.sh for lab_depmod).

# Starts an initramfs tree at $1: directories and a static busybox as /bin/sh.
lab_rootfs_init() {
	local root=$1
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,lib,lib64,usr/bin,usr/sbin,usr/lib,var/run}
	cp /bin/busybox "$root/bin/busybox"
	ln -sf busybox "$root/bin/sh"
}

# Copies file $2 (a host path) to the same path under root $1.
lab_rootfs_add_file() {
	local root=$1 src=$2
	mkdir -p "$root$(dirname "$src")"
	cp -L "$src" "$root$src"
}

# Copies binary $2 into root $1 as /bin/<name> (or $3), with every shared library
# ldd names and the dynamic loader, at their host paths. A binary linked with
# DPDK (iovirt switch) also gets DPDK's ring mempool driver, which DPDK loads
# as a plugin from its driver directory (without it no packet pool can be made).
lab_rootfs_add_binary() {
	local root=$1 src=$2 dest=${3:-/bin/$(basename "$2")} lib libs
	[ -x "$src" ] || { lab_log "not an executable: $src"; return 1; }
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$src" "$root$dest"
	libs=$(ldd "$src" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }')
	if grep -q librte_eal <<<"$libs"; then
		libs="$libs $(ls /usr/lib/*/dpdk/pmds-*/librte_mempool_ring.so 2>/dev/null)"
	fi
	for lib in $libs; do
		[ -e "$root$lib" ] || lab_rootfs_add_file "$root" "$lib"
	done
}

# Prints module $2 and everything it depends on (paths relative to moddir $1),
# dependencies first, from the modules.dep that busybox depmod wrote.
lab_modules_closure() {
	local moddir=$1 name=$2 line dep
	line=$(grep -m 1 -E "(^|/)${name}\.ko:" "$moddir/modules.dep")
	[ -n "$line" ] || { lab_log "module $name not found in $moddir"; return 1; }
	for dep in $(printf '%s\n' "${line#*:}" | tr ' ' '\n' | tac); do
		printf '%s\n' "$dep"
	done
	printf '%s\n' "${line%%:*}"
}

# Copies modules $3... (names as modprobe takes them) and their dependencies from
# moddir $2 into root $1, then writes modules.dep there with busybox depmod.
lab_rootfs_add_modules() {
	local root=$1 moddir=$2 release m f files
	shift 2
	release=$(basename "$moddir")
	for m in "$@"; do
		files=$(lab_modules_closure "$moddir" "$m") || return 1
		for f in $files; do
			mkdir -p "$root/lib/modules/$release/$(dirname "$f")"
			cp "$moddir/$f" "$root/lib/modules/$release/$f"
		done
	done
	cp "$moddir"/modules.builtin "$moddir"/modules.order "$root/lib/modules/$release/"
	lab_depmod "$root" "$release"
}

# Packs root $1 into the gzip'd newc cpio archive $2.
lab_rootfs_pack() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$out.tmp" && mv "$out.tmp" "$out"
}
