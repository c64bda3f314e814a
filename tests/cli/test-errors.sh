#!/usr/bin/env bash
# The error contract of the iovirt command, one class of fault at a time: the exit
# code, the message, and that no file changed. Every case here fails before
# /dev/kvm is opened, so it runs (and must pass) on machines without KVM.
# usage: test-errors.sh IOVIRT FIXTURES_DIR GUEST_IMAGE
set -u
iovirt=$1 fixtures=$2 guest_src=$3
failures=0 checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/.out err=$tmp/.err

fail() {
	echo "FAIL $1: $2"; echo "--- stdout"; head -c 2000 "$out"; echo "--- stderr"; head -c 2000 "$err"
	failures=$((failures + 1))
}

# Every file under $tmp (except the captured output): size, mtime and inode, and the
# content hash of those under 1 MiB (the big initrds are only ever read).
snapshot() {
	find "$tmp" -path "$tmp/.out" -prune -o -path "$tmp/.err" -prune -o -type f -print0 |
		sort -z | xargs -0 -r stat -c '%n %s %Y %i'
	find "$tmp" -path "$tmp/.out" -prune -o -path "$tmp/.err" -prune -o -type f -size -1024k -print0 |
		sort -z | xargs -0 -r sha256sum
}

# expect NAME STATUS PATTERN -- ARGS...: run iovirt ARGS, check status, stderr
# pattern (extended regex) and that no file under $tmp changed.
expect() {
	local name=$1 want=$2 pattern=$3 before after status
	shift 4
	before=$(snapshot)
	timeout 20 "$iovirt" "$@" >"$out" 2>"$err" </dev/null
	status=$?
	after=$(snapshot)
	checks=$((checks + 1))
	if [ "$status" -ne "$want" ]; then
		fail "$name" "exit $status, want $want"
	elif ! grep -q -E -- "$pattern" "$err"; then
		fail "$name" "stderr lacks /$pattern/"
	elif [ "$before" != "$after" ]; then
		fail "$name" "files changed: $(head -5 <<<"$(diff <(echo "$before") <(echo "$after"))")"
	else
		echo "ok   $name"
	fi
}

# stdout_has NAME PATTERN: the stdout of the last expect matches
stdout_has() {
	checks=$((checks + 1))
	if grep -q -E -- "$2" "$out"; then echo "ok   $1"; else fail "$1" "stdout lacks /$2/"; fi
}

img=$tmp/guest.elf kernel=$tmp/kernel.elf
cp "$guest_src" "$img"
cp "$guest_src" "$kernel" # a static ELF with segments above 1 MiB also loads as a vmlinux
echo "console output from an earlier run" >"$tmp/console"
ln "$img" "$tmp/guest-hardlink"
ln -s guest.elf "$tmp/guest-symlink"
head -c 100000 /dev/urandom >"$tmp/junk"
mkdir "$tmp/dir"
mkfifo "$tmp/fifo"
: >"$tmp/empty"
truncate -s 70M "$tmp/initrd-70M"
truncate -s 36M "$tmp/initrd-36M"
long_cmdline=$(printf 'x%.0s' $(seq 3000))

echo "# 1. every input is checked before any output is opened"
expect console-is-guest 2 "--console .*guest.elf is the same file as --guest" -- \
	run --guest "$img" --console "$img"
expect console-hardlink-of-guest 2 "is the same file as --guest" -- \
	run --guest "$img" --console "$tmp/guest-hardlink"
expect console-symlink-to-guest 2 "is the same file as --guest" -- \
	run --guest "$img" --console "$tmp/guest-symlink"
expect console-is-kernel 2 "is the same file as --kernel" -- \
	run --kernel "$kernel" --console "$kernel"
expect console-is-initrd 2 "is the same file as --initrd" -- \
	run --kernel "$kernel" --initrd "$tmp/junk" --console "$tmp/junk"
checks=$((checks + 1))
before=$(sha256sum "$img")
timeout 20 "$iovirt" run --guest "$img" >>"$img" 2>"$err" </dev/null
status=$?
if [ "$status" -ne 2 ] || ! grep -q "standard output is the same file as --guest" "$err" ||
	[ "$before" != "$(sha256sum "$img")" ]; then
	fail stdout-is-guest "exit $status"
else
	echo "ok   stdout-is-guest"
fi
expect missing-kernel-keeps-console 1 "--kernel /nonexistent/vmlinuz: No such file" -- \
	run --kernel /nonexistent/vmlinuz --console "$tmp/console"
expect junk-kernel-keeps-console 1 "--kernel .*junk: not a Linux kernel" -- \
	run --kernel "$tmp/junk" --mem 64M --console "$tmp/console"
expect junk-guest-keeps-console 1 "--guest .*junk: not a guest image" -- \
	run --guest "$tmp/junk" --mem 64M --console "$tmp/console"
expect console-is-directory 1 "--console .*dir: a directory" -- run --guest "$img" --console "$tmp/dir"
expect console-dir-missing 1 "--console /nonexistent/console: cannot create" -- \
	run --guest "$img" --console /nonexistent/console
