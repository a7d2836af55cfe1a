#!/usr/bin/env python3
"""Compares a live watch with the audit of the same capture (tests/e2e/watch.sh).

  watch_check.py AUDIT.json LIVE.json EVENTS.jsonl TIMES
Every flow (protocol, addresses, ports) and every name the audit finds is
found live; kernel drops are 0; each destination the audit calls a leak has
an alarm whose alarm_ts - packet_ts <= 1 s and whose alarm_ts is within 1 s
of tcpreplay's sending window. Prints each failure; exit 1 if any."""
import json
import sys

audit = json.load(open(sys.argv[1]))
live = json.load(open(sys.argv[2]))
events = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
t0, t1 = (float(x) for x in open(sys.argv[4]).read().split())
bad = []


def flows(doc):
    return {(f["proto"], f["local"]["address"], f["local"]["port"], f["remote"]["address"], f["remote"]["port"])
            for f in doc["flows"]}


def names(doc):
    s = {f["name"] for f in doc["flows"] if f["name"]}
    s |= {q["qname"] if "qname" in q else q.get("name", "") for q in doc.get("dns_queries", [])}
    return s - {""}


missing = flows(audit) - flows(live)
if missing:
    bad.append("flows not found live: %s" % sorted(missing)[:5])
if not flows(audit):
    bad.append("the audit found no flows (test capture broken)")
mn = names(audit) - names(live)
if mn:
    bad.append("names not found live: %s" % sorted(mn)[:5])
w = live.get("watch", {})
if w.get("kernel_drops", -1) != 0:
    bad.append("kernel drops: %s" % w.get("kernel_drops"))
alarms = [e for e in events if e.get("type") == "alarm"]
leaks = [d["address"] for d in audit["destinations"] if d["verdict"] == "leak"]
if not leaks:
    bad.append("the audit found no leak (test capture broken)")
for addr in leaks:
    a = [e for e in alarms if e.get("address") == addr]
    if not a:
        bad.append("no alarm for %s" % addr)
        continue
    e = a[0]
    lat = e["alarm_ts"] - e["packet_ts"]
    if not (-0.05 <= lat <= 1.0):
        bad.append("alarm for %s %.3f s after its packet" % (addr, lat))
    if not (t0 - 0.05 <= e["packet_ts"] <= t1 + 0.05):
        bad.append("packet_ts of %s outside tcpreplay's window" % addr)
    if not (e["alarm_ts"] <= t1 + 1.0):
        bad.append("alarm for %s more than 1 s after tcpreplay ended" % addr)
if live.get("verdict") != audit.get("verdict"):
    bad.append("verdict live %s, audit %s" % (live.get("verdict"), audit.get("verdict")))
if not any(e.get("type") == "summary" for e in events):
    bad.append("no summary line in the events")
lats = sorted(e["alarm_ts"] - e["packet_ts"] for e in alarms if e.get("category") not in ("drops",))
for b in bad:
    print("FAIL", b)
print("checked %d flows, %d names, %d leaks, %d alarms; latency max %.3f s" % (
    len(flows(audit)), len(names(audit)), len(leaks), len(alarms), lats[-1] if lats else -1))
sys.exit(1 if bad else 0)
