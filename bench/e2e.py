#!/usr/bin/env python3
"""End-to-end benchmark of `findex ingest` and `findex gate` on generated reports.

For each format (reports from gen_reports.py, generated when missing):
  fresh      ingest of the base report into an empty store              (--runs times, median)
  identical  the same file again: a byte-identical report of the latest run is a no-op
  unchanged  the same findings in a report whose bytes differ (a timestamp): every finding
             takes the "seen again, unchanged" path -- the honest re-ingest figure
  changed    from the store after `fresh`: 10% of the findings gone, as many new, 5% modified
  rescan     (Dependency-Check) a new <reportDate>, which findex stores in every finding
  gate       `findex gate --scope bench --fail-on CRITICAL` on that store
--kinds limits the ingest runs to some of fresh,identical,unchanged,changed,rescan (fresh always runs).
--policy FILE passes `--policy FILE` to every ingest (and to the policy gates below); without it,
no policy file may be in the working directory (findex would discover it).
Then one store of >= --gate-findings findings (namespaced 200 MB copies of the reports, each in
its own scope so that all stay active, or with --gate-scopes one all in scope "bench") and the
gate on it; --gate-store PATH keeps that store and reuses it on the next run. With --policy, the
large store is also gated through the policy (the C++ re-evaluation of every active finding of the
scope): the policy's gates, and --fail-on CRITICAL with the policy, --policy-gate-runs times each.

Wall time and peak RSS come from wait4() on the findex process (no /usr/bin/time needed);
MB/s = report bytes / wall s; findings/s = records read / wall s. Page cache warm (the report
was just written or read).

Usage: bench/e2e.py [--findex build-bench/cli/findex] [--size-mb 200] [--runs 3]
                    [--formats zap-json,dependency-check-xml,sarif,trivy] [--gate-findings 1000000]
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXT = {"zap-json": "json", "dependency-check-xml": "xml", "sarif": "sarif", "trivy": "json"}


def run_rss(cmd):
    """Runs cmd reading stdout fully; wall time and peak RSS of that process via wait4()."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss / 1024.0, p.returncode, out.decode(), err.decode(), ru.ru_utime + ru.ru_stime


def rm_db(db):
    for s in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + s):
            os.remove(db + s)


def copy_db(src, dst):
    rm_db(dst)
    for s in ("", "-wal", "-shm"):
        if os.path.exists(src + s):
            shutil.copyfile(src + s, dst + s)


POLICY_ARGS = []  # ["--policy", FILE] when e2e.py --policy is given


def ingest(findex, db, files, scope="bench", extra=()):
    cmd = [findex, "--db", db, "-q", "ingest", "--scope", scope, "--summary", "json", *POLICY_ARGS, *extra, *files]
    wall, rss, rc, out, err, cpu = run_rss(cmd)
    summaries = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    if rc != 0 or any(s.get("status") == "error" for s in summaries):
        raise SystemExit(f"ingest failed (rc {rc}): {' '.join(cmd)}\n{err}\n{out}")
    return {"wall": wall, "rss": rss, "cpu": cpu, "summaries": summaries}