checks=$((checks + 1))
if [ -e /nonexistent/console ]; then fail console-not-created "created /nonexistent/console"; fi

echo "# 2. numbers parse exactly or are refused, with the limit named"
expect mem-wraps 2 "--mem 17179869185G: out of range: at least 2 MiB and at most 8 TiB" -- \
	run --guest "$img" --mem 17179869185G
expect mem-negative 2 "--mem '-17179803648G': not a size" -- run --guest "$img" --mem -17179803648G
expect mem-plus 2 "not a size" -- run --guest "$img" --mem +1G
expect mem-hex 2 "--mem 0x100M: unknown unit" -- run --guest "$img" --mem 0x100M
expect mem-fraction 2 "not a size" -- run --guest "$img" --mem 1.5G
expect mem-unknown-unit 2 "--mem 1X: unknown unit: use K, M, G or T" -- run --guest "$img" --mem 1X
expect mem-above-kvm 2 "--mem 9T: out of range: .*at most 8 TiB" -- run --guest "$img" --mem 9T
expect mem-zero 2 "--mem 0: out of range" -- run --guest "$img" --mem 0
expect mem-odd 2 "--mem 3M: not a multiple of 2 MiB" -- run --guest "$img" --mem 3M
# 1T parses (the missing file is the next fault), and a leading zero is decimal: 040M is 40 MiB
expect mem-terabyte 1 "--guest /nonexistent: No such file" -- run --guest /nonexistent --mem 1T
expect mem-leading-zero 1 "--initrd .*initrd-36M does not fit in 40 MiB" -- \
	run --kernel "$kernel" --initrd "$tmp/initrd-36M" --mem 040M
expect cpus-zero 2 "--cpus 0: out of range: expected 1 to 64" -- run --guest "$img" --cpus 0
expect cpus-many 2 "--cpus 65: out of range: expected 1 to 64" -- run --guest "$img" --cpus 65
expect cpus-wraps 2 "--cpus 4294967297: out of range" -- run --guest "$img" --cpus 4294967297
expect cpus-junk 2 "--cpus '2x': not a decimal number" -- run --guest "$img" --cpus 2x
expect cpus-negative 2 "--cpus '-1': not a decimal number" -- run --guest "$img" --cpus -1
expect timeout-zero 2 "--timeout 0: out of range: expected 1 to 86400" -- run --guest "$img" --timeout 0
expect timeout-huge 2 "--timeout 99999999999999999999: out of range" -- \
	run --guest "$img" --timeout 99999999999999999999
expect group-negative 2 "--group '-1': not a decimal number" -- groups --sysfs "$fixtures/shared-group" --group -1
expect group-huge 2 "--group 99999999999: out of range: expected 0 to 2147483647" -- \
	groups --sysfs "$fixtures/shared-group" --group 99999999999
expect class-hex-prefix 2 "bad class '0x02'" -- devices --sysfs "$fixtures/sriov-pf" --class 0x02
expect class-sign 2 "bad class '\+2'" -- devices --sysfs "$fixtures/sriov-pf" --class +2
expect mem-missing-value 2 "--mem needs a value" -- run --guest "$img" --mem
expect bdf-missing-value 2 "--bdf needs a value" -- devices --sysfs "$fixtures/sriov-pf" --bdf
expect group-missing-value 2 "--group needs a value" -- groups --sysfs "$fixtures/sriov-pf" --group
expect group-junk 2 "--group '7x': not a decimal number" -- groups --sysfs "$fixtures/shared-group" --group 7x

echo "# 3. only regular files are read, and the message names the file at fault"
expect fifo-guest 1 "--guest .*fifo: a FIFO, not a regular file" -- run --guest "$tmp/fifo"
expect fifo-kernel 1 "--kernel .*fifo: a FIFO, not a regular file" -- run --kernel "$tmp/fifo"
expect fifo-initrd 1 "--initrd .*fifo: a FIFO, not a regular file" -- \
	run --kernel "$kernel" --initrd "$tmp/fifo"
expect device-guest 1 "--guest /dev/null: a character device" -- run --guest /dev/null
expect directory-initrd 1 "--initrd .*dir: a directory, not a regular file" -- \
	run --kernel "$kernel" --initrd "$tmp/dir"
expect empty-initrd 1 "--initrd .*empty: the file is empty" -- run --kernel "$kernel" --initrd "$tmp/empty"
expect cmdline-too-long 1 "--cmdline: 3000 bytes, longer than the kernel .* accepts" -- \
	run --kernel "$kernel" --cmdline "$long_cmdline" --mem 64M
expect initrd-larger-than-ram 1 "--initrd .*initrd-70M: larger than the 64 MiB of guest RAM" -- \
	run --kernel "$kernel" --initrd "$tmp/initrd-70M" --mem 64M
expect kernel-larger-than-ram 1 "--kernel .*initrd-70M: larger than the 64 MiB of guest RAM" -- \
	run --kernel "$tmp/initrd-70M" --mem 64M

