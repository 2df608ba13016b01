#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
#
# A kcap export consumer written against Debian's python3-protobuf only:
# reads a stream (file, "tcp:HOST:PORT", "unix:PATH", "unixpacket:PATH")
# in the pb or json format and prints a summary as "key value" lines:
#   frames N, header.* fields, name.<event name> N, syscall.<name> N,
#   drop.count N, exec.<filename> N, pid.<pid>.<syscall> N
# and, given PID, then each event of that process in stream order as
#   event NAME res=R [family fields] comm=C exe=E args=A,B cwd=D uid=U ...
# Usage: consume.py GENDIR pb|json SOURCE [PID]
import collections
import json
import socket
import sys

sys.path.insert(0, sys.argv[1])
from google.protobuf import json_format  # noqa: E402
from kcap.v1 import event_pb2, stream_pb2  # noqa: E402

fmt, src = sys.argv[2], sys.argv[3]
want_pid = int(sys.argv[4]) if len(sys.argv) > 4 else None


def read_stream():
    if src.startswith("tcp:"):
        host, port = src[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    elif src.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(src[5:])
    elif src.startswith("unixpacket:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(src[11:])
        packets = []
        while True:
            p = s.recv(1 << 20)
            if not p:
                return None, packets
            packets.append(p)
    else:
        return open(src, "rb").read(), None
    chunks = []
    while True:
        c = s.recv(1 << 20)
        if not c:
            return b"".join(chunks), None
        chunks.append(c)


def frames(data, packets):
    if packets is not None:
        yield from packets
    elif fmt == "json":
        yield from data.splitlines()
    else:
        i = 0
        while i < len(data):
            n = shift = 0
            while True:
                b = data[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            if i + n > len(data):
                raise SystemExit("truncated frame at byte %d" % i)
            yield data[i:i + n]
            i += n


def describe(ev):
    """One line with the fields a check asserts on."""
    f = ["event", ev.name, "res=%d" % ev.res, "source=" + event_pb2.Source.Name(ev.source)]
    body = ev.WhichOneof("body")
    if body == "open":
        f += ["name=" + ev.open.name, "path=" + ev.open.path, "flags=%#x" % ev.open.flags]
    elif body == "net" and ev.net.HasField("addr"):
        a = ev.net.addr
        f += ["fd=%d" % ev.net.fd, "family=%d" % a.family, "ip=" + a.ip, "port=%d" % a.port]
    elif body == "exec":
        f += ["filename=" + ev.exec.filename, "argv=" + ",".join(ev.exec.argv)]
    p = ev.process
    f += ["pid=%d" % p.pid, "tid=%d" % p.tid, "ppid=%d" % p.ppid, "comm=" + p.comm,
          "exe=" + p.exe, "args=" + ",".join(p.args), "cwd=" + p.cwd, "uid=%d" % p.uid,
          "user=" + p.user, "container=" + (ev.container.id or "host")]
    return " ".join(f)


out = collections.Counter()
events = []
data, packets = read_stream()
for f in frames(data, packets):
    out["frames"] += 1
    ev = event_pb2.Event()
    if fmt == "json":
        obj = json.loads(f)
        if "rule" in obj and "output_fields" in obj:
            out["alerts"] += 1
            continue
        # Google's parser is strict about the proto3 JSON mapping.
        json_format.Parse(f, ev)
    else:
        ev.ParseFromString(f)
    body = ev.WhichOneof("body")
    if body == "header":
        for k in ("schema", "kernel_release", "arch", "producer", "format"):
            out["header.%s %s" % (k, getattr(ev.header, k))] += 1
        continue
    out["name.%s" % ev.name] += 1
    if want_pid is not None and ev.pid == want_pid:
        events.append(describe(ev))
    if body == "syscall":
        out["syscall.%s" % ev.syscall.name] += 1
        out["pid.%d.%s.res%d" % (ev.pid, ev.syscall.name, ev.syscall.res)] += 1
    elif body == "drop":
        out["drop.count"] += ev.drop.count
        out["drop.reason.%s" % stream_pb2.DropReason.Name(ev.drop.reason)] += 1
    elif body == "exec" and ev.name == "proc_exec":
        out["exec.%s" % ev.exec.filename] += 1
    elif body == "open":
        out["pid.%d.%s.res%d" % (ev.pid, ev.name, ev.open.res)] += 1
    elif body == "fork" and ev.name == "proc_fork":
        out["fork.pid.%d" % ev.pid] += 1
    if ev.seq:
        out["seq.max"] = max(out["seq.max"], ev.seq)
for k in sorted(out):
    v = out[k]
    print(k if k.startswith("header.") else "%s %d" % (k, v))
for e in events:
    print(e)
