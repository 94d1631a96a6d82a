#!/usr/bin/python3
"""Turns bench/blob/run.sh's results (one JSON object per line) into the table
of figures and Kiln/peer ratios: plain text on stdout, and markdown (on stdout
and, with --markdown FILE, into FILE) ready for bench/README.md."""
import argparse
import datetime
import json
import os
import platform


MEDIAN_OF = {
    "get4k": lambda r: r.get("ops_per_s"),
    "put4k": lambda r: r.get("ops_per_s"),
    "download": lambda r: r.get("mb_per_s"),
    "disk_dsync": lambda r: max(r.get("dsync_4k_append_ops_per_s", 0), r.get("dsync_4k_overwrite_ops_per_s", 0)),
}


def load(path):
    """Results by (workload, target, connections). A workload measured in several
    rounds keeps its median round (by its main figure; failed rounds rank lowest)."""
    rounds = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                rounds.setdefault((r["workload"], r["target"], r["connections"]), []).append(r["result"])
    results = {}
    for key, runs in rounds.items():
        figure = MEDIAN_OF.get(key[0])
        if figure and len(runs) > 1:
            runs = sorted(runs, key=lambda r: (figure(r) or 0) if not r.get("error") else -1)
            chosen = dict(runs[len(runs) // 2])
            chosen["rounds"] = [None if r.get("error") else figure(r) for r in runs]
            if any("peak_rss_kib" in r for r in runs):  # memory: the peak over every round
                chosen["peak_rss_kib"] = max(r.get("peak_rss_kib", 0) for r in runs)
            results[key] = chosen
        else:
            results[key] = runs[-1]
    return results


def value(results, workload, target, conns, field):
    """The figure, or None when the workload failed or was not run. A rate load with
    some failed requests keeps its figure (successes only); report() lists the failures."""
    r = results.get((workload, target, conns))
    if not r or r.get("error") or (r.get("errors") and not r.get("ok")):
        return None
    return r.get(field)


def problem(results, workload, target, conns):
    r = results.get((workload, target, conns))
    if not r:
        return None
    if r.get("error"):
        return r["error"]
    if r.get("errors"):
        return f'{r["errors"]} failed requests, first: {r.get("first_error")}'
    return None


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    if r is None:
        return "—"
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def build_rows(res, big_mib, blob_count):
    disk = {}
    for probe in ("disk_first", "disk_dsync", "disk_bandwidth"):
        r = res.get((probe, "disk", 1))
        if r and not r.get("error"):
            disk[probe] = r
    dsync = None
    if "disk_dsync" in disk:
        d = disk["disk_dsync"]
        dsync = max(d["dsync_4k_append_ops_per_s"], d["dsync_4k_overwrite_ops_per_s"])
    bandwidth = disk.get("disk_bandwidth", {}).get("write_fsync_mb_per_s")
    rows = []  # (workload, kiln, azurite, limit, limit_name, digits, target text, met?)

    def add(name, kiln, azurite, limit, limit_name, digits=0, target=None, met=None):
        rows.append(dict(name=name, kiln=kiln, azurite=azurite, limit=limit, limit_name=limit_name,
                         digits=digits, target=target or "", met=met))

    for c in (1, 16, 64):
        k = value(res, "get4k", "kiln", c, "ops_per_s")
        lim = value(res, "get4k", "nginx", c, "ops_per_s")
        r = ratio(k, lim)
        add(f"4 KiB GET ops/s, {c} conn", k, value(res, "get4k", "azurite", c, "ops_per_s"), lim, "nginx",
            target="≥ 0.5× nginx" if c == 16 else None, met=(r >= 0.5 if r is not None else None) if c == 16 else None)
    for c in (1, 16, 64):
        add(f"4 KiB GET p99 ms, {c} conn", value(res, "get4k", "kiln", c, "p99_ms"),
            value(res, "get4k", "azurite", c, "p99_ms"), value(res, "get4k", "nginx", c, "p99_ms"), "nginx", 2)
    for c in (1, 16, 64):
        k = value(res, "put4k", "kiln", c, "ops_per_s")
        a = value(res, "put4k", "azurite", c, "ops_per_s")
        met = None
        target = None
        if c == 16:
            target = "≥ 30× Azurite, ≥ 2× O_DSYNC"
            ra, rl = ratio(k, a), ratio(k, dsync)
            met = None if ra is None or rl is None else (ra >= 30 and rl >= 2)
        add(f"4 KiB PUT ops/s (Kiln durable), {c} conn", k, a, dsync, "disk 4 KiB O_DSYNC", target=target, met=met)
    for c in (1, 16, 64):
        add(f"4 KiB PUT p99 ms, {c} conn", value(res, "put4k", "kiln", c, "p99_ms"),
            value(res, "put4k", "azurite", c, "p99_ms"), None, "", 2)
    k = value(res, "upload", "kiln", 4, "mb_per_s")
    r = ratio(k, bandwidth)
    add(f"{big_mib} MiB staged upload MB/s", k, value(res, "upload", "azurite", 4, "mb_per_s"), bandwidth,
        "disk write+fsync", 1, "≥ 0.7× disk", None if r is None else r >= 0.7)
    k = value(res, "download", "kiln", 1, "mb_per_s")
    lim = value(res, "download", "nginx", 1, "mb_per_s")
    r = ratio(k, lim)
    add(f"{big_mib} MiB download MB/s", k, value(res, "download", "azurite", 1, "mb_per_s"), lim, "nginx", 1,
        "≥ 0.8× nginx", None if r is None else r >= 0.8)
    add(f"create {blob_count:,} blobs, blobs/s (16 conn)", value(res, "create", "kiln", 16, "ops_per_s"),
        value(res, "create", "azurite", 16, "ops_per_s"), None, "")
    k = value(res, "list", "kiln", 1, "blobs_per_s")
    a = value(res, "list", "azurite", 1, "blobs_per_s")
    r = ratio(k, a)
    add(f"list {blob_count:,} blobs (5000/page), blobs/s", k, a, None, "", target="≥ 10× Azurite",
        met=None if r is None else r >= 10)

    def peak_mib(target):
        vals = [value(res, w, target, c, "peak_rss_kib") for w, c in (("upload", 4), ("download", 1))]
        vals = [v for v in vals if v]
        return max(vals) / 1024 if vals else None

    k = peak_mib("kiln")
    add(f"server peak RSS MiB while {big_mib} MiB streams", k, peak_mib("azurite"), 64, "target", 1,
        "< 64 MiB", None if k is None else k < 64)
    return rows, disk


def describe_disk(disk):
    parts = []
    if "disk_first" in disk:
        parts.append(f'write+fsync {disk["disk_first"]["write_fsync_mb_per_s"]:.0f} MB/s at the start')
    if "disk_bandwidth" in disk:
        parts.append(f'{disk["disk_bandwidth"]["write_fsync_mb_per_s"]:.0f} MB/s right before the uploads (the limit)')
    if "disk_dsync" in disk:
        d = disk["disk_dsync"]
        parts.append(f'4 KiB O_DSYNC single stream right before the PUTs: {d["dsync_4k_append_ops_per_s"]:.0f} ops/s '
                     f'appending, {d["dsync_4k_overwrite_ops_per_s"]:.0f} ops/s overwriting (the higher is the limit)')
    return ("Disk: " + "; ".join(parts) + ".") if parts else ""


def render(rows, markdown):
    header = ["workload", "Kiln", "Azurite", "limit", "Kiln/Azurite", "Kiln/limit", "target", "met"]
    table = []
    for r in rows:
        limit = fmt(r["limit"], r["digits"]) + (f' ({r["limit_name"]})' if r["limit"] is not None else "")
        if r["limit"] is None:
            limit = "—"
        met = {True: "yes", False: "**no**" if markdown else "NO", None: "" if not r["target"] else "n/a"}[r["met"]]
        table.append([r["name"], fmt(r["kiln"], r["digits"]), fmt(r["azurite"], r["digits"]), limit,
                      fmt_ratio(ratio(r["kiln"], r["azurite"])),
                      fmt_ratio(ratio(r["kiln"], r["limit"])) if r["limit_name"] != "target" else "—",
                      r["target"], met])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in table]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--command", default="bench/blob/run.sh")
    p.add_argument("--quick", default="0")
    p.add_argument("--azurite-version", default="?")
    p.add_argument("--big-size", type=int, default=1 << 30)
    p.add_argument("--blob-count", type=int, default=10000)
    p.add_argument("--rate-seconds", default="5")
    p.add_argument("--rounds", default="1")
    p.add_argument("--markdown")
    a = p.parse_args()
    res = load(a.results)
    big_mib = a.big_size >> 20
    rows, disk = build_rows(res, big_mib, a.blob_count)

    problems = []
    for (workload, target, conns) in sorted(res, key=str):
        why = problem(res, workload, target, conns)
        if why:
            problems.append(f"{workload} {target} ({conns} conn): {why}")

    notes = []
    for workload, conns, label in (("get4k", 16, "4 KiB GET at 16 connections, ops/s"),
                                   ("put4k", 16, "4 KiB PUT at 16 connections, ops/s"),
                                   ("download", 1, f"{big_mib} MiB download, MB/s")):
        spread = []
        for t in ("kiln", "azurite", "nginx"):
            r = res.get((workload, t, conns))
            if r and r.get("rounds"):
                spread.append(f'{t} ' + "/".join(fmt(x) for x in r["rounds"]))
        if spread:
            notes.append(f"{label} of each round: " + "; ".join(spread))
    d = res.get(("disk_dsync", "disk", 1))
    if d and not d.get("error"):
        rate = max(d["dsync_4k_append_ops_per_s"], d["dsync_4k_overwrite_ops_per_s"])
        azurite = value(res, "put4k", "azurite", 16, "ops_per_s")
        notes.append(f"a durable PUT waits for at least one sync, so 16 closed-loop connections cannot exceed "
                     f"16 × {rate:,.0f} = {16 * rate:,.0f} PUT/s on this disk even if every sync commits all 16"
                     + (f" (30× Azurite would be {30 * azurite:,.0f})" if azurite else ""))
    if d and d.get("rounds"):
        notes.append("disk 4 KiB O_DSYNC ops/s of each round: " + "/".join(fmt(x) for x in d["rounds"]))
    nosync = value(res, "put4k", "kiln_nosync", 16, "ops_per_s")
    durable = value(res, "put4k", "kiln", 16, "ops_per_s")
    if nosync:
        notes.append(f"the same Kiln without any fsync (`kiln serve --in-memory`), 4 KiB PUT at 16 connections: "
                     f"{fmt(nosync)} ops/s" + (f" ({fmt_ratio(ratio(durable, nosync))} of it durable)" if durable else "")
                     + ": the request path's own cost bounds the durable rate")
    for t in ("kiln", "azurite"):
        up = res.get(("upload", t, 4))
        if up and not up.get("error") and "commit_seconds" in up:
            notes.append(f'{t} upload: Put Block List took {up["commit_seconds"]:.2f} s of {up["seconds"]:.2f} s')

    print()
    print(render(rows, markdown=False))
    for n in notes:
        print("note:", n)
    disk_text = describe_disk(disk)
    if disk_text:
        print("\n" + disk_text)
    for why in problems:
        print("problem:", why)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [f"Measured {now} on {os.cpu_count()} cores, Linux {platform.release()}; "
          f"Azurite {a.azurite_version} (`--loose`, data on disk, no fsync); Kiln with a data directory on disk; "
          f"nginx-light (Debian) serving the same bytes from static files; each rate is the median of "
          f"{a.rounds} rounds of {a.rate_seconds} s (servers taking turns), one epoll client thread on the same machine.",
          "", "```", a.command, "```", "", render(rows, markdown=True)]
    if disk_text:
        md += ["", disk_text]
    if notes:
        md += [""] + [f"- {n}" for n in notes]
    if problems:
        md += [""] + [f"- problem: {why}" for why in problems]
    text = "\n".join(md) + "\n"
    print("\n--- markdown for bench/README.md ---\n")
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