echo "# 4. asking for something absent is an error"
expect absent-bdf 1 "no PCI device 0000:aa:00.0 under .*sriov-pf/bus/pci/devices" -- \
	devices --sysfs "$fixtures/sriov-pf" --bdf aa:00.0 --bdf 03:00.0
checks=$((checks + 1)); [ -s "$out" ] && fail absent-bdf-empty-stdout "text mode printed a listing"
expect absent-bdf-json 1 "no PCI device 0000:aa:00.0" -- devices --sysfs "$fixtures/sriov-pf" --bdf aa:00.0 --json
checks=$((checks + 1))
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["exit_code"] == 1 and "0000:aa:00.0" in d["error"], d' "$out" ||
	fail absent-bdf-json-object "stdout is not the error object"
expect absent-group 1 "no IOMMU group 99 under .*shared-group/kernel/iommu_groups" -- \
	groups --sysfs "$fixtures/shared-group" --group 99
expect absent-group-no-iommu 1 "no IOMMU group 1 .*this host has no IOMMU" -- \
	groups --sysfs "$fixtures/no-iommu" --group 1 --json
stdout_has absent-group-json '"error": "no IOMMU group 1'
expect missing-tree-json 1 "cannot read PCI devices under /nonexistent" -- devices --sysfs /nonexistent --json
stdout_has missing-tree-json-object '"error": "cannot read PCI devices under /nonexistent'

echo "# 5. malformed sysfs never makes a verdict less safe"
expect hostile-sriov 0 "bus/pci/devices/junk: not a PCI address; skipped" -- devices --sysfs "$fixtures/hostile-sriov"
stdout_has totalvfs-minus-one '^0000:0a:00\.0 .*PF 2/\? VFs .*vfs-active$'
stdout_has totalvfs-20-digits '^0000:0b:00\.0 .*PF 2/\? VFs .*vfs-active$'
stdout_has numvfs-below-links '^0000:0b:00\.1 .*PF 1/8 VFs .*vfs-active$'
stdout_has absent-member-blocks '^0000:0e:00\.1 .*group-not-viable$'
stdout_has two-groups-one-device '^0000:11:00\.0 .*group-not-viable$'
stdout_has unreadable-members-block '^0000:0f:00\.0 .*group-not-viable$'
stdout_has anomalies-reported "0000:0a:00\.0  sriov_totalvfs '-1' is not a value from 0 to 65535"
expect hostile-sriov-json 0 "skipped" -- devices --sysfs "$fixtures/hostile-sriov" --json
checks=$((checks + 1))
python3 - "$out" <<'PY' || fail hostile-sriov-json-verdicts "wrong verdicts or anomalies in --json"
import json, sys
d = json.load(open(sys.argv[1]))
devs = {x["bdf"]: x for x in d["devices"]}
assert devs["0000:0a:00.0"]["passthrough"]["verdict"] == "vfs-active"
assert devs["0000:0b:00.0"]["passthrough"]["verdict"] == "vfs-active"
assert devs["0000:0a:00.0"]["sriov"]["total_vfs"] is None
assert "sriov_totalvfs" in devs["0000:0b:00.0"]["sysfs_anomalies"]
assert "junk" in d["sysfs_anomalies"]
PY
expect hostile-groups 0 "" -- groups --sysfs "$fixtures/hostile-sriov"
stdout_has group-absent-member '0000:0e:00\.0 is listed but absent from sysfs'

echo "# 6. output that cannot be written fails; control characters are escaped"
for cmd in "--version" "help" "devices --sysfs $fixtures/sriov-pf" "groups --sysfs $fixtures/shared-group --json"; do
	checks=$((checks + 1))
	# shellcheck disable=SC2086 # word splitting wanted
	"$iovirt" $cmd >/dev/full 2>"$err"
	status=$?
	if [ "$status" -ne 1 ] || ! grep -q "cannot write the output: No space left on device" "$err"; then
		fail "full-disk: $cmd" "exit $status"
	else
		echo "ok   full-disk: $cmd"
	fi
done
expect escape-text 0 "" -- devices --sysfs "$fixtures/hostile-sriov"
checks=$((checks + 1))
if LC_ALL=C grep -q "$(printf '\033')" "$out"; then fail escape-raw "raw ESC in the table"; else echo "ok   escape-raw"; fi
stdout_has escape-shown 'evil\\x1b\[31mred\\x07'
expect escape-groups 0 "" -- groups --sysfs "$fixtures/hostile-sriov"
checks=$((checks + 1))
if LC_ALL=C grep -q "$(printf '\033')" "$out"; then fail escape-groups-raw "raw ESC"; else echo "ok   escape-groups-raw"; fi

# --vfio: the address and its one option are checked before anything opens.
expect vfio-bad-bdf 2 "--vfio zz: not a PCI address" -- run --guest "$img" --vfio zz
expect vfio-bad-opt 2 "the only option is rom=on" -- run --guest "$img" --vfio 00:03.0,rom=yes
expect vfio-twice 2 "--vfio 0000:00:03.0: given twice" -- run --guest "$img" --vfio 00:03.0 --vfio 0000:00:03.0

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
