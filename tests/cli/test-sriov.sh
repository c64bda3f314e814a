#!/usr/bin/env bash
# iovirt sriov: list, the enable/disable rules on fixture copies (a plain-file sysfs),
# holders found in a fixture /proc, and the netlink requests of `sriov set` checked
# against iproute2's `ip link set DEV vf K ...` as the oracle.
# usage: test-sriov.sh IOVIRT FIXTURES_DIR SEND_SHIM
set -u
iovirt=$1 fixtures=$2 shim=$3
failures=0 checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
json_ok() { "$@" | python3 -c 'import json,sys; json.load(sys.stdin)' && echo valid; }

pf=0000:03:00.0
cp -a "$fixtures/sriov-pf" "$tmp/sys"
mkdir -p "$tmp/proc"
numvfs() { cat "$tmp/sys/bus/pci/devices/$pf/sriov_numvfs"; }

check help 0 'usage: iovirt sriov list' -- "$iovirt" sriov --help
check no-sub 2 'missing subcommand' -- "$iovirt" sriov
check bad-sub 2 "unknown subcommand 'frob'" -- "$iovirt" sriov frob
check list 0 '0000:03:10\.2 +41 +ixgbevf +1' -- "$iovirt" sriov list --sysfs "$tmp/sys"
check list-json 0 '^valid$' -- json_ok "$iovirt" sriov list --json --sysfs "$tmp/sys"
check list-hostile-json 0 '^valid$' -- json_ok "$iovirt" sriov list --json --sysfs "$fixtures/hostile-sriov"
check list-not-pf 1 'not an SR-IOV PF' -- "$iovirt" sriov list 03:10.0 --sysfs "$tmp/sys"
check enable-needs-vfs 2 'enable needs --vfs' -- "$iovirt" sriov enable $pf --sysfs "$tmp/sys"
check enable-above-total 1 'at most 63 VFs' -- "$iovirt" sriov enable $pf --vfs 64 --sysfs "$tmp/sys"
check enable-not-through-0 1 'only through 0' -- "$iovirt" sriov enable $pf --vfs 4 --sysfs "$tmp/sys"
check enable-same 0 'nothing changed' -- "$iovirt" sriov enable $pf --vfs 2 --sysfs "$tmp/sys"
check enable-same-json 0 '"changed": false' -- "$iovirt" sriov enable $pf --vfs 2 --json --sysfs "$tmp/sys"

# A process holding VF 1's group (41) open: disable names it.
mkdir -p "$tmp/proc/4242/fd"
echo qemu-guest >"$tmp/proc/4242/comm"
ln -s /dev/vfio/41 "$tmp/proc/4242/fd/7"
check disable-held 1 'VF 0000:03:10\.2 is open by PID 4242 \(qemu-guest\)' -- \
	"$iovirt" sriov disable $pf --sysfs "$tmp/sys" --proc "$tmp/proc"
check disable-held-nothing-written 0 '^2$' -- numvfs
rm -r "$tmp/proc/4242"
check disable 0 '0000:03:00.0: 0 VFs \(was 2\)' -- \
	"$iovirt" sriov disable $pf --sysfs "$tmp/sys" --proc "$tmp/proc"
# A plain-file tree has no kernel behind it: remove the VF links as the kernel would.
rm "$tmp/sys/bus/pci/devices/$pf"/virtfn*
echo 1 >"$tmp/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe"
check enable-autoprobe 0 '4 VFs \(was 0\)' -- \
	"$iovirt" sriov enable $pf --vfs 4 --autoprobe off --sysfs "$tmp/sys" --proc "$tmp/proc"
check autoprobe-written 0 '^0$' -- cat "$tmp/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe"
check bad-autoprobe 2 '--autoprobe takes on or off' -- \
	"$iovirt" sriov enable $pf --vfs 1 --autoprobe maybe --sysfs "$tmp/sys"

# A PF bound to vfio-pci without enable_sriov.
cp -a "$fixtures/vf-of-vfio-pf" "$tmp/vfio"
check vfio-pf-disable 0 '0 VFs \(was 1\)' -- \
	"$iovirt" sriov disable 06:00.0 --sysfs "$tmp/vfio" --proc "$tmp/proc"
rm "$tmp/vfio/bus/pci/devices/0000:06:00.0"/virtfn*
check vfio-pf-no-enable-sriov 1 'enable_sriov=1' -- \
	"$iovirt" sriov enable 06:00.0 --vfs 2 --sysfs "$tmp/vfio" --proc "$tmp/proc"