def total(summaries, key):
    return sum(s.get(key, 0) for s in summaries)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ensure_reports(fmt, size_mb, data, variants, namespace=0):
    name = f"{fmt}-{size_mb:g}mb" + (f"-ns{namespace}" if namespace else "")
    base = os.path.join(data, f"{name}.{EXT[fmt]}")
    meta = os.path.join(data, f"{name}.meta.json")
    want = [v for v in variants if v != "rescan" or fmt == "dependency-check-xml"]
    paths = {v: os.path.join(data, name + ("" if v == "base" else "." + v) + "." + EXT[fmt]) for v in want}
    if not all(os.path.exists(p) for p in paths.values()) or not os.path.exists(meta):
        cmd = [sys.executable, os.path.join(HERE, "gen_reports.py"), "--format", fmt, "--size-mb", f"{size_mb:g}",
               "--out", data, "--variants", ",".join(want), "--namespace", str(namespace)]
        print("generating:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return paths


def gate_times(findex, db, args, n):
    times = []
    rc = None
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.run([findex, "--db", db, "-q", "gate", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
        rc = p.returncode
    times.sort()
    return {"median_ms": med(times), "min_ms": times[0], "p90_ms": times[int(0.9 * (len(times) - 1))], "rc": rc, "n": n}


def fmt_row(cols, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cols, widths)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--findex", default=os.path.join(ROOT, "build-bench", "cli", "findex"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--work", default=None, help="folder for the stores (default <data>/stores)")
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="zap-json,dependency-check-xml,sarif,trivy")
    ap.add_argument("--gate-runs", type=int, default=20)
    ap.add_argument("--gate-findings", type=int, default=1000000, help="0: skip the large gate store")
    ap.add_argument("--gate-formats", default="sarif,zap-json,trivy",
                    help="formats whose namespaced copies fill the large store")
    ap.add_argument("--gate-scopes", choices=["per-report", "one"], default="per-report",
                    help="large store: each report in its own scope (all findings stay active; default) or all in"
                         " scope 'bench' (each report of a scanner resolves the previous one)")
    ap.add_argument("--gate-store", help="large store to use: built there when missing, reused and kept otherwise")
    ap.add_argument("--keep-gate-reports", action="store_true", help="keep the namespaced reports of the large store")
    ap.add_argument("--json", help="also write all measurements to this file")
    ap.add_argument("--policy", help="policy file passed to every ingest with --policy, and to the policy gates")
    ap.add_argument("--kinds", default="fresh,identical,unchanged,changed,rescan",
                    help="ingest runs to do per format (fresh always runs)")
    ap.add_argument("--policy-gate-runs", type=int, default=3, help="runs of each policy gate on the large store")
    args = ap.parse_args()

    findex = os.path.abspath(args.findex)
    if not os.access(findex, os.X_OK):
        raise SystemExit(f"no findex binary at {findex} (build: cmake --build build-bench --target findex)")
    if args.policy:
        POLICY_ARGS[:] = ["--policy", os.path.abspath(args.policy)]
    else:
        found = [n for n in ("findex.yml", "findex.yaml", ".codeguru-ignore.yml", ".trivyignore", ".trivyignore.yaml")
                 if os.path.exists(n)]
        if found:
            raise SystemExit(f"policy files in the working directory ({', '.join(found)}): findex would apply them")
    kinds = set(k for k in args.kinds.split(",") if k)
    work = args.work or os.path.join(args.data, "stores")
    os.makedirs(work, exist_ok=True)
    results = {"machine": os.uname().nodename, "nproc": os.cpu_count(), "load_before": os.getloadavg(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "findex": findex,
               "policy": os.path.abspath(args.policy) if args.policy else None, "formats": {}}
    rows = []
    variants = ["base", "touched", "changed", "rescan"]
    for fmt in [f for f in args.formats.split(",") if f]:
        paths = ensure_reports(fmt, args.size_mb, args.data, variants)
        size = os.path.getsize(paths["base"])
        db = os.path.join(work, f"{fmt}.db")
        snap = os.path.join(work, f"{fmt}.snap.db")
        r = {"bytes": size}
        # fresh
        fresh = []
        for _ in range(args.runs):
            rm_db(db)
            fresh.append(ingest(findex, db, [paths["base"]]))
        records = total(fresh[-1]["summaries"], "records")
        distinct = total(fresh[-1]["summaries"], "new")
        copy_db(db, snap)
        r["records"], r["distinct"] = records, distinct
        r["store_mb"] = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1e6

        def add(kind, runs, n_records, note=""):
            walls = [x["wall"] for x in runs]
            w = med(walls)
            rows.append([fmt, kind, f"{size / 1e6:.0f}", n_records, f"{w:.2f}", f"{med([x['cpu'] for x in runs]):.2f}",
                         f"{size / 1e6 / w:.1f}", f"{n_records / w:,.0f}", f"{max(x['rss'] for x in runs):.0f}", note])
            r[kind] = {"wall_s": walls, "rss_mib": [x["rss"] for x in runs], "cpu_s": [x["cpu"] for x in runs],
                       "counts": runs[-1]["summaries"]}

        supp = total(fresh[-1]["summaries"], "suppressed")
        add("fresh", fresh, records, f"{distinct} distinct" + (f", {supp} suppressed by policy" if args.policy else ""))
        # identical bytes: no-op
        if "identical" in kinds:
            ident = [ingest(findex, db, [paths["base"]]) for _ in range(args.runs)]
            st = ident[-1]["summaries"][0].get("status")
            add("identical", ident, records, f"status {st}")
        # same findings, other bytes: alternate touched/base so that each run differs from the last
        if "unchanged" in kinds:
            unch = []
            for i in range(args.runs):
                unch.append(ingest(findex, db, [paths["touched"] if i % 2 == 0 else paths["base"]]))
            u = total(unch[-1]["summaries"], "unchanged")
            upd = total(unch[-1]["summaries"], "updated")
            add("unchanged", unch, records, f"{u} unchanged, {upd} updated")
        # changed: from the snapshot each time
        if "changed" in kinds:
            chg = []
            for _ in range(args.runs):
                copy_db(snap, db)
                chg.append(ingest(findex, db, [paths["changed"]]))
            s = chg[-1]["summaries"][0]
            add("changed", chg, s["records"],
                f"{s['new']} new, {s['updated']} upd, {s['unchanged']} unch, {s['resolved']} resolved")
        if "rescan" in paths and "rescan" in kinds:
            rs = []
            for _ in range(args.runs):
                copy_db(snap, db)
                rs.append(ingest(findex, db, [paths["rescan"]]))
            s = rs[-1]["summaries"][0]
            add("rescan", rs, s["records"], f"{s['new']} new, {s['updated']} upd, {s['unchanged']} unch")
            copy_db(snap, db)
        g = gate_times(findex, db, ["--scope", "bench", "--fail-on", "CRITICAL"], args.gate_runs)
        r["gate"] = g
        rows.append([fmt, "gate CRITICAL", "", distinct, f"{g['median_ms'] / 1000:.3f}", "", "", "", "",
                     f"median {g['median_ms']:.1f} ms (min {g['min_ms']:.1f}, p90 {g['p90_ms']:.1f}), exit {g['rc']}"])
        rm_db(snap)
        rm_db(db)
        results["formats"][fmt] = r
        print(f"done {fmt}", file=sys.stderr)

    if args.gate_findings > 0:
        db = args.gate_store or os.path.join(work, "gate-1m.db")
        reuse = bool(args.gate_store) and os.path.exists(db)
        os.makedirs(os.path.dirname(os.path.abspath(db)), exist_ok=True)
        if not reuse:
            rm_db(db)
        have = 0
        ns = 1
        big = {"files": [], "ingest": []}
        gfmts = [f for f in args.gate_formats.split(",") if f]
        if reuse:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            have = con.execute("SELECT count(*) FROM findings").fetchone()[0]
            con.close()
            big["reused"] = True
        while have < args.gate_findings:
            fmt = gfmts[(ns - 1) % len(gfmts)]
            p = ensure_reports(fmt, args.size_mb, args.data, ["base"], namespace=ns)["base"]
            scope = "bench" if args.gate_scopes == "one" else f"repo-{ns}"
            res = ingest(findex, db, [p], scope=scope)
            have += total(res["summaries"], "new")
            big["files"].append(os.path.basename(p))
            big["ingest"].append({"file": os.path.basename(p), "bytes": os.path.getsize(p), "wall_s": res["wall"],
                                  "rss_mib": res["rss"], "new": total(res["summaries"], "new"), "total": have})
            print(f"large store: {have} findings after {os.path.basename(p)} ({res['wall']:.1f} s)", file=sys.stderr)
            if not args.keep_gate_reports:
                os.remove(p)
                os.remove(p.rsplit(".", 1)[0] + ".meta.json")
            ns += 1
        big["findings"] = have
        tb = sum(x["bytes"] for x in big["ingest"]) if big["ingest"] else 0
        tw = sum(x["wall_s"] for x in big["ingest"])
        if big["ingest"]:
            rows.append([f"store {have:,}", f"{len(big['ingest'])} files, scopes: {args.gate_scopes}", f"{tb / 1e6:.0f}", have,
                         f"{tw:.1f}", "", f"{tb / 1e6 / tw:.1f}", f"{have / tw:,.0f}",
                         f"{max(x['rss_mib'] for x in big['ingest']):.0f}", "sum of per-file ingests, store growing"])
        big["store_mb"] = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1e6
        # A scope that holds CRITICAL findings (Trivy's) when each report has its own scope.
        one = "bench" if args.gate_scopes == "one" else f"repo-{1 + gfmts.index('trivy')}" if "trivy" in gfmts else "repo-1"
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        active = con.execute("SELECT count(*) FROM findings WHERE record_state='ACTIVE'").fetchone()[0]
        crit = con.execute("SELECT count(*) FROM findings WHERE record_state='ACTIVE' AND severity=4").fetchone()[0]
        con.close()
        big["active"], big["active_critical"] = active, crit
        rows.append([f"store {have:,}", f"{active:,} active, {crit:,} active CRITICAL", "", "", "", "", "", "", "",
                     f"{big.get('store_mb', 0):,.0f} MB store, scopes: {args.gate_scopes}"])
        for label, gargs in [(f"gate CRITICAL --scope {one}", ["--scope", one, "--fail-on", "CRITICAL"]),
                             ("gate CRITICAL (all scopes)", ["--fail-on", "CRITICAL"]),
                             (f"gate CRITICAL --scope {one} --new-only", ["--scope", one, "--fail-on", "CRITICAL", "--new-only"]),
                             ("gate HIGH (all scopes)", ["--fail-on", "HIGH"]),
                             ("gate LOW (all scopes)", ["--fail-on", "LOW"])]:
            g = gate_times(findex, db, gargs, args.gate_runs)
            big[label] = g
            rows.append([f"store {have:,}", label, "", have, f"{g['median_ms'] / 1000:.3f}", "", "", "", "",
                         f"median {g['median_ms']:.1f} ms (min {g['min_ms']:.1f}, p90 {g['p90_ms']:.1f}), exit {g['rc']}"])
        if args.policy:
            # The policy path: every active finding of the scope read and re-evaluated in C++.
            for label, gargs in [(f"gate --policy (its gates) --scope {one}", [*POLICY_ARGS, "--scope", one]),
                                 ("gate --policy (its gates, all scopes)", [*POLICY_ARGS]),
                                 ("gate --policy --fail-on CRITICAL (all scopes)", [*POLICY_ARGS, "--fail-on", "CRITICAL"])]:
                wall, rss, rc, _, _, cpu = run_rss([findex, "--db", db, "-q", "gate", *gargs])  # warm-up, RSS
                g = gate_times(findex, db, gargs, args.policy_gate_runs)
                g["rss_mib"], g["cpu_s_warmup"] = rss, cpu
                big[label] = g
                rows.append([f"store {have:,}", label, "", have, f"{g['median_ms'] / 1000:.3f}", f"{cpu:.2f}", "", "",
                             f"{rss:.0f}", f"median of {g['n']} {g['median_ms']:.0f} ms (min {g['min_ms']:.0f}), exit {g['rc']}"])
        results["large_store"] = big
        if not args.gate_store:
            rm_db(db)

    head = ["report", "run", "MB", "findings", "wall s", "CPU s", "MB/s", "findings/s", "RSS MiB", "notes"]
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    print(fmt_row(head, widths))
    for row in rows:
        print(fmt_row(row, widths))
    results["load_after"] = os.getloadavg()
    results["rows"] = rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
