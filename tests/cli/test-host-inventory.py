#!/usr/bin/env python3
"""`iovirt devices --json` on this host, checked against sources iovirt does not use:
lspci (BDFs, IDs, drivers), `ip -j route` (the default route's interface) and sysfs."""
import json
import os
import subprocess
import sys

SKIP = 77


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def lspci_devices():
    """BDF -> (vendor:device, driver or None), from `lspci -D -n -k`."""
    devs, cur = {}, None
    for line in run("lspci", "-D", "-n", "-k").splitlines():
        if not line.startswith(("\t", " ")):
            fields = line.split()
            cur = fields[0]
            devs[cur] = [fields[2], None]
        elif "Kernel driver in use:" in line:
            devs[cur][1] = line.split(":", 1)[1].strip()
    return devs


def default_route_dev():
    routes = json.loads(run("ip", "-j", "route", "show", "default") or "[]")
    return routes[0]["dev"] if routes else None


def main():
    iovirt = sys.argv[1]
    if not os.path.isdir("/sys/bus/pci/devices") or not os.listdir("/sys/bus/pci/devices"):
        print("skip: this machine has no PCI devices in sysfs")
        return SKIP
    inv = json.loads(run(iovirt, "devices", "--json"))
    got = {d["bdf"]: d for d in inv["devices"]}
    want = lspci_devices()
    errors = []

    if set(got) != set(want):
        errors.append(f"device sets differ: iovirt {sorted(got)} lspci {sorted(want)}")
    for bdf, (ids, driver) in want.items():
        d = got.get(bdf)
        if not d:
            continue
        if f'{d["vendor_id"][2:]}:{d["device_id"][2:]}' != ids:
            errors.append(f"{bdf}: ids {d['vendor_id']}:{d['device_id']} != lspci {ids}")
        if d["driver"] != driver:
            errors.append(f"{bdf}: driver {d['driver']} != lspci {driver}")

    has_groups = bool(os.listdir("/sys/kernel/iommu_groups")) if os.path.isdir("/sys/kernel/iommu_groups") else False
    if inv["iommu"] != has_groups:
        errors.append(f"iommu {inv['iommu']} but /sys/kernel/iommu_groups non-empty: {has_groups}")
    if not has_groups:
        bad = [b for b, d in got.items() if d["passthrough"]["verdict"] != "no-iommu"]
        if bad:
            errors.append(f"no IOMMU here, yet these lack the no-iommu verdict: {bad}")

    gw = default_route_dev()
    if gw and os.path.exists(f"/sys/class/net/{gw}/device"):
        carriers = [(b, n["name"]) for b, d in got.items() for n in d["net"] if n["default_route"]]
        if [n for _, n in carriers] != [gw]:
            errors.append(f"default route is via {gw}, iovirt says {carriers}")
        else:
            print(f"default route via {gw} on {carriers[0][0]}: seen")

    for e in errors:
        print("FAIL", e)
    print(f"{len(want)} devices compared with lspci; {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
