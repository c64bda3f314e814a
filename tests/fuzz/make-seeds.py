#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Usage: make-seeds.py [TARGET...]  (all targets without arguments)

Each seed is a well-formed input in the target's format (see the comment at the
top of tests/fuzz/fuzz-<target>.c), made from the cases the unit tests drive:
legal chains and rings, real register sequences, the fixture sysfs trees. The
seeds are committed; rerun this after changing an input format."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


NEXT, WRITE, INDIRECT = 1, 2, 4


# ---- virtqueue -------------------------------------------------------------
VQ_RAM = 0x10000


def vq_input(size_log2, event_idx, iov_max, split, ram, desc_at, avail_at, used_at):
    hdr = struct.pack("<BBHHHHH", size_log2, event_idx, iov_max, desc_at // 16,
                      avail_at // 2, used_at // 4, split)
    return hdr + bytes(ram)


def vq_ring(chains, size=8, event_idx=0):
    """chains: list of (head, [descriptors at index head..]) in the main table,
    plus indirect tables placed at 0x600."""
    ram = bytearray(0x800)
    table = {}
    for head, descs in chains:
        for i, d in enumerate(descs):
            table[head + i] = d
    for i, d in table.items():
        ram[16 * i:16 * i + 16] = d
    avail = 0x100
    heads = [h for h, _ in chains]
    struct.pack_into("<HH", ram, avail, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, avail + 4 + 2 * i, h)
    return ram, avail


def seeds_virtqueue():
    g = VQ_RAM
    ram, avail = vq_ring([(0, [desc(g + 0x400, 16, NEXT, 1), desc(g + 0x500, 64, WRITE)]),
                          (2, [desc(g + 0x600, 32, INDIRECT)])])
    ram[0x600:0x620] = desc(g + 0x410, 8, NEXT, 1) + desc(g + 0x520, 32, WRITE)
    write("virtqueue", "chain-and-indirect", vq_input(3, 0, 8, 0, ram, 0, avail, 0x200))
    write("virtqueue", "event-idx-split", vq_input(3, 1, 8, 0x700, ram, 0, avail, 0x200))
    ram, avail = vq_ring([(i, [desc(g + 0x400 + 16 * i, 16, WRITE)]) for i in range(8)])
    write("virtqueue", "eight-single", vq_input(3, 0, 1, 0, ram, 0, avail, 0x200))


# ---- pci -------------------------------------------------------------------
def pci_op(where, write, length, addr, val=0):
    op = (length - 1) | (8 if write else 0) | (where << 4)
    b = struct.pack("<BI", op, addr)
    return b + struct.pack("<Q", val) if write else b


def pci_rd(reg, n=4):
    return pci_op(1, False, n, reg)


def pci_wr(reg, v, n=4):
    return pci_op(1, True, n, reg, v)


def seeds_pci():
    # What a driver does at probe: identity, capability walk, BAR sizing.
    probe = pci_rd(0) + pci_rd(8) + pci_rd(0x34, 1)
    for off in (0x40, 0x4c, 0x60, 0x70, 0x100):
        probe += pci_rd(off) + pci_rd(off + 2, 2) + pci_rd(off + 4) + pci_rd(off + 8)
    for bar in range(6):
        probe += pci_wr(0x10 + 4 * bar, 0xffffffff) + pci_rd(0x10 + 4 * bar)
    write("pci", "probe", probe)
    # Decode on, MSI-X table entries written through BAR2, enable, mask, PBA.
    msix = pci_wr(0x18, 0xc0100000) + pci_wr(0x1c, 0) + pci_wr(4, 0x0006, 2)
    for v in range(8):
        bar2 = 2 << 24
        msix += pci_op(3, True, 4, bar2 + 16 * v, 0xfee00000) + \
            pci_op(3, True, 4, bar2 + 16 * v + 8, 0x20 + v) + \
            pci_op(3, True, 4, bar2 + 16 * v + 12, v & 1)
    for off in (0x40, 0x4c, 0x60, 0x70):
        msix += pci_wr(off + 2, 0xc000, 2) + pci_wr(off + 2, 0x8000, 2) + pci_wr(off + 2, 1, 2)
    msix += pci_op(3, False, 8, (2 << 24) + 0x2000) + pci_op(3, False, 4, (2 << 24) + 0x10)
    write("pci", "msix", msix)
    # The legacy ports: address then data, bytes and words.
    cf8 = pci_op(2, True, 4, 0, 0x80000000 | (3 << 11)) + pci_op(2, False, 4, 4) + \
        pci_op(2, True, 4, 0, 0x80000004 | (3 << 11)) + pci_op(2, True, 2, 4, 0x7) + \
        pci_op(2, False, 1, 6) + bytes([0xff, 0, 0, 0, 0]) + pci_rd(4)
    write("pci", "cf8-and-reset", cf8)


# ---- vhost-user --------------------------------------------------------------
VU_IDS = [1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24]  # the table's order


def vu_record(req_id, reply, nfds=0, cfg=0):
    return struct.pack("<BBH", VU_IDS.index(req_id), nfds | (cfg // 5) << 2, len(reply)) + reply


def vu_reply(req_id, payload, flags=0x5):
    return struct.pack("<III", req_id, flags, len(payload)) + payload


def seeds_vhost_user():
    u64 = lambda v: struct.pack("<Q", v)
    # The front-end's start-up: features, protocol features, queue count, owner, rings.
    start = bytes([0]) + vu_record(1, vu_reply(1, u64(0x1_4000_8000))) + \
        vu_record(15, vu_reply(15, u64(0x209))) + vu_record(16, b"") + \
        vu_record(17, vu_reply(17, u64(2))) + vu_record(3, b"") + vu_record(2, b"") + \
        vu_record(5, b"") + vu_record(8, b"") + vu_record(12, b"") + \
        vu_record(11, vu_reply(11, struct.pack("<II", 0, 7)))
    write("vhost-user", "startup", start)
    # REPLY_ACK: every request without a reply of its own gets an ack.
    ack = bytes([1]) + vu_record(3, vu_reply(3, u64(0))) + vu_record(2, vu_reply(2, u64(0))) + \
        vu_record(13, vu_reply(13, u64(1)))
    write("vhost-user", "reply-ack", ack)
    cfg = bytes([0]) + vu_record(24, vu_reply(24, struct.pack("<III", 0, 10, 0) + bytes(10)), 0, 10)
    write("vhost-user", "get-config", cfg)
    # Hostile: fds on a reply, a reply for another request, a short payload.
    hostile = bytes([0]) + vu_record(1, vu_reply(1, u64(1)), nfds=2) + \
        vu_record(17, vu_reply(1, u64(1))) + vu_record(11, vu_reply(11, b"\0\0\0"))
    write("vhost-user", "hostile", hostile)


# ---- boot --------------------------------------------------------------------
MiB = 1 << 20


def bzimage(setup_sects=4, payload=4096, version=0x020F):
    """A synthetic bzImage as tests/unit/test-boot-linux.c makes it."""
    sects = setup_sects or 4
    b = bytearray((sects + 1) * 512 + payload)
    b[0x1F1] = setup_sects
    struct.pack_into("<I", b, 0x1F4, (payload + 15) // 16)
    struct.pack_into("<H", b, 0x1FE, 0xAA55)
    b[0x200:0x202] = b"\xeb\x6a"
    struct.pack_into("<IH", b, 0x202, 0x53726448, version)
    b[0x211] = 1  # LOADED_HIGH
    struct.pack_into("<II", b, 0x22C, 0x7FFFFFFF, 0x200000)
    b[0x234] = 1
    struct.pack_into("<HI", b, 0x236, 3, 2047)
    struct.pack_into("<Q", b, 0x258, 16 * MiB)
    struct.pack_into("<I", b, 0x260, 4 * MiB)
    for i in range(payload):
        b[(sects + 1) * 512 + i] = (i * 7 + 3) & 0xFF
    return bytes(b)


def elf64(segments, entry):
    """An ELF64 x86-64 ET_EXEC with PT_LOAD segments (paddr, vaddr, data, memsz, flags)."""
    ehsize, phsize = 64, 56
    off = ehsize + phsize * len(segments)
    ph, body = b"", b""
    for paddr, vaddr, data, memsz, flags in segments:
        ph += struct.pack("<IIQQQQQQ", 1, flags, off + len(body), vaddr, paddr, len(data),
                          memsz, 0x1000)
        body += data
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, ehsize, 0, 0, ehsize, phsize,
                      len(segments), 64, 0, 0)
    return eh + ph + body


def boot_input(kernel, ram_mib=64, cmdline=b"console=ttyS0", initrd=b"", guest_image=False):
    return struct.pack("<BHBH", 1 if guest_image else 0, ram_mib * 16, len(cmdline),
                       len(initrd)) + cmdline + initrd + kernel


def seeds_boot():
    initrd = bytes((i ^ 0x5A) & 0xFF for i in range(3000))
    write("boot", "bzimage", boot_input(bzimage(), initrd=initrd))
    write("boot", "bzimage-setup-sects-0", boot_input(bzimage(0), cmdline=b"quiet"))
    write("boot", "bzimage-proto-2.06", boot_input(bzimage(version=0x0206), ram_mib=32))
    code = bytes(range(256)) * 8
    vmlinux = elf64([(16 * MiB, 0xFFFFFFFF81000000, code, 2 * MiB, 5)], 16 * MiB)
    write("boot", "vmlinux", boot_input(vmlinux, initrd=initrd))
    guest = elf64([(0x100000, 0x100000, code[:512], 0x2000, 5),
                   (0x200000, 0x200000, code[:64], 64, 6)], 0x100000)
    write("boot", "guest-image", boot_input(guest, ram_mib=8, guest_image=True))


# ---- e1000 -------------------------------------------------------------------
E1000_RAM = 0x100000


def e1000_wr(off, val, length=4):
    return struct.pack("<BIQ", 0 | (length - 1) << 3, off, val)


def e1000_rd(off, length=4):
    return struct.pack("<BI", 1 | (length - 1) << 3, off)


def e1000_frame(dst=b"\xff" * 6, n=60):
    return dst + bytes([0x52, 0x54, 0, 0x11, 0x22, 0x33, 0x08, 0x00]) + bytes(range(n - 14))


def seeds_e1000():
    # RAM: TX ring at 0 (16 legacy descriptors), RX ring at 0x800, buffers from 0x1000.
    ram = bytearray(0x2000)
    frame = e1000_frame()
    ram[0x1000:0x1000 + len(frame)] = frame
    for i in range(2):
        struct.pack_into("<QHBBBBH", ram, 16 * i, E1000_RAM + 0x1000, len(frame), 0,
                         0x0B, 0, 0, 0)  # EOP | IFCS | RS
    for i in range(16):
        struct.pack_into("<QHHBBH", ram, 0x800 + 16 * i, E1000_RAM + 0x1000 + 0x100 * i, 0, 0,
                         0, 0, 0)
    ram_part = struct.pack("<H", len(ram)) + bytes(ram)
    tx = e1000_wr(0xD0, 0xFF) + e1000_wr(0x3800, E1000_RAM) + e1000_wr(0x3804, 0) + \
        e1000_wr(0x3808, 256) + e1000_wr(0x3810, 0) + e1000_wr(0x3818, 0) + \
        e1000_wr(0x400, 0x0A) + e1000_wr(0x3818, 2) + e1000_rd(0x3810) + e1000_rd(0xC0) + \
        e1000_rd(0x4074)
    write("e1000", "transmit", ram_part + tx)
    push = struct.pack("<BH", 7, 64) + e1000_frame(n=64)
    rx = e1000_wr(0xD0, 0xFF) + e1000_wr(0x2800, E1000_RAM + 0x800) + e1000_wr(0x2808, 256) + \
        e1000_wr(0x2810, 0) + e1000_wr(0x2818, 8) + e1000_wr(0x100, 0x801A) + push + push + \
        bytes([4]) + e1000_wr(0xC4, 500) + struct.pack("<BI", 5, 1000) + e1000_rd(0xC0) + \
        e1000_rd(0x2810)
    write("e1000", "receive", ram_part + rx)
    # The EEPROM through EERD, the PHY through MDIC, the I/O window, config space.
    regs = e1000_wr(0x14, 0x1) + e1000_rd(0x14) + e1000_wr(0x14, 0x101) + e1000_rd(0x14) + \
        e1000_wr(0x20, 0x08220000) + e1000_rd(0x20) + e1000_rd(0x8) + \
        struct.pack("<BBQ", 2 | 3 << 3, 0, 0x8) + struct.pack("<BB", 3 | 3 << 3, 4) + \
        struct.pack("<BHI", 6 | 1 << 3, 4, 0) + e1000_wr(0x0, 0x04000000)
    write("e1000", "registers", struct.pack("<H", 0) + regs)
    # TSO (as test_tx_tso): a context descriptor, then header and payload data descriptors.
    payload = 2500
    f = bytearray(54 + payload)
    f[0:14] = e1000_frame()[:12] + b"\x08\x00"
    f[14] = 0x45
    struct.pack_into(">HHHBB", f, 18, 0x1234, 0x4000, 0, 64, 6)
    f[26:34] = bytes([10, 0, 0, 1, 10, 0, 0, 2])
    struct.pack_into(">HHI", f, 34, 1000, 2000, 0x01020304)
    f[46], f[47] = 5 << 4, 0x19
    for i in range(54, len(f)):
        f[i] = (i * 13) & 0xFF
    ram = bytearray(0x1000) + f
    struct.pack_into("<BBHBBHII", ram, 0, 14, 24, 33, 34, 50, 0, payload | 0x27 << 24,
                     54 << 8 | 1000 << 16)
    for i, (addr, n, cmd) in enumerate([(0, 54, 0x24), (54, 1200, 0x24), (1254, 1300, 0x2D)]):
        struct.pack_into("<QII", ram, 16 * (i + 1), E1000_RAM + 0x1000 + addr,
                         n | 1 << 20 | cmd << 24, (0x03 << 8) if i == 0 else 0)
    tso = e1000_wr(0x3800, E1000_RAM) + e1000_wr(0x3808, 128) + e1000_wr(0x400, 0x0A) + \
        e1000_wr(0x3818, 4) + e1000_rd(0x4078)
    write("e1000", "tso", struct.pack("<H", len(ram)) + bytes(ram) + tso)


# ---- virtio-net --------------------------------------------------------------
VN_RAM = 0x100000


def vn_wr(off, val, length):
    return struct.pack("<BHQ", 0 | (length - 1) << 3, off, val)


def vn_rd(off, length):
    return struct.pack("<BH", 1 | (length - 1) << 3, off)


def vn_ring(q):
    """Descriptor table, avail and used ring of queue q in RAM (offsets)."""
    return 0x200 * q, 0x200 * q + 0x100, 0x200 * q + 0x180


def vn_start(features, queues, size=8):
    """The driver's start-up as tests/unit/test-virtio-net.c does it."""
    s = struct.pack("<BHI", 6 | 1 << 3, 4, 0x6)  # COMMAND: memory + bus master
    s += vn_wr(0x14, 0, 1) + vn_wr(0x14, 1, 1) + vn_wr(0x14, 3, 1)
    s += vn_wr(0x08, 0, 4) + vn_wr(0x0C, features & 0xFFFFFFFF, 4)
    s += vn_wr(0x08, 1, 4) + vn_wr(0x0C, features >> 32, 4) + vn_wr(0x14, 0xB, 1) + vn_rd(0x14, 1)
    for q in queues:
        d, a, u = vn_ring(q)
        s += vn_wr(0x16, q, 2) + vn_wr(0x18, size, 2) + vn_wr(0x20, VN_RAM + d, 8) + \
            vn_wr(0x28, VN_RAM + a, 8) + vn_wr(0x30, VN_RAM + u, 8) + vn_wr(0x1C, 1, 2)
    return s + vn_wr(0x14, 0xF, 1)


def vn_kick(q):
    return vn_wr(0x3000 + 4 * q, q, 2)


def vn_input(ram, script, vnet_hdr=0):
    return struct.pack("<BH", vnet_hdr, len(ram)) + bytes(ram) + script


def seeds_virtio_net():
    bit = lambda *n: sum(1 << i for i in n)
    hdr = struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, 0)
    frame = e1000_frame()
    ram = bytearray(0x2200)
    # TX (queue 1): a direct chain (header, frame) at descriptor 0, an indirect one at 2.
    d, a, u = vn_ring(1)
    ram[0x1000:0x1000 + 12 + len(frame)] = hdr + frame
    struct.pack_into("<QIHH", ram, d, VN_RAM + 0x1000, 12, 1, 1)
    struct.pack_into("<QIHH", ram, d + 16, VN_RAM + 0x100C, len(frame), 0, 0)
    struct.pack_into("<QIHH", ram, d + 32, VN_RAM + 0xE00, 32, 4, 0)
    struct.pack_into("<QIHH", ram, 0xE00, VN_RAM + 0x1000, 12, 1, 1)
    struct.pack_into("<QIHH", ram, 0xE10, VN_RAM + 0x100C, len(frame), 0, 0)
    struct.pack_into("<HHHH", ram, a, 0, 2, 0, 2)
    # RX (queue 0): eight writable buffers of 0x100 bytes.
    d, a, u = vn_ring(0)
    for i in range(8):
        struct.pack_into("<QIHH", ram, d + 16 * i, VN_RAM + 0x1800 + 0x100 * i, 0x100, 2, 0)
        struct.pack_into("<H", ram, a + 4 + 2 * i, i)
    struct.pack_into("<HH", ram, a, 0, 8)
    # Control queue (6): VQ_PAIRS_SET 2, then the ack byte.
    d, a, u = vn_ring(6)
    ram[0x2000:0x2004] = bytes([4, 0, 2, 0])
    struct.pack_into("<QIHH", ram, d, VN_RAM + 0x2000, 4, 1, 1)
    struct.pack_into("<QIHH", ram, d + 16, VN_RAM + 0x2100, 1, 2, 0)
    struct.pack_into("<HHH", ram, a, 0, 1, 0)
    push = struct.pack("<BH", 7, 12 + 64) + hdr + e1000_frame(n=64)
    base = bit(32, 5, 16)
    full = base | bit(0, 11, 15, 17, 22, 28, 29)
    traffic = vn_kick(1) + bytes([4]) + push + push + bytes([4]) + vn_rd(0x1000, 1)
    write("virtio-net", "tx-rx", vn_input(ram, vn_start(base, [0, 1]) + traffic))
    write("virtio-net", "tx-rx-all-features-vnet-hdr",
          vn_input(ram, vn_start(full, [0, 1, 6]) + traffic + vn_kick(6) + bytes([4]), 1))
    # MSI-X: enable through config space (capability walk by the fuzzer), table writes.
    msix = struct.pack("<BH", 5 | 3 << 3, 0x34)
    for v in range(3):
        msix += struct.pack("<BHQ", 2 | 3 << 3, 16 * v, 0xFEE00000) + \
            struct.pack("<BHQ", 2 | 3 << 3, 16 * v + 8, 0x30 + v)
    msix += struct.pack("<BH", 3 | 7 << 3, 0x800)
    write("virtio-net", "msix-and-config", vn_input(b"", vn_start(base, [0]) + msix +
                                                    vn_rd(0x2000, 4) + vn_rd(0x2006, 2)))


# ---- sysfs -------------------------------------------------------------------
def sysfs_entry(kind, path, content):
    path = path.encode()
    return struct.pack("<BB", kind, len(path)) + path + struct.pack("<H", len(content)) + content


def seeds_sysfs():
    """Each fixture tree of tests/fixtures, serialized: folders, files, links."""
    fixtures = os.path.join(TOP, "tests", "fixtures")
    for name in sorted(os.listdir(fixtures)):
        root = os.path.join(fixtures, name)
        out = bytes([7]) + b"3:00.0\0"[:7]
        for d, dirs, files in sorted(os.walk(root)):
            dirs.sort()
            rel = os.path.relpath(d, root)
            if rel != ".":
                out += sysfs_entry(2, rel, b"")
            for f in sorted(files + [x for x in dirs if os.path.islink(os.path.join(d, x))]):
                full = os.path.join(d, f)
                path = os.path.normpath(os.path.join(rel, f))
                if os.path.islink(full):
                    out += sysfs_entry(1, path, os.readlink(full).encode())
                else:
                    with open(full, "rb") as fh:
                        out += sysfs_entry(0, path, fh.read())
        write("sysfs", name, out)


# ---- switch-config -----------------------------------------------------------
def seeds_switch_config():
    mounts = b"proc /proc proc rw 0 0\nhugetlbfs /dev/hugepages hugetlbfs rw,pagesize=2M 0 0\n"
    fields = lambda *f: b"\0".join(f) + b"\0"
    write("switch-config", "two-ports", fields(b"/tmp/vu0.sock", b"/tmp/vu1.sock,client", b"", b"",
                                               b"switch", b"0-1", b"", b"", b"") + mounts)
    write("switch-config", "uplink-pci", fields(b"/run/a.sock,server", b"", b"", b"", b"reflect",
                                                b"1", b"0000:03:00.0,rxq=2",
                                                b"--no-huge -m 512", b"iovirt-x") + mounts)
    write("switch-config", "vdev", fields(b"s", b"", b"", b"", b"sink", b"0,2-3",
                                          b"net_ring0", b"--log-level=8", b"") + b"none / tmpfs")


# ---- sriov-netlink -----------------------------------------------------------
RTM_NEWLINK, NLMSG_ERROR = 16, 2
IFLA_IFNAME, IFLA_NUM_VF, IFLA_VFINFO_LIST = 3, 21, 22


def nla(kind, payload):
    b = struct.pack("<HH", 4 + len(payload), kind) + payload
    return b + bytes(-len(b) % 4)


def nlmsg(kind, body, flags=0, seq=0):
    return struct.pack("<IHHII", 16 + len(body), kind, flags, seq, 0) + body


def newlink(vfs, num_vf=None, name=b"enp3s0f0", with_list=True):
    """An RTM_NEWLINK as the kernel sends it (test-sriov-netlink.c's newlink_two_vfs)."""
    body = struct.pack("<BxHiII", 0, 0, 7, 0, 0) + nla(IFLA_IFNAME, name + b"\0")
    body += nla(IFLA_NUM_VF, struct.pack("<I", len(vfs) if num_vf is None else num_vf))
    if with_list:
        infos = b""
        for vf in vfs:
            mac = struct.pack("<I", vf) + bytes([2, 0, 0, 0, 0, 0x10 + vf]) + bytes(26)
            info = nla(1, mac) + nla(2, struct.pack("<III", vf, 100 if vf else 0, 5 if vf else 0))
            info += nla(3, struct.pack("<II", vf, 300 if vf else 0))
            info += nla(6, struct.pack("<III", vf, 10 if vf else 0, 300 if vf else 0))
            info += nla(4, struct.pack("<II", vf, vf)) + nla(5, struct.pack("<II", vf, 2 if vf else 0))
            info += nla(9, struct.pack("<II", vf, 0 if vf else 1)) + nla(7, struct.pack("<II", vf, 0))
            info += nla(8, nla(0, struct.pack("<Q", 12345)))
            infos += nla(1, info)
        body += nla(IFLA_VFINFO_LIST, infos)
    return nlmsg(RTM_NEWLINK, body)


def nl_error(code, text, flags=0x300, seq=9):
    """An NLMSG_ERROR with a capped request and an extended-ack message."""
    body = struct.pack("<i", code) + struct.pack("<IHHII", 32, 16, 5, seq, 0)
    return nlmsg(NLMSG_ERROR, body + nla(1, text + b"\0"), flags, seq)


def seeds_sriov_netlink():
    two = newlink([0, 1])
    write("sriov-netlink", "decode-two-vfs", bytes([4 << 1]) + two)
    write("sriov-netlink", "decode-two-vfs-room-one", bytes([1 << 1]) + two)
    write("sriov-netlink", "decode-num-vf-without-list",
          bytes([4 << 1]) + newlink([0, 1], with_list=False))
    write("sriov-netlink", "decode-count-disagrees", bytes([4 << 1]) + newlink([0, 1, 2], 5))
    write("sriov-netlink", "decode-no-vfs", bytes([4 << 1]) + newlink([]))
    datagram = nl_error(0, b"ignored", 0, seq=3) + two[:8] + struct.pack("<II", 9, 0) + two[16:]
    write("sriov-netlink", "answer-newlink", bytes([1 | 4 << 1]) + struct.pack("<I", 9) + datagram)
    write("sriov-netlink", "answer-extack", bytes([1]) + struct.pack("<I", 9) +
          nl_error(-95, b"VF trust unsupported"))
    write("sriov-netlink", "answer-not-capped", bytes([1]) + struct.pack("<I", 9) +
          nl_error(0, b"ignored", 0x200))


# ---- vfio-caps -----------------------------------------------------------------
def vfio_cap(cap_id, nxt, body=b"", version=1):
    return struct.pack("<HHI", cap_id, version, nxt) + body


def vfio_sparse(nxt, nr, pairs):
    return vfio_cap(1, nxt, struct.pack("<II", nr, 0) +
                    b"".join(struct.pack("<QQ", o, n) for o, n in pairs))


def caps_input(mode, size, first, info):
    return struct.pack("<BQI", mode, size, first) + info


def seeds_vfio_caps():
    # test-vfio-dev.c: a 0x4000 BAR with the MSI-X table in its middle page.
    areas = [(0, 0x1000), (0x2000, 0x2000), (0x3000, 0x2000), (2**64 - 1, 2), (0x1000, 0)]
    sparse = vfio_sparse(0, 5, areas)
    end = 32 + len(sparse)
    info = bytearray(32) + vfio_sparse(end, 5, areas) + vfio_cap(3, 0)
    struct.pack_into("<IIIIQQ", info, 0, len(info), 0xF, 2, 32, 0x4000, 0x10000000000)
    write("vfio-caps", "sparse-and-msix", caps_input(2, 0x4000, 32, bytes(info)))
    info = bytearray(41) + vfio_sparse(0, 1, [(0, 0x1000)])
    write("vfio-caps", "sparse-misaligned", caps_input(2, 0x1000, 41, bytes(info)))
    info = bytearray(40) + vfio_sparse(40, 1, [(0, 0x1000)])
    write("vfio-caps", "sparse-self-link", caps_input(2, 0x1000, 40, bytes(info)))
    info = bytearray(200) + vfio_cap(3, 40) + bytes(92)
    info[40:56] = vfio_sparse(0, 0xFFFFFFFF, [])
    write("vfio-caps", "msix-then-backwards", caps_input(0, 0x2000, 200, bytes(info)))
    # test_caps_dma_avail: an IOVA range capability, then DMA_AVAIL.
    info = bytearray(24) + vfio_cap(1, 64, struct.pack("<II", 0, 0)) + bytes(24) + \
        vfio_cap(3, 0, struct.pack("<I", 65000))
    struct.pack_into("<IIQI", info, 0, len(info), 3, 0xFFFFF000, 24)
    write("vfio-caps", "dma-avail", caps_input(1, 0, 24, bytes(info)))


# ---- bind-state ----------------------------------------------------------------
def tree_of(fixture):
    """A fixture sysfs tree in the entry format of fuzz-tree.h."""
    root, out = os.path.join(TOP, "tests", "fixtures", fixture), b""
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        rel = os.path.relpath(d, root)
        if rel != ".":
            out += sysfs_entry(2, rel, b"")
        for f in sorted(files + [x for x in dirs if os.path.islink(os.path.join(d, x))]):
            full = os.path.join(d, f)
            path = os.path.normpath(os.path.join(rel, f))
            if os.path.islink(full):
                out += sysfs_entry(1, path, os.readlink(full).encode())
            else:
                with open(full, "rb") as fh:
                    out += sysfs_entry(0, path, fh.read())
    return out


def bind_input(flags, room, bdf, state, tree=b""):
    return struct.pack("<BBB", flags, room, len(bdf)) + bdf + struct.pack("<H", len(state)) + \
        state + tree


def seeds_bind_state():
    FILE, LINK, DIR, NONE = 0, 1 << 3, 2 << 3, 3 << 3
    write("bind-state", "load-driver", bind_input(FILE, 64, b"3:00.0", b"e1000e\n"))
    write("bind-state", "load-none", bind_input(FILE, 64, b"0000:03:00.0", b"\n"))
    write("bind-state", "load-too-long", bind_input(FILE, 64, b"3:00.0", b"d" * 130 + b"\n"))
    write("bind-state", "load-link", bind_input(LINK, 64, b"3:00.0", b"/etc/hostname"))
    write("bind-state", "load-folder", bind_input(DIR, 64, b"3:00.0", b""))
    write("bind-state", "load-small-buffer", bind_input(FILE, 6, b"3:00.0", b"e1000e\n"))
    write("bind-state", "bind-host", bind_input(1, 64, b"0:03.0", b"", tree_of("bind-host")))
    write("bind-state", "bind-host-group",
          bind_input(1 | 4 | NONE, 64, b"1:00.0", b"", tree_of("bind-host")))
    write("bind-state", "unbind-vf-of-vfio-pf",
          bind_input(3, 64, b"6:00.1", b"igbvf\n", tree_of("vf-of-vfio-pf")))
    write("bind-state", "unbind-shared-group",
          bind_input(2, 64, b"4:00.1", b"vfio-pci\n", tree_of("shared-group")))
    write("bind-state", "bind-noiommu", bind_input(1, 64, b"0:03.0", b"", tree_of("bind-noiommu")))


TARGETS = {
    "virtqueue": seeds_virtqueue,
    "pci": seeds_pci,
    "vhost-user": seeds_vhost_user,
    "boot": seeds_boot,
    "e1000": seeds_e1000,
    "virtio-net": seeds_virtio_net,
    "sysfs": seeds_sysfs,
    "switch-config": seeds_switch_config,
    "sriov-netlink": seeds_sriov_netlink,
    "vfio-caps": seeds_vfio_caps,
    "bind-state": seeds_bind_state,
}

if __name__ == "__main__":
    for t in sys.argv[1:] or TARGETS:
        TARGETS[t]()
