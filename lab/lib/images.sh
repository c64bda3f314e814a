# The two initramfs images: the lab's own and the nested guest kit's (sourced).
# Needs common.sh, kernel.sh (LAB_KMODDIR) and rootfs.sh.

LAB_MODULES=(irqbypass ccp kvm kvm-amd vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci
	crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme e1000e)
# In the image, not loaded at boot: vfio-bind-safety loads it for a host driver in the ICH9 group.
LAB_MODULES+=(i2c-i801)

# Builds the lab initramfs $1 from: LAB_IOVIRT and its build's guest images (in
# /usr/local/share/iovirt/), LAB_KVM_SMOKE, LAB_VFIO_LOOPBACK, the payload
# directories in LAB_PAYLOADS (copied to /payload/<name>), the trees in
# LAB_OVERLAYS (copied onto the root, last), the scripts under lab/.
lab_image_lab() {
	local out=$1 root p
	root=$(mktemp -d "${out%/*}/.root.XXXXXX") || return 1
	lab_rootfs_init "$root"
	lab_rootfs_add_modules "$root" "$LAB_KMODDIR" "${LAB_MODULES[@]}" || return 1
	lab_rootfs_add_binary "$root" "$LAB_IOVIRT" /usr/local/bin/iovirt || return 1
	lab_rootfs_add_binary "$root" "$LAB_KVM_SMOKE" /usr/local/bin/iovirt-lab-kvm-smoke || return 1
	[ -z "${LAB_VFIO_LOOPBACK:-}" ] ||
		lab_rootfs_add_binary "$root" "$LAB_VFIO_LOOPBACK" /usr/local/bin/iovirt-lab-vfio-loopback || return 1
	lab_rootfs_add_binary "$root" "$(command -v ip)" /usr/local/bin/ip || return 1
	lab_rootfs_add_binary "$root" "$(command -v nvme)" /usr/local/bin/nvme || return 1
	mkdir -p "$root/usr/local/share/iovirt"
	cp "$(lab_guest_images_dir)"/*.elf "$root/usr/local/share/iovirt/" || return 1
	[ -f /usr/share/misc/pci.ids ] && lab_rootfs_add_file "$root" /usr/share/misc/pci.ids
	install -m 755 "$LAB_TOP/lab/rootfs/init" "$root/init"
	mkdir -p "$root/lab/scenarios" "$root/payload"
	cp "$LAB_TOP/lab/rootfs/lib.sh" "$root/lab/"
	cp "$LAB_TOP"/lab/scenarios/*.sh "$root/lab/scenarios/"
	for p in ${LAB_PAYLOADS[@]+"${LAB_PAYLOADS[@]}"}; do
		cp -a "$p" "$root/payload/$(basename "$p")"
	done
	for p in ${LAB_OVERLAYS[@]+"${LAB_OVERLAYS[@]}"}; do
		cp -a "$p/." "$root/" || return 1
	done
	lab_rootfs_pack "$root" "$out"
	rm -rf "$root"
}

# Builds the nested guest kit in directory $1: vmlinux, initramfs.cpio.gz whose /init
# runs scenario $2 (a script file; default lab/guest/scenarios/hello.sh), and the
# modules named in $3 (space-separated, may be empty) with their dependencies.
lab_image_guest_kit() {
	local dir=$1 scenario=${2:-$LAB_TOP/lab/guest/scenarios/hello.sh} modules=${3:-} root
	[ -f "$scenario" ] || { lab_log "no guest scenario $scenario"; return 1; }
	mkdir -p "$dir"
	root=$(mktemp -d "$dir/.root.XXXXXX") || return 1
	lab_rootfs_init "$root"
	if [ -n "$modules" ]; then
		# shellcheck disable=SC2086
		lab_rootfs_add_modules "$root" "$LAB_KMODDIR" $modules || return 1
	fi
	install -m 755 "$LAB_TOP/lab/guest/init" "$root/init"
	mkdir -p "$root/guest"
	cp "$scenario" "$root/guest/scenario.sh"
	basename "$scenario" .sh >"$root/guest/name"
	echo "$modules" >"$root/guest/modules"
	lab_rootfs_pack "$root" "$dir/initramfs.cpio.gz"
	rm -rf "$root"
	cp "$LAB_KDIR/vmlinux" "$dir/vmlinux"
	cp "$LAB_KDIR/vmlinuz" "$dir/vmlinuz"
	echo "$LAB_KRELEASE" >"$dir/release"
}
