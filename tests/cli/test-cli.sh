#!/usr/bin/env bash
# The iovirt command line: help, exit codes, and the host commands against fixture trees.
# usage: test-cli.sh IOVIRT FIXTURES_DIR
set -u
iovirt=$1 fixtures=$2
failures=0 checks=0

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

json_ok() { "$@" | python3 -c 'import json,sys; json.load(sys.stdin)'; }

check version 0 '^iovirt [0-9]+\.[0-9]+' -- "$iovirt" --version
check help 0 'devices +list PCI devices' -- "$iovirt" help
check no-command 2 'usage: iovirt' -- "$iovirt"
check unknown-command 2 "unknown command 'frobnicate'" -- "$iovirt" frobnicate
check help-devices 0 'usage: iovirt devices' -- "$iovirt" devices --help
check help-groups 0 'usage: iovirt groups' -- "$iovirt" help groups
check bad-option 2 "unknown option '--bogus'" -- "$iovirt" devices --bogus
check bad-bdf 2 "bad PCI address 'zz'" -- "$iovirt" devices --bdf zz
check bad-class 2 "bad class '2'" -- "$iovirt" devices --class 2
check missing-tree 1 'cannot read PCI devices under /nonexistent' -- "$iovirt" devices --sysfs /nonexistent

check groups-shared 0 '0000:04:00.0 \(Ethernet controller\) is bound to igb' -- \
	"$iovirt" groups --sysfs "$fixtures/shared-group" --group 7
check groups-viable 0 'group 8: viable' -- "$iovirt" groups --sysfs "$fixtures/shared-group"
check groups-no-iommu 0 'this host has no IOMMU' -- "$iovirt" groups --sysfs "$fixtures/no-iommu"
check devices-filter-bdf 0 '^0000:03:10\.2 .*ready$' -- \
	"$iovirt" devices --sysfs "$fixtures/sriov-pf" --bdf 03:10.2
check devices-sriov 0 'PF 2/63 VFs' -- "$iovirt" devices --sysfs "$fixtures/sriov-pf" --net
check devices-vf-token 0 '"verdict": "needs-vf-token"' -- \
	"$iovirt" devices --sysfs "$fixtures/vf-of-vfio-pf" --json
check devices-class-filter 0 '"devices": \[\]' -- \
	"$iovirt" devices --sysfs "$fixtures/sriov-pf" --class 0108 --json

for f in "$fixtures"/*/; do
	checks=$((checks + 2))
	json_ok "$iovirt" devices --sysfs "$f" --json || { echo "FAIL devices --json invalid for $f"; failures=$((failures + 1)); }
	json_ok "$iovirt" groups --sysfs "$f" --json || { echo "FAIL groups --json invalid for $f"; failures=$((failures + 1)); }
done

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
