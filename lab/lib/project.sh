# The project's binaries for the lab (sourced). The test build uses ASan/UBSan,
# whose runtime does not belong in the lab, so the lab gets its own plain build.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Builds iovirt without sanitizers in directory $1 (configured on first use) and
# sets LAB_IOVIRT to the binary.
lab_project_build() {
	local dir=$1 t0
	t0=$(lab_now)
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$LAB_TOP" -Db_sanitize=none -Dtests=disabled \
			-Dbuildtype=debugoptimized >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log" >&2; lab_die "meson setup of the lab build $dir failed"; }
	fi
	meson compile -C "$dir" >"$dir.compile.log" 2>&1 ||
		{ tail -n 40 "$dir.compile.log" >&2; lab_die "building iovirt in $dir failed (log: $dir.compile.log)"; }
	LAB_IOVIRT=$dir/cli/iovirt
	[ -x "$LAB_IOVIRT" ] || lab_die "no iovirt binary in $dir"
	if grep -q -E 'libasan|libubsan' <<<"$(ldd "$LAB_IOVIRT")"; then
		lab_die "$LAB_IOVIRT links a sanitizer runtime"
	fi
	lab_log "iovirt built in $dir ($(lab_elapsed "$t0") s)"
}

# The guest images (*.elf) of the lab build that made LAB_IOVIRT.
lab_guest_images_dir() {
	printf '%s\n' "$(dirname "$LAB_IOVIRT")/../guest"
}

# Builds the static kvm-smoke tool into $1 unless the meson build gave one
# ($LAB_KVM_SMOKE); sets LAB_KVM_SMOKE.
lab_kvm_smoke_build() {
	local out=$1/iovirt-lab-kvm-smoke
	if [ -n "${LAB_KVM_SMOKE:-}" ]; then
		[ -x "$LAB_KVM_SMOKE" ] || lab_die "kvm-smoke not found: $LAB_KVM_SMOKE"
		return 0
	fi
	if [ ! -x "$out" ] || [ "$LAB_TOP/lab/kvm-smoke.c" -nt "$out" ]; then
		${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$out" "$LAB_TOP/lab/kvm-smoke.c" ||
			lab_die "cannot build kvm-smoke"
	fi
	LAB_KVM_SMOKE=$out
}

# Builds the static vfio-loopback tool (tests/lab/vfio-e1000e-loopback.c with the
# VFIO transport of vfio-core) into $1 unless the meson build gave one
# ($LAB_VFIO_LOOPBACK); sets LAB_VFIO_LOOPBACK.
lab_vfio_loopback_build() {
	local out=$1/iovirt-lab-vfio-loopback t=$LAB_TOP
	local srcs=("$t/tests/lab/vfio-e1000e-loopback.c" "$t/vfio-core/vfio-dev.c"
		"$t/vfio-core/vfio-kernel.c" "$t/vfio-core/vfio-kernel-sysfs.c" "$t/vfio-core/vfio-caps.c"
		"$t/base/sysfs.c")
	if [ -n "${LAB_VFIO_LOOPBACK:-}" ]; then
		[ -x "$LAB_VFIO_LOOPBACK" ] || lab_die "vfio-loopback not found: $LAB_VFIO_LOOPBACK"
		return 0
	fi
	if [ ! -x "$out" ] || [ -n "$(find "${srcs[@]}" "$t/vfio-core" "$t/base" -newer "$out" -print -quit)" ]; then
		${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -static \
			-I"$t/vfio-core" -I"$t/base" -o "$out" "${srcs[@]}" ||
			lab_die "cannot build vfio-loopback"
	fi
	LAB_VFIO_LOOPBACK=$out
}
