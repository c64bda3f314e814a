#!/usr/bin/env bash
# iovirt bind/unbind from the command line: usage errors, hostile device names, refusals,
# dry runs and JSON against copies of fixture trees (plain files: writes land, but no kernel
# moves the driver link, so a real bind fails its read-back and is rolled back).
# usage: test-bind.sh IOVIRT FIXTURES_DIR
set -u
iovirt=$1 fixtures=$2
failures=0 checks=0
work=$(mktemp -d "${TMPDIR:-/tmp}/iovirt-test-bind.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cp -a "$fixtures/bind-host" "$work/sys"
mkdir "$work/sys/bus/pci/drivers/vfio-pci"
cp -a "$fixtures/bind-host" "$work/sys-novfio"
tree=(--sysfs "$work/sys" --state-dir "$work/state")

check() { # check NAME EXPECTED_STATUS PATTERN -- CMD...
	local name=$1 want=$2 pattern=$3 out status
	shift 4
	out=$("$@" 2>&1); status=$?
	checks=$((checks + 1))
	if [ "$status" -ne "$want" ]; then
		echo "FAIL $name: exit $status, want $want"; head -20 <<<"$out"; failures=$((failures + 1))
	elif ! grep -q -E -- "$pattern" <<<"$out"; then
		echo "FAIL $name: output lacks /$pattern/"; head -20 <<<"$out"; failures=$((failures + 1))
	else
		echo "ok   $name"
	fi
}

json_ok() { "$@" 2>/dev/null | python3 -c 'import json,sys; json.load(sys.stdin)'; }

check help-bind 0 'overrides only this refusal' -- "$iovirt" bind --help
check help-unbind 0 'usage: iovirt unbind' -- "$iovirt" help unbind
check top-help 0 'bind +bind PCI devices to vfio-pci' -- "$iovirt" help
check no-bdf 2 'give at least one BDF' -- "$iovirt" bind
check unbind-no-bdf 2 'give at least one BDF' -- "$iovirt" unbind --dry-run
check unbind-force 2 "unknown option '--force'" -- "$iovirt" unbind --force 00:03.0
check unbind-group 2 "unknown option '--group'" -- "$iovirt" unbind --group 00:03.0
check bad-option 2 "unknown option '--bogus'" -- "$iovirt" bind --bogus 00:03.0
check sysfs-no-value 2 '--sysfs needs a value' -- "$iovirt" bind 00:03.0 --sysfs
check empty-sysfs 2 'need a directory' -- "$iovirt" bind --sysfs '' 00:03.0
check fault-env-junk 2 "IOVIRT_FAULT_BIND_STEP='x'" -- env IOVIRT_FAULT_BIND_STEP=x "$iovirt" bind "${tree[@]}" 00:03.0

# Device names are checked before anything is read: paths, options, junk and control bytes.
for bdf in '../../../etc' '0000:00:03.0/../..' '0000:00:03.0/driver' '' ' ' '1f.2' '0x3:00.0' \
	'+3:00.0' '0000:00:20.0' '0000:00:03.8' '10000:00:03.0' '0000:100:00.0' \
	"$(printf '0000:00:03.0\n')x" "$(printf '\033[2J')" "$(head -c 3000 /dev/zero | tr '\0' 0)"; do
	check "hostile-bdf-$(printf %q "$bdf" | head -c 40)" 2 'is not a PCI address' -- \
		"$iovirt" bind "${tree[@]}" -- "$bdf"
done
check escaped-bdf 2 "'\\\\x1b\[2J' is not a PCI address" -- "$iovirt" bind -- "$(printf '\033[2J')"
check too-many 2 'at most 64 devices' -- "$iovirt" bind $(for i in $(seq 0 64); do printf '0:%x:0.0 ' $i; done)

check missing-tree 1 'cannot read PCI devices under /nonexistent' -- \
	"$iovirt" bind --sysfs /nonexistent --state-dir "$work/state" 00:03.0
check missing-device 1 'no such PCI device' -- "$iovirt" bind "${tree[@]}" 0000:09:00.0
check refused-group 1 '0000:00:1f.3 \(SMBus\) is bound to i801_smbus' -- "$iovirt" bind "${tree[@]}" 00:1f.2
check refused-pf 1 'SR-IOV PF with 2 active VFs' -- "$iovirt" bind "${tree[@]}" 01:00.0
check refused-bridge 1 'refused: it is a bridge' -- "$iovirt" bind "${tree[@]}" 00:1c.0
check refused-all 1 'refused \(1 device\): nothing was changed' -- "$iovirt" bind "${tree[@]}" 00:03.0 00:1c.0
check refused-noiommu 1 'never enables VFIO.s unsafe no-IOMMU mode' -- \
	"$iovirt" bind --sysfs "$fixtures/bind-noiommu" --state-dir "$work/state" 00:04.0
check groups-noiommu-only 0 'group 0: VFIO no-IOMMU group, isolates nothing' -- \
	"$iovirt" groups --sysfs "$fixtures/bind-noiommu"
check groups-why-one-line 0 '^  why: .*bridge$' -- "$iovirt" groups --sysfs "$fixtures/bind-noiommu"
check dry-run 0 'would bind: e1000e -> vfio-pci' -- "$iovirt" bind "${tree[@]}" --dry-run 00:03.0
check dry-run-group 0 '0000:06:00.1 \(same IOMMU group\)  would bind: igb -> vfio-pci' -- \
	"$iovirt" bind "${tree[@]}" --dry-run --group 06:00.0
check dry-run-json 0 '"result": "planned"' -- "$iovirt" bind "${tree[@]}" --dry-run --json 00:03.0
check already 0 'nothing to do: already bound to vfio-pci' -- \
	"$iovirt" bind --sysfs "$fixtures/bind-noiommu" --state-dir "$work/state" 00:03.0
check unbind-already 0 'nothing to do: not bound to a VFIO driver \(driver: e1000e\)' -- \
	"$iovirt" unbind "${tree[@]}" 00:03.0
check unbind-unremembered 0 'would unbind: vfio-pci -> the driver the kernel picks' -- \
	"$iovirt" unbind --sysfs "$fixtures/bind-noiommu" --state-dir "$work/state" --dry-run 00:03.0

# Plain files do not move the driver link: the read-back fails and the device is put back
# (plain files are not truncated as attributes are, so driver_override is not checked here).
check readback-fails 1 'after drivers_probe it is bound to e1000e, not vfio-pci' -- \
	"$iovirt" bind "${tree[@]}" 00:03.0
check rolled-back-driver 0 'drivers/e1000e$' -- readlink "$work/sys/bus/pci/devices/0000:00:03.0/driver"
check no-state-left 1 '' -- test -e "$work/state/0000:00:03.0"
check fault-injected 1 'writing driver_override failed: Input/output error' -- \
	env IOVIRT_FAULT_BIND_STEP=1 "$iovirt" bind "${tree[@]}" 00:03.0
check no-module-for-a-tree 1 'vfio-pci driver is not loaded' -- \
	"$iovirt" bind --sysfs "$work/sys-novfio" --state-dir "$work/state" 00:03.0

checks=$((checks + 4))
json_ok "$iovirt" bind "${tree[@]}" --json 00:1f.2 00:03.0 || { echo "FAIL refused --json invalid"; failures=$((failures + 1)); }
json_ok "$iovirt" bind "${tree[@]}" --json 00:03.0 || { echo "FAIL failed --json invalid"; failures=$((failures + 1)); }
json_ok "$iovirt" unbind "${tree[@]}" --json 00:03.0 || { echo "FAIL unbind --json invalid"; failures=$((failures + 1)); }
json_ok "$iovirt" bind --sysfs /nonexistent --json 00:03.0 || { echo "FAIL error --json invalid"; failures=$((failures + 1)); }

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