mkdir -p "$tmp/vfio/module/vfio_pci/parameters"
echo Y >"$tmp/vfio/module/vfio_pci/parameters/enable_sriov"
check vfio-pf-vf-token 0 'VF token' -- \
	"$iovirt" sriov enable 06:00.0 --vfs 2 --sysfs "$tmp/vfio" --proc "$tmp/proc"

check set-bad-key 2 "unknown VF setting 'colour'" -- "$iovirt" sriov set lo --vf 0 colour=red
check set-bad-vlan 2 'vlan=4096: expected a VLAN ID' -- "$iovirt" sriov set lo --vf 0 vlan=4096
check set-multicast-mac 2 'mac=01:00:5e:00:00:01: expected a unicast MAC' -- \
	"$iovirt" sriov set lo --vf 0 mac=01:00:5e:00:00:01
check set-qos-no-vlan 2 'qos=3 needs a nonzero vlan' -- "$iovirt" sriov set lo --vf 0 qos=3
check set-no-vf 2 'set needs a PF and --vf K' -- "$iovirt" sriov set lo mac=02:00:00:00:00:01
check set-no-netdev 1 'not a network interface' -- \
	"$iovirt" sriov set nosuchif0 --vf 0 mac=02:00:00:00:00:01

# iovirt split: the plan, its JSON, the k8s resource list (JSON, the device plugin's keys)
# and the libvirt elements (well-formed XML).
k8s_ok() {
	"$@" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
allowed = {"resourceName", "resourcePrefix", "deviceType", "selectors", "excludeTopology"}
for r in d["resourceList"]:
    assert set(r) <= allowed, set(r) - allowed
    assert re.fullmatch(r"[A-Za-z0-9_]+", r["resourceName"])
    assert r["deviceType"] in ("netDevice", "accelerator")
    assert set(r["selectors"]) <= {"vendors", "devices", "drivers", "pciAddresses", "pfNames", "rootDevices"}
print("valid")'
}
xml_ok() { "$@" | python3 -c 'import sys, xml.etree.ElementTree as E; E.fromstring("<guests>" + sys.stdin.read() + "</guests>"); print("valid")'; }
# Each guest's elements inside a minimal domain, validated against libvirt's RNG schema
# (libvirt0 ships it; scripts/install-deps installs it).
rng=/usr/share/libvirt/schemas/domain.rng
libvirt_rng_ok() {
	"$@" >"$tmp/libvirt.xml" || return 1
	python3 - "$tmp/libvirt.xml" "$rng" <<'PY'
import re, subprocess, sys
blocks = re.findall(r"<devices>.*?</devices>", open(sys.argv[1]).read(), re.S)
assert blocks, "no <devices> blocks"
for i, b in enumerate(blocks):
    doc = f"<domain type='kvm'><name>g{i}</name><memory>131072</memory><os><type>hvm</type></os>{b}</domain>"
    r = subprocess.run(["xmllint", "--noout", "--relaxng", sys.argv[2], "-"], input=doc,
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
print(f"{len(blocks)} guests valid")
PY
}
cp -a "$fixtures/sriov-pf" "$tmp/nonet"
rm -r "$tmp/nonet/bus/pci/devices/$pf/net"
if [ -f "$rng" ] && command -v xmllint >/dev/null; then
	check split-libvirt-rng-interface 0 '^2 guests valid$' -- \
		libvirt_rng_ok "$iovirt" split $pf --guests 2 --export libvirt --sysfs "$fixtures/sriov-pf"
	check split-libvirt-rng-hostdev 0 '^1 guests valid$' -- \
		libvirt_rng_ok "$iovirt" split $pf --guests 1 --vfs-per-guest 2 --export libvirt --sysfs "$tmp/nonet"
else
	echo "skip split-libvirt-rng: no $rng or xmllint (scripts/install-deps installs libvirt0 and libxml2-utils)"
fi
check split-k8s-accelerator 0 '"deviceType": "accelerator"' -- \
	"$iovirt" split $pf --guests 2 --export k8s --sysfs "$tmp/nonet"

check split-help 0 'usage: iovirt split PF --guests N' -- "$iovirt" split --help
check split-needs-guests 2 'split needs a PF and --guests N' -- "$iovirt" split $pf
check split-bad-export 2 "--export takes k8s or libvirt" -- "$iovirt" split $pf --guests 2 --export xen
check split-too-many 1 'need 64 VFs; 0000:03:00.0 has at most 63' -- \
	"$iovirt" split $pf --guests 32 --vfs-per-guest 2 --sysfs "$fixtures/sriov-pf"
check split-plan 0 'guest 1: VF 1 0000:03:10.2 02:8f:87:e1:00:01' -- \
	"$iovirt" split $pf --guests 2 --sysfs "$fixtures/sriov-pf"
check split-plan-through-0 0 'iovirt sriov disable 0000:03:00.0' -- \
	"$iovirt" split $pf --guests 2 --vfs-per-guest 2 --sysfs "$fixtures/sriov-pf"
check split-json 0 '^valid$' -- json_ok "$iovirt" split $pf --guests 2 --json --sysfs "$fixtures/sriov-pf"
check split-k8s 0 '^valid$' -- k8s_ok "$iovirt" split $pf --guests 2 --export k8s --sysfs "$fixtures/sriov-pf"
check split-libvirt 0 '^valid$' -- xml_ok "$iovirt" split $pf --guests 2 --export libvirt --sysfs "$fixtures/sriov-pf"
check split-libvirt-unknown 1 'not known yet: enable the VFs first' -- \
	"$iovirt" split $pf --guests 2 --vfs-per-guest 2 --export libvirt --sysfs "$fixtures/sriov-pf"
check split-launch-needs-apply 2 '--launch needs --apply' -- \
	"$iovirt" split $pf --guests 2 --launch -- --guest x.elf
check split-launch-needs-run-options 2 "run options after '--'" -- \
	"$iovirt" split $pf --guests 2 --apply --launch
check split-run-options-need-launch 2 "options after '--' are for --launch" -- \
	"$iovirt" split $pf --guests 2 --apply -- --guest x.elf
check split-apply-not-export 2 '--export and --apply are exclusive' -- \
	"$iovirt" split $pf --guests 2 --apply --export k8s
check split-apply-fault-env 2 'IOVIRT_FAULT_BIND_STEP=.x.: not a write number' -- \
	env IOVIRT_FAULT_BIND_STEP=x "$iovirt" split $pf --guests 2 --apply --sysfs "$fixtures/sriov-pf"

# --launch on a tree whose PF (bind-host's NVMe, NUMA node 0) has its two VFs on vfio-pci
# already: --apply changes nothing, then each guest is an `iovirt run` started detached,
# placed on node 0 (when this host has NUMA), its output in the log directory.
launch_tree() {
	local d=$tmp/launch/sys v
	rm -rf "$tmp/launch" && mkdir -p "$tmp/launch/logs" && cp -a "$fixtures/bind-host" "$d"
	mkdir -p "$d/bus/pci/drivers/vfio-pci"
	for v in 0000:01:00.1 0000:01:00.2; do
		ln -sfn ../../../../bus/pci/drivers/vfio-pci "$d/bus/pci/devices/$v/driver"
	done
}
launch() { "$iovirt" split 0000:01:00.0 --guests 2 --apply --launch --sysfs "$tmp/launch/sys" \
	--state-dir "$tmp/launch/state" --log-dir "$tmp/launch/logs" "$@"; }
launch_tree
check split-launch-starts 0 'guest 1: PID [0-9]+ \(already ended, status 0\)' -- launch -- --help
check split-launch-log 0 'usage: iovirt run' -- cat "$tmp/launch/logs/split-guest-1.log"
launched_json() { launch --json -- --help | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["applied"]["bound_already"] == 2 and d["applied"]["bound"] == 0, d["applied"]
assert [g["guest"] for g in d["launched"]] == [0, 1] and all(g["pid"] > 0 for g in d["launched"])
print("launched", len(d["launched"]))'; }
check split-launch-json 0 '^launched 2$' -- launched_json
# Both guests fail at once: whichever ends first is named.
check split-launch-failure 1 'guest [01] \(PID [0-9]+\) ended with status [1-9][0-9]* at once; its output: .*split-guest-[01].log; the VFs stay bound' -- \
	launch -- --guest /nonexistent

# A log directory that cannot be written fails before a guest is started or a VF touched,
# naming the directory (a parent that is a regular file fails even for root); one that
# is missing is created.
touch "$tmp/launch/afile"
check split-launch-log-dir-parent-file 1 "cannot write the guests' logs in .*/afile/logs: Not a directory; nothing was changed" -- \
	launch --log-dir "$tmp/launch/afile/logs" -- --help
check split-launch-log-dir-file 1 "cannot write the guests' logs in .*/afile: Not a directory; nothing was changed" -- \
	launch --json --log-dir "$tmp/launch/afile" -- --help
check split-launch-log-dir-made 0 'usage: iovirt run' -- \
	eval 'launch --log-dir "$tmp/launch/new-logs" -- --help >/dev/null && cat "$tmp/launch/new-logs/split-guest-0.log"'
unbound_untouched() { # VFs still on nvme: without the check first, --apply would rebind them
	rm -rf "$tmp/launch" && mkdir -p "$tmp/launch" && cp -a "$fixtures/bind-host" "$tmp/launch/sys"
	mkdir -p "$tmp/launch/sys/bus/pci/drivers/vfio-pci" && cp -a "$tmp/launch/sys" "$tmp/launch/before"
	touch "$tmp/launch/afile"
	launch --log-dir "$tmp/launch/afile/logs" -- --help
	[ $? -eq 1 ] && diff -r --no-dereference "$tmp/launch/before" "$tmp/launch/sys" && echo untouched
}
check split-launch-log-dir-first 0 '^untouched$' -- unbound_untouched

# The oracle: the same VF settings through ip and through iovirt, captured by the shim,
# must be the same request (sequence numbers aside; libnl marks nests with NLA_F_NESTED,
# which the kernel masks off, iproute2 does not).
oracle() {
	local settings=(
		"mac=02:00:00:00:00:01|mac 02:00:00:00:00:01"
		"vlan=10 qos=3|vlan 10 qos 3"
		"vlan=4095|vlan 4095"
		"spoofchk=on|spoofchk on"
		"spoofchk=off|spoofchk off"
		"trust=on|trust on"
		"min_tx_rate=10 max_tx_rate=100|min_tx_rate 10 max_tx_rate 100"
		"link-state=auto|state auto"
		"link-state=enable|state enable"
		"link-state=disable|state disable"
	) s ours theirs
	ip link add v0 type veth peer name v1 || return 1
	for s in "${settings[@]}"; do
		ours=${s%%|*} theirs=${s#*|}
		# shellcheck disable=SC2086
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" SRIOV_SHIM_OUT=$tmp/iovirt.hex LD_PRELOAD=$shim "$iovirt" sriov set v0 --vf 3 $ours >/dev/null 2>&1
		# shellcheck disable=SC2086
		SRIOV_SHIM_OUT=$tmp/ip.hex LD_PRELOAD=$shim ip link set v0 vf 3 $theirs >/dev/null 2>&1
	done
	python3 - "$tmp/iovirt.hex" "$tmp/ip.hex" <<'PY'
import struct, sys
def norm(hexline):
    b = bytearray(bytes.fromhex(hexline))
    def walk(off, end, depth):
        while off + 4 <= end:
            ln, ty = struct.unpack_from('<HH', b, off)
            if ln < 4 or off + ln > end:
                raise SystemExit('malformed attribute')
            if depth < 2 and (ty & 0x3fff) in ((22, 1)[depth],):
                struct.pack_into('<H', b, off + 2, ty & 0x3fff)
                walk(off + 4, off + ln, depth + 1)
            off += (ln + 3) & ~3
    walk(32, len(b), 0)
    return bytes(b[4:8] + b[16:])   # type and flags, ifinfomsg and attributes
ours = [norm(l) for l in open(sys.argv[1]).read().split()]
theirs = [norm(l) for l in open(sys.argv[2]).read().split()]
# iovirt sends the vlan setting once and qos with it; ip the same: one message per line.
if len(ours) != len(theirs) or not ours:
    raise SystemExit(f'{len(ours)} requests from iovirt, {len(theirs)} from ip')
bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
for i in bad:
    print(f'request {i}: iovirt {ours[i].hex()}\n            ip     {theirs[i].hex()}')
if bad:
    raise SystemExit(1)
print(f'{len(ours)} requests identical')
PY
}
# The kernel's own refusal through the real socket: a veth has no VFs, each setting is refused
# on its own and named.
refusal() {
	ip link add v0 type veth peer name v1 || return 1
	"$iovirt" sriov set v0 --vf 3 trust=on spoofchk=off "$@"
}
if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
	export -f oracle refusal
	export tmp shim iovirt
	check netlink-oracle 0 'requests identical' -- unshare -n bash -c oracle
	check netlink-refusal 1 'trust on VF 3 refused: Operation not supported' -- unshare -n bash -c refusal
	check netlink-refusal-json 1 '"setting": "spoofchk",\s*$' -- unshare -n bash -c 'refusal --json'
	check netlink-refusal-json-valid 0 '^valid$' -- \
		unshare -n bash -c 'refusal --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert not any(r[\"ok\"] for r in d[\"results\"]); print(\"valid\")"' 
else
	echo "skip netlink-oracle: no network namespace (unshare -n) or no ip here"
fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
