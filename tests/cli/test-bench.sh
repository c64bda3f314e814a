#!/usr/bin/env bash
# iovirt bench without KVM: every VM path skipped with its reason (the HOST
# baseline, no VM, runs where DPDK and hugepages are), the paths not
# built yet listed, the reports written, exit 0; and its usage errors (exit 2,
# nothing written) and failures (exit 1). With a usable /dev/kvm the run itself
# is the vmm test test-bench's, and this part skips.
# usage: test-bench.sh IOVIRT
set -u
iovirt=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# usage STATUS PATTERN ARGS...: iovirt bench ARGS exits STATUS with PATTERN on stderr, writes nothing
usage() {
	local want=$1 pattern=$2 got before=$failures
	shift 2
	(cd "$tmp" && "$iovirt" bench "$@" >"$tmp/.out" 2>"$tmp/.err")
	got=$?
	[ "$got" = "$want" ] || fail "iovirt bench $*: exit $got, want $want: $(head -c 300 "$tmp/.err")"
	grep -Eq -- "$pattern" "$tmp/.err" || fail "iovirt bench $*: no '$pattern' in: $(head -c 300 "$tmp/.err")"
	rm -f "$tmp/.out" "$tmp/.err"
	[ -z "$(ls "$tmp")" ] || fail "iovirt bench $*: wrote $(ls "$tmp")"
	[ "$failures" = "$before" ] && echo "ok: iovirt bench $* -> $got"
}
usage 2 "unknown path 'nope'" --paths nope
usage 2 "unknown workload 'udp'" --workloads tx,udp
usage 2 "--sizes 59: out of range" --sizes 64,59
usage 2 "--repeats 0: out of range" --repeats 0
usage 2 "--count 0: out of range" --count 0
usage 2 "expected a comma-separated list" --sizes 64,,512
usage 2 "unexpected argument" extra
usage 2 "bad option" --nope
usage 1 "--image /nonexistent: No such file" --image /nonexistent
usage 1 "--image /: not a regular file" --image /
touch "$tmp/file"
"$iovirt" bench --quick --out "$tmp/file/x" >/dev/null 2>"$tmp/err"
[ $? = 1 ] && grep -q "cannot create the directory" "$tmp/err" || fail "--out under a file: $(cat "$tmp/err")"
rm -f "$tmp/file" "$tmp/err"
"$iovirt" bench --help | grep -q "usage: iovirt bench" || fail "--help"

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is usable here: the run is the vmm test test-bench's"
	[ $failures = 0 ] && exit 77
	exit 1
fi
(cd "$tmp" && "$iovirt" bench --quick >"$tmp/table" 2>"$tmp/err")
status=$?
[ $status = 0 ] || fail "iovirt bench --quick without KVM: exit $status"
for p in iovirt-e1000 iovirt-virtio qemu-e1000 qemu-virtio iovirt-vhost-user vfio; do
	grep -q "skipped $p: ." "$tmp/err" || fail "stderr does not say why $p was skipped"
done
grep -q "skipped iovirt-e1000: .*/dev/kvm" "$tmp/err" || fail "the reason does not name /dev/kvm"
grep -q "^iovirt-e1000 .*/dev/kvm" "$tmp/table" || fail "the table lacks iovirt-e1000's reason"
dir=$(ls -d "$tmp"/iovirt-bench-* 2>/dev/null | head -1)
[ -n "$dir" ] && [ -s "$dir/bench.json" ] && [ -s "$dir/report.md" ] && [ -s "$dir/chart.svg" ] &&
	[ -s "$dir/bench-guest.elf" ] ||
	fail "no report directory with bench.json, report.md, chart.svg and bench-guest.elf in $tmp"
python3 - "$dir/bench.json" <<'PY' || fail "bench.json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1, "schema"
pin = d["plan"]["pin"]
assert (pin["vcpu"], pin["io"]) == (0, 1) or (pin["vcpu"] is None and pin["off_because"]), pin
assert d["machine"]["kvm"].startswith("cannot"), d["machine"]["kvm"]
paths = {p["name"]: p for p in d["paths"]}
for name in ("iovirt-e1000", "iovirt-virtio", "qemu-e1000", "qemu-virtio", "vfio"):
    p = paths[name]
    assert p["status"] == "skipped" and p["reason"], (name, p)
for c in d["cases"]:
    if c["path"] == "host-virtio-user" and c["status"] == "ran":  # no VM: runs without KVM
        assert c["workload"] in ("tx", "rx") and c["figures"]["packets_per_s"]["median"] > 0, c
        continue
    assert c["status"] == "skipped" and c["reason"] and not c["samples"] and not c["figures"], c
print("ok: bench.json: schema 1, every VM path skipped with its reason")
PY
grep -q "| iovirt-e1000 | .* | skipped | cannot open /dev/kvm" "$dir/report.md" || fail "report.md lacks the reason"
echo "ok: iovirt bench --quick without KVM: exit 0, every VM path skipped with its reason"
exit $((failures > 0))
