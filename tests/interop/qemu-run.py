#!/usr/bin/env python3
"""Run a guest image under QEMU with QEMU's own NIC models and judge it.

The image boots through multiboot and reports on COM1 in the host-link
format of guest/host-link.h ("IOVIRT-GUEST: <event> key=value ...").
This runner answers link SYNCs through QMP set_link, and fails on: a
timeout, an "assert" line, any line with ok=0, a missing "done status=0",
an --expect pattern no line matched, or an exit status other than
isa-debug-exit's (0 << 1) | 1. Exit 77 when qemu-system-x86_64 is missing.
"""
import argparse
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PREFIX = "IOVIRT-GUEST: "
SYNC_LINK_DOWN = 0x4C440000
SYNC_LINK_UP = 0x4C550000
DEVICES = {
    "e1000": "e1000,mitigation=on",
    "e1000e": "e1000e",
    "virtio": "virtio-net-pci,disable-legacy=on,disable-modern=off",
}


def qemu_cmd(qemu, image, nics, qmp_path, vhost_user=None, append=None, macs=()):
    cmd = [qemu, "-M", "pc", "-m", "128", "-smp", "1", "-nodefaults",
           "-display", "none", "-no-reboot", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
           "-kernel", image]
    if append:  # the loader's first word is the image's name
        cmd += ["-append", "image " + append]
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        cmd += ["-accel", "kvm"]
    cmd += ["-accel", "tcg"]
    if vhost_user:  # a vhost-user back-end maps guest RAM: it must be shareable
        cmd += ["-object", "memory-backend-memfd,id=ram,size=128M,share=on",
                "-machine", "memory-backend=ram"]
    for i, kind in enumerate(nics):
        if vhost_user:
            cmd += ["-chardev", "socket,id=chr%d,path=%s" % (i, vhost_user[i]),
                    "-netdev", "vhost-user,id=port%d,chardev=chr%d" % (i, i)]
        else:
            cmd += ["-netdev", "hubport,id=port%d,hubid=0" % i]
        mac = ",mac=" + macs[i] if i < len(macs) else ""
        cmd += ["-device", "%s,netdev=port%d,id=nic%d,addr=0x%x%s"
                % (DEVICES[kind], i, i, 4 + i, mac)]
    return cmd


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.buf = b""
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise RuntimeError("QMP closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, cmd, **args):
        self.sock.sendall(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        while True:
            msg = self._read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError("QMP %s: %s" % (cmd, msg["error"]))


def parse(line):
    """(event, {key: value}) of a report line; msg= runs to the end of the line."""
    body = line[len(PREFIX):]
    event, _, rest = body.partition(" ")
    keys = {}
    m = re.search(r"(^| )msg=(.*)$", rest)
    if m:
        keys["msg"] = m.group(2)
        rest = rest[:m.start()]
    for tok in rest.split():
        k, _, v = tok.partition("=")
        keys[k] = v
    return event, keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--nics", default="e1000,virtio",
                    help="comma-separated e1000|e1000e|virtio, on one hub; empty for none")
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--vhost-user", default="",
                    help="comma-separated vhost-user sockets, one per NIC, instead of the hub")
    ap.add_argument("--append", default="",
                    help="the image's parameters (multiboot command line after its name)")
    ap.add_argument("--macs", default="",
                    help="comma-separated MACs, one per NIC from the first (QEMU's default else)")
    ap.add_argument("image")
    a = ap.parse_args()

    qemu = shutil.which(a.qemu)
    if not qemu:
        print("SKIP: %s not found (install qemu-system-x86)" % a.qemu)
        return 77
    nics = [n for n in a.nics.split(",") if n]
    tmp = tempfile.mkdtemp(prefix="iovirt-interop-")
    qmp_path = os.path.join(tmp, "qmp.sock")
    vhost_user = [p for p in a.vhost_user.split(",") if p]
    if vhost_user and len(vhost_user) != len(nics):
        print("FAIL: %d --vhost-user sockets for %d NICs" % (len(vhost_user), len(nics)))
        return 1
    macs = [m for m in a.macs.split(",") if m]
    cmd = qemu_cmd(qemu, a.image, nics, qmp_path, vhost_user, a.append, macs)
    print("run:", " ".join(cmd), flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    problems, lines, qmp, buf = [], [], None, b""
    done_status, timed_out = None, False
    while True:
        left = a.timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        if not sel.select(timeout=min(left, 1.0)):
            continue
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            break
        buf += data
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").rstrip("\r")
            print("%7.2f %s" % (time.monotonic() - start, line), flush=True)
            if not line.startswith(PREFIX):
                continue
            lines.append(line)
            event, keys = parse(line)
            if event == "assert":
                problems.append("guest assertion: " + keys.get("msg", ""))
            elif event == "done":
                done_status = keys.get("status")
            elif event == "sync":
                try:
                    stage, value = int(keys["stage"]), int(keys["value"])
                except (KeyError, ValueError):
                    problems.append("malformed: " + line)
                    continue
                if stage in (SYNC_LINK_DOWN, SYNC_LINK_UP) and 0 <= value < len(nics):
                    if qmp is None:
                        try:
                            qmp = Qmp(qmp_path)
                        except (OSError, RuntimeError, ValueError) as e:
                            problems.append("QMP connect: %s" % e)
                            continue
                    try:
                        qmp.execute("set_link", name="nic%d" % value,
                                    up=stage == SYNC_LINK_UP)
                    except (OSError, RuntimeError, ValueError) as e:
                        problems.append("QMP set_link: %s" % e)
            if keys.get("ok") == "0":
                problems.append("failed: " + line)
    if timed_out:
        proc.kill()
        problems.append("timeout after %.0f s" % a.timeout)
    rc = proc.wait()
    elapsed = time.monotonic() - start
    shutil.rmtree(tmp, ignore_errors=True)
    if done_status != "0":
        problems.append("no 'done status=0' line (got %s)" % done_status)
    if not timed_out and rc != 1:
        problems.append("QEMU exit status %d, expected 1 (isa-debug-exit of 0)" % rc)
    for pat in a.expect:
        if not any(re.search(pat, l) for l in lines):
            problems.append("no line matches %r" % pat)
    print("elapsed %.1f s, %d report lines" % (elapsed, len(lines)))
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
