#!/usr/bin/env python3
"""Issue 9 A/B: every target of issue 9 measured for two findex binaries in the same run.

A is the build of the commit before the change (the baseline), B the build of the change. Every
figure is taken for A and B in interleaved rounds (A B, then B A, ...) so that the drift of a
noisy machine hits both alike; each cell is the median of its runs with the range (min-max), and
the ratio column is the median of the per-round ratios (pairs), not the ratio of medians.

Sections (--only / --skip, comma lists):
  ingest  per format (ZAP JSON, SARIF; reports replicated from real corpus reports by
          gen_reports.py, --size-mb each): fresh ingest into an empty store (wall, CPU,
          findings/s, MB/s, peak RSS, store bytes on disk after the process exits, -wal
          included, against the report's bytes), then the same findings in new bytes
          (gen_reports' `.touched`: only a report timestamp differs) into that store: the
          "seen again, unchanged" path; its speed-up over fresh.
  lambda  bench/lambda_convert.py (json.load + ASFF rewrite, no store) on the same ZAP report,
          in the first --slow-runs rounds of `ingest`; its wall time over findex's fresh ingest of
          the same round.
  small   process start (`findex --version`), one small ZAP report (< 100 KB, distinct findings
          each run) ingested by its own process into an existing store (the ZAP store of
          `ingest`, or one built here), and --small-files small reports in one process.
  large   a store of >= --store-findings findings (namespaced SARIF / ZAP / Trivy reports, each
          in its own scope, ingested with --policy policy_bench.yml as the recorded baseline
          figures were; each binary builds its own store), then on it: `gate --all-scopes
          --fail-on CRITICAL`, `gate --all-scopes --policy bench/policy_bench.yml` (time and
          peak RSS), `query --group-by severity` and `--group-by scanner`, `export --format
          asff` (time and peak RSS; output to /dev/null).
Wall time and peak RSS come from wait4() on the process (ru_maxrss: what /usr/bin/time -v
reports as "Maximum resident set size"); CPU = user + sys of the process.

Each binary gets its own store folders (WORK/A, WORK/B): stores are never shared, so a B with
another schema is fine. Global options are given before the subcommand (both binaries accept
that). Runs use WORK as working directory (no findex.yml there).

Prints a Markdown table (figure, A, B, ratio, target, met?) on stdout; progress on stderr;
--json FILE keeps every run.

  bench/issue9_ab.py --a /work/base/build/cli/findex --b build/cli/findex --work /tmp/ab --scale small
  bench/issue9_ab.py --a /work/base/build/cli/findex --b build/cli/findex --work /tmp/ab   # full size
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXT = {"zap-json": "json", "sarif": "sarif", "trivy": "json", "dependency-check-xml": "xml"}
LABEL = {"zap-json": "ZAP JSON", "sarif": "SARIF", "trivy": "Trivy JSON", "dependency-check-xml": "Dependency-Check XML"}
CORPUS = os.environ.get("FINDEX_CORPUS", "/work/shared/corpus")
SMALL_SOURCE = "zap-json/bcgov_zap_2.14.0_itsecgames_2024-03-31.json"  # 33 KB, 12 alerts, 65 instances
SMALL_HOST = "www.itsecgames.com"
MIB = 1024 * 1024
SCALES = {  # report MB, store findings, small files, rounds of the ingest section, runs of fast commands
    "full": dict(size_mb=200, store_findings=500000, small_files=2000, runs=5, fast_runs=20, slow_runs=3),
    "small": dict(size_mb=20, store_findings=50000, small_files=2000, runs=3, fast_runs=10, slow_runs=2),
}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------- running
class Run:
    __slots__ = ("wall", "cpu", "rss_mib", "rc", "out", "err")


def run(cmd, cwd, keep_out=False, stdout_path=None):
    """Runs cmd; wall, CPU and peak RSS of that process (wait4). stdout to a file, not a pipe."""
    r = Run()
    with tempfile.TemporaryFile() as errf:
        if keep_out:
            outf = tempfile.TemporaryFile()
        elif stdout_path:
            outf = open(stdout_path, "wb")
        else:
            outf = subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=outf, stderr=errf, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        r.wall = time.perf_counter() - t0
        p.returncode = r.rc = os.waitstatus_to_exitcode(status)
        r.cpu = ru.ru_utime + ru.ru_stime
        r.rss_mib = ru.ru_maxrss / 1024.0
        r.out = ""
        if keep_out:
            outf.seek(0)
            r.out = outf.read().decode(errors="replace")
            outf.close()
        elif stdout_path:
            outf.close()
        errf.seek(0)
        r.err = errf.read().decode(errors="replace")[-4000:]
    return r


def rm_store(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


def dir_bytes(d):
    """Bytes of every file of a store folder (db, -wal, -shm, anything else the binary keeps)."""
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            n += os.path.getsize(os.path.join(root, f))
    return n


def summaries(out):
    res = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                res.append(json.loads(line))
            except ValueError:
                pass
    return res


def tot(sums, key):
    return sum(s.get(key, 0) or 0 for s in sums)


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.data = os.path.abspath(args.data or os.path.join(self.work, "data"))
        os.makedirs(self.data, exist_ok=True)
        self.bins = {"A": os.path.abspath(args.a), "B": os.path.abspath(args.b)}
        self.policy = os.path.abspath(args.policy)
        self.rows = []      # (section, figure, a, b, ratio, target, met)
        self.raw = {"args": vars(args), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_before": os.getloadavg(),
                    "nproc": os.cpu_count(), "bins": self.bins, "runs": {}}
        self.notes = []
        self.zap_store = {}  # binary -> folder of a fresh ZAP store (for the small-report section)

    # -- helpers
    def fx(self, who, db, *argv):
        return [self.bins[who], "--db", db, "-q", *argv]

    def order(self, rnd):
        return ("A", "B") if rnd % 2 == 0 else ("B", "A")

    def keep(self, key, who, value):
        self.raw["runs"].setdefault(key, {}).setdefault(who, []).append(value)

    def ingest(self, who, db, paths, scope="bench", extra=()):
        cmd = self.fx(who, db, "ingest", "--scope", scope, "--summary", "json", *extra, *paths)
        r = run(cmd, self.work, keep_out=True)
        sums = summaries(r.out)
        bad = [s for s in sums if s.get("status") == "error"]
        if r.rc != 0 or bad or not sums:
            raise RuntimeError(f"{who}: ingest failed (exit {r.rc}): {' '.join(cmd)}\n{r.err}\n{r.out[-2000:]}")
        return r, sums

    def gen(self, fmt, size_mb, variants, namespace=0):
        name = f"{fmt}-{size_mb:g}mb" + (f"-ns{namespace}" if namespace else "")
        paths = {v: os.path.join(self.data, name + ("" if v == "base" else "." + v) + "." + EXT[fmt]) for v in variants}
        meta = os.path.join(self.data, name + ".meta.json")
        if not (all(os.path.exists(p) for p in paths.values()) and os.path.exists(meta)):
            cmd = [sys.executable, os.path.join(HERE, "gen_reports.py"), "--format", fmt, "--size-mb", f"{size_mb:g}",
                   "--out", self.data, "--variants", ",".join(variants), "--namespace", str(namespace)]
            log("generating", os.path.basename(paths["base"]), "...")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return paths, meta

    def add(self, section, figure, a, b, ratio="", target="", met=""):
        self.rows.append((section, figure, a, b, ratio, target, met))

    # -------------------------------------------------------------------------------- ingest
    def sec_ingest(self):
        a = self.args
        do_lambda = "lambda" in self.sections
        for fmt in [f for f in a.formats.split(",") if f]:
            paths, _ = self.gen(fmt, a.size_mb, ["base", "touched"])
            size = os.path.getsize(paths["base"])
            res = {w: {"fresh": [], "re": [], "store": [], "records": None, "unchanged": None} for w in "AB"}
            lam = {m: [] for m in a.lambda_per.split(",") if m}
            for rnd in range(a.runs):
                for who in self.order(rnd):
                    d = os.path.join(self.work, who, f"ingest-{fmt}")
                    rm_store(d)
                    db = os.path.join(d, "findex.db")
                    r, sums = self.ingest(who, db, [paths["base"]])
                    store = dir_bytes(d)
                    r2, sums2 = self.ingest(who, db, [paths["touched"]])
                    x = res[who]
                    x["fresh"].append(r)
                    x["re"].append(r2)
                    x["store"].append(store)
                    x["records"] = tot(sums, "records")
                    x["new"] = tot(sums, "new")
                    x["unchanged"] = tot(sums2, "unchanged")
                    x["updated"] = tot(sums2, "updated")
                    st2 = sorted(set(str(s.get("status")) for s in sums2))
                    if st2 != ["ok"]:
                        self.notes.append(f"{fmt}: {who}'s re-ingest of the same findings in new bytes has status "
                                          f"{st2} (not a full ingest: the figure is not the unchanged path)")
                    self.keep(f"ingest {fmt} fresh", who, dict(wall=r.wall, cpu=r.cpu, rss_mib=r.rss_mib, store=store,
                                                              records=x["records"]))
                    self.keep(f"ingest {fmt} reingest", who, dict(wall=r2.wall, cpu=r2.cpu, rss_mib=r2.rss_mib,
                                                                 unchanged=x["unchanged"], updated=x["updated"]))
                    log(f"{fmt} round {rnd + 1} {who}: fresh {r.wall:.2f} s ({r.rss_mib:.0f} MiB), store "
                        f"{store / 1e6:.1f} MB; same findings new bytes {r2.wall:.2f} s")
                for m in lam if (do_lambda and fmt == "zap-json" and rnd < a.slow_runs) else ():  # first rounds
                    out = os.path.join(self.work, "lambda-out.json")
                    lr = run([sys.executable, os.path.join(HERE, "lambda_convert.py"), "--per", m, paths["base"], out],
                             self.work)
                    if lr.rc != 0:
                        raise RuntimeError(f"lambda_convert failed: {lr.err}")
                    lam[m].append(lr)
                    self.keep(f"lambda zap-json per {m}", "L", dict(wall=lr.wall, cpu=lr.cpu, rss_mib=lr.rss_mib,
                                                                    line=lr.err.strip()))
                    log(f"lambda (per {m}) round {rnd + 1}: {lr.wall:.2f} s ({lr.rss_mib:.0f} MiB) {lr.err.strip()}")
                    os.remove(out)
            # keep the last fresh ZAP store of each binary for the small section (re-ingest included: existing store)
            if fmt == "zap-json":
                for who in "AB":
                    self.zap_store[who] = os.path.join(self.work, who, f"ingest-{fmt}")
            else:
                for who in "AB":
                    shutil.rmtree(os.path.join(self.work, who, f"ingest-{fmt}"), ignore_errors=True)
            self.report_ingest(fmt, size, res, lam)

    def report_ingest(self, fmt, size, res, lam):
        A, B = res["A"], res["B"]
        label = LABEL[fmt]
        sec = f"ingest {label} {size / 1e6:.0f} MB"
        if A["records"] != B["records"]:
            self.notes.append(f"{label}: A read {A['records']} records, B {B['records']}: not the same findings count")
        n = A["records"] or B["records"]  # the same report: A's count of records for both rates
        walls = {w: [r.wall for r in res[w]["fresh"]] for w in "AB"}
        pairs = [a / b for a, b in zip(walls["A"], walls["B"])]
        fps = {w: [n / x for x in walls[w]] for w in "AB"}
        self.add(sec, f"fresh: findings/s ({n:,} records; A: {A['new']:,} new, B: {B['new']:,} new)",
                 rng(fps["A"], "{:,.0f}"), rng(fps["B"], "{:,.0f}"), f"{med(pairs):.2f}x",
                 ">= 3x A", yes(med(pairs) >= 3))
        self.add(sec, "fresh: wall s", rng(walls["A"], "{:.2f}"), rng(walls["B"], "{:.2f}"), "", "", "")
        self.add(sec, "fresh: CPU s (user+sys)", rng([r.cpu for r in A["fresh"]], "{:.2f}"),
                 rng([r.cpu for r in B["fresh"]], "{:.2f}"), "", "", "")
        self.add(sec, "fresh: MB/s", rng([size / 1e6 / x for x in walls["A"]], "{:.1f}"),
                 rng([size / 1e6 / x for x in walls["B"]], "{:.1f}"), f"{med(pairs):.2f}x", "", "")
        rss = {w: [r.rss_mib for r in res[w]["fresh"]] + [r.rss_mib for r in res[w]["re"]] for w in "AB"}
        self.add(sec, "peak RSS MiB (fresh and re-ingest, max of runs)", f"{max(rss['A']):.0f}", f"{max(rss['B']):.0f}",
                 f"{max(rss['B']) / max(rss['A']):.2f}", "<= 600 MB (572 MiB)", yes(max(rss["B"]) * MIB <= 600e6))
        st = {w: med(res[w]["store"]) for w in "AB"}
        self.add(sec, "store on disk after fresh (all files of the store) / report bytes",
                 f"{st['A'] / 1e6:.1f} MB = {st['A'] / size:.2f}x", f"{st['B'] / 1e6:.1f} MB = {st['B'] / size:.2f}x",
                 f"{st['B'] / st['A']:.2f}", "<= 0.6x report", yes(st["B"] / size <= 0.6))
        re = {w: [r.wall for r in res[w]["re"]] for w in "AB"}
        sp = {w: [f / r for f, r in zip(walls[w], re[w])] for w in "AB"}
        self.add(sec, f"same findings, new bytes: wall s (A: {A['unchanged']:,} unchanged, {A['updated']:,} updated; "
                      f"B: {B['unchanged']:,} / {B['updated']:,})",
                 rng(re["A"], "{:.2f}"), rng(re["B"], "{:.2f}"),
                 f"{med([a / b for a, b in zip(re['A'], re['B'])]):.2f}x", "", "")
        self.add(sec, "same findings, new bytes: speed-up over fresh (per run)", rng(sp["A"], "{:.2f}x"),
                 rng(sp["B"], "{:.2f}x"), "", ">= 2x fresh (B)", yes(med(sp["B"]) >= 2))
        for m, runs in (lam or {}).items():
            if not runs:
                continue
            lw = [r.wall for r in runs]
            la = [l / x for l, x in zip(lw, walls["A"])]
            lb = [l / x for l, x in zip(lw, walls["B"])]
            line = runs[-1].err.strip().split(":", 1)[-1].strip()
            what = "a finding per alert instance" if m == "instance" else "a finding per (site, alert)"
            self.add(sec, f"Lambda-style converter, {what} (no store; {line.split(',')[0]}): wall s "
                          f"{rng(lw, '{:.2f}')}, peak RSS {max(r.rss_mib for r in runs):.0f} MiB; its wall / findex's "
                          "fresh wall (same round)",
                     rng(la, "{:.2f}x"), rng(lb, "{:.2f}x"), "", ">= 4x (B)", yes(med(lb) >= 4))

    # --------------------------------------------------------------------------------- small
    def small_files(self, n, tag):
        """n distinct small ZAP reports (the corpus report with its host renamed per file), each in
        a folder of its own (DIR/rNNNNN/zap.json: --scope-from-path '**/{repo}/*' gives it scope rNNNNN)."""
        d = os.path.join(self.data, f"small-zap-{tag}-{n}")
        paths = [os.path.join(d, f"r{i:05d}", "zap.json") for i in range(n)]
        if all(os.path.exists(p) for p in paths):
            return d, paths
        shutil.rmtree(d, ignore_errors=True)
        text = open(os.path.join(CORPUS, SMALL_SOURCE), encoding="utf-8").read()
        assert SMALL_HOST in text
        for i, p in enumerate(paths):
            os.makedirs(os.path.dirname(p))
            with open(p, "w", encoding="utf-8") as f:
                f.write(text.replace(SMALL_HOST, f"{tag}-{i:05d}.itsecgames.example"))
        return d, paths

    def sec_small(self):
        a = self.args
        n_single = a.fast_runs
        _, singles = self.small_files(n_single * 2, "one")  # distinct files: each run stores new findings
        batch_dir, batch = self.small_files(a.small_files, "batch")
        # per-file: each report its own scope (a CI loop over many projects); one: all in scope
        # 'bench', each report a new target of that scope
        scope_args = (["--scope-from-path", "**/{repo}/*"] if a.small_scope == "per-file" else [])
        size = os.path.getsize(singles[0])
        # existing store: the ZAP store of the ingest section, else one built from the small batch
        stores = {}
        for who in "AB":
            d = os.path.join(self.work, who, "small-existing")
            rm_store(d)
            src = self.zap_store.get(who)
            if src and os.path.isdir(src):
                for f in os.listdir(src):
                    shutil.copyfile(os.path.join(src, f), os.path.join(d, f))
                what = "the fresh ZAP store of the ingest section"
            else:
                self.ingest(who, os.path.join(d, "findex.db"), [batch_dir], scope="existing", extra=scope_args)
                what = f"a store of {len(batch)} small ZAP reports"
            stores[who] = os.path.join(d, "findex.db")
        ver = {"A": [], "B": []}
        one = {"A": [], "B": []}
        for i in range(n_single):
            for who in self.order(i):
                v = run([self.bins[who], "--version"], self.work)
                ver[who].append(v.wall)
                r, sums = self.ingest(who, stores[who], [singles[i * 2 + (0 if who == "A" else 1)]], scope=f"ci-{i}")
                per_file = tot(sums, "records")
                if tot(sums, "new") == 0:
                    self.notes.append(f"small: {who} stored no new finding from a small report")
                one[who].append(r.wall)
        for who in "AB":
            self.keep("small version", who, ver[who])
            self.keep("small one report", who, one[who])
        beyond = {w: med(one[w]) - med(ver[w]) for w in "AB"}
        sec = f"small reports ({size / 1e3:.0f} KB ZAP, {per_file} findings each)"
        self.add(sec, "process start (`findex --version`) ms", rng([x * 1e3 for x in ver["A"]], "{:.1f}"),
                 rng([x * 1e3 for x in ver["B"]], "{:.1f}"), "", "", "")
        self.add(sec, f"one small report by its own process into an existing store ({what}): wall ms",
                 rng([x * 1e3 for x in one["A"]], "{:.1f}"), rng([x * 1e3 for x in one["B"]], "{:.1f}"),
                 f"{med([x / y for x, y in zip(one['A'], one['B'])]):.2f}x", "", "")
        self.add(sec, "  the same, beyond process start (median - median) ms", f"{beyond['A'] * 1e3:.1f}",
                 f"{beyond['B'] * 1e3:.1f}", "", "< 15 ms (B)", yes(beyond["B"] < 0.015))
        fps = {"A": [], "B": []}
        for rnd in range(a.slow_runs):
            for who in self.order(rnd):
                d = os.path.join(self.work, who, "small-batch")
                rm_store(d)
                r, sums = self.ingest(who, os.path.join(d, "findex.db"), [batch_dir], extra=scope_args)
                if len(sums) != len(batch):
                    self.notes.append(f"small batch: {who} printed {len(sums)} summaries for {len(batch)} files")
                fps[who].append(len(batch) / r.wall)
                self.keep("small batch", who, dict(wall=r.wall, cpu=r.cpu, rss_mib=r.rss_mib, new=tot(sums, "new")))
                log(f"small batch round {rnd + 1} {who}: {r.wall:.2f} s, {len(batch) / r.wall:.0f} files/s")
        self.add(sec, f"{len(batch):,} small files in one process (fresh store; "
                      f"{'a scope per file' if a.small_scope == 'per-file' else 'one scope, a target per file'}): files/s",
                 rng(fps["A"], "{:,.0f}"), rng(fps["B"], "{:,.0f}"),
                 f"{med([b / x for x, b in zip(fps['A'], fps['B'])]):.2f}x", ">= 500 files/s (B)", yes(med(fps["B"]) >= 500))
        for who in "AB":
            for d in ("small-batch", "small-existing", "ingest-zap-json"):
                shutil.rmtree(os.path.join(self.work, who, d), ignore_errors=True)

    # --------------------------------------------------------------------------------- large
    def build_large(self):
        a = self.args
        dbs = {w: os.path.join(self.work, w, "large", "findex.db") for w in "AB"}
        info_path = os.path.join(self.work, "large-store.json")
        if a.reuse_store and os.path.exists(info_path) and all(os.path.exists(p) for p in dbs.values()):
            info = json.load(open(info_path))
            if info.get("bins") == self.bins and info.get("findings", 0) >= a.store_findings:
                log(f"reusing the large stores ({info['findings']:,} findings)")
                return dbs, info
        for w in "AB":
            rm_store(os.path.dirname(dbs[w]))
        fmts = ["sarif", "zap-json", "trivy"]
        have = {"A": 0, "B": 0}
        ingest_s = {"A": 0.0, "B": 0.0}
        rss = {"A": 0.0, "B": 0.0}
        total_bytes = 0
        ns = 1
        while min(have.values()) < a.store_findings:
            fmt = fmts[(ns - 1) % len(fmts)]
            paths, meta = self.gen(fmt, a.size_mb, ["base"], namespace=ns)
            total_bytes += os.path.getsize(paths["base"])
            for who in self.order(ns):
                r, sums = self.ingest(who, dbs[who], [paths["base"]], scope=f"repo-{ns}", extra=["--policy", self.policy])
                have[who] += tot(sums, "new")
                ingest_s[who] += r.wall
                rss[who] = max(rss[who], r.rss_mib)
            log(f"large store: {fmt} ns {ns}: A {have['A']:,} findings ({ingest_s['A']:.1f} s), "
                f"B {have['B']:,} ({ingest_s['B']:.1f} s)")
            if not a.keep_reports:
                os.remove(paths["base"])
                os.remove(meta)
            ns += 1
        info = {"bins": self.bins, "findings": min(have.values()), "have": have, "reports": ns - 1,
                "report_bytes": total_bytes, "ingest_s": ingest_s, "ingest_rss_mib": rss,
                "store_bytes": {w: dir_bytes(os.path.dirname(dbs[w])) for w in "AB"}}
        json.dump(info, open(info_path, "w"), indent=2)
        return dbs, info

    def sec_large(self):
        a = self.args
        dbs, info = self.build_large()
        n = info["findings"]
        self.raw["large_store"] = info
        sec = f"store of {n:,} findings ({info['reports']} reports, {info['report_bytes'] / 1e6:,.0f} MB, one scope each)"
        sb = info["store_bytes"]
        if "have" in info and info["have"]["A"] != info["have"]["B"]:
            self.notes.append(f"large store: A holds {info['have']['A']:,} new findings, B {info['have']['B']:,}")
        self.add(sec, "building it: sum of ingest wall s (--policy at ingest; store growing)",
                 f"{info['ingest_s']['A']:.1f}", f"{info['ingest_s']['B']:.1f}",
                 f"{info['ingest_s']['A'] / info['ingest_s']['B']:.2f}x", "", "")
        self.add(sec, "store on disk / report bytes", f"{sb['A'] / 1e6:,.0f} MB = {sb['A'] / info['report_bytes']:.2f}x",
                 f"{sb['B'] / 1e6:,.0f} MB = {sb['B'] / info['report_bytes']:.2f}x", f"{sb['B'] / sb['A']:.2f}", "", "")

        def timed(label, argv, runs, target_ms=None, target_rss=None, check_out=False, ok_rc=(0, 1)):
            shown = " ".join("bench/" + os.path.basename(x) if x == self.policy else x for x in argv)
            walls = {"A": [], "B": []}
            rsss = {"A": [], "B": []}
            rcs = {"A": set(), "B": set()}
            outs = {}
            for i in range(runs):
                if i >= 3 and max(sum(walls["A"]), sum(walls["B"])) > a.cell_seconds:
                    runs = i  # time budget of the cell spent: at least 3 runs each
                    break
                for who in self.order(i):
                    r = run(self.fx(who, dbs[who], *argv), self.work, keep_out=check_out)
                    walls[who].append(r.wall)
                    rsss[who].append(r.rss_mib)
                    rcs[who].add(r.rc)
                    if r.rc not in ok_rc:
                        self.notes.append(f"`{' '.join(argv)}`: {who} exited {r.rc}: {r.err.strip()[-300:]}")
                    if check_out:
                        outs[who] = r.out
            for who in "AB":
                self.keep(label, who, dict(wall=walls[who], rss_mib=rsss[who], rc=sorted(rcs[who])))
            log(f"{label}: A {med(walls['A']) * 1e3:.1f} ms, B {med(walls['B']) * 1e3:.1f} ms, exit A {sorted(rcs['A'])} "
                f"B {sorted(rcs['B'])}")
            if rcs["A"] != rcs["B"]:
                self.notes.append(f"`{' '.join(argv)}`: exit codes differ: A {sorted(rcs['A'])}, B {sorted(rcs['B'])}")
            if check_out and outs.get("A") != outs.get("B"):
                self.notes.append(f"`{' '.join(argv)}`: outputs differ:\n\n    A: {outs.get('A', '').strip()[:400]!r}\n"
                                  f"    B: {outs.get('B', '').strip()[:400]!r}")
            ratio = f"{med([x / y for x, y in zip(walls['A'], walls['B'])]):.2f}x"
            unit_ms = med(walls["A"]) < 1.0
            fmt = "{:.1f}" if unit_ms else "{:.2f}"
            scale = 1e3 if unit_ms else 1
            name = f"`{shown}` wall {'ms' if unit_ms else 's'} (exit A {sorted(rcs['A'])}, B {sorted(rcs['B'])}; {runs} runs)"
            if target_ms is not None:
                tgt = f"< {target_ms:g} ms" if target_ms < 1000 else f"< {target_ms / 1000:g} s"
                self.add(sec, name, rng([x * scale for x in walls["A"]], fmt), rng([x * scale for x in walls["B"]], fmt),
                         ratio, tgt + " (B)", yes(med(walls["B"]) * 1e3 < target_ms))
            else:
                self.add(sec, name, rng([x * scale for x in walls["A"]], fmt), rng([x * scale for x in walls["B"]], fmt),
                         ratio, "", "")
            if target_rss is not None:
                self.add(sec, "  its peak RSS MiB (max of runs)", f"{max(rsss['A']):.0f}", f"{max(rsss['B']):.0f}",
                         f"{max(rsss['B']) / max(rsss['A']):.2f}", f"< {target_rss} MB ({target_rss * 1e6 / MIB:.0f} MiB) (B)",
                         yes(max(rsss["B"]) * MIB < target_rss * 1e6))

        timed("gate critical", ["gate", "--all-scopes", "--fail-on", "CRITICAL"], a.fast_runs, target_ms=20)
        timed("gate policy", ["gate", "--all-scopes", "--policy", self.policy], a.slow_runs, target_ms=2000, target_rss=300)
        timed("query group-by severity", ["query", "--group-by", "severity"], a.fast_runs, target_ms=200,
              check_out=True, ok_rc=(0,))
        timed("query group-by scanner", ["query", "--group-by", "scanner"], a.fast_runs, target_ms=200,
              check_out=True, ok_rc=(0,))
        timed("export asff", ["export", "--format", "asff"], a.slow_runs, target_rss=300, ok_rc=(0,))
        if not a.reuse_store:
            for w in "AB":
                shutil.rmtree(os.path.join(self.work, w, "large"), ignore_errors=True)
            os.remove(os.path.join(self.work, "large-store.json"))

    # ---------------------------------------------------------------------------------- main
    def go(self):
        for who, b in self.bins.items():
            if not os.access(b, os.X_OK):
                raise SystemExit(f"{who}: no executable at {b}")
            v = run([b, "--version"], self.work, keep_out=True)
            self.raw.setdefault("versions", {})[who] = v.out.strip()
        for n in ("findex.yml", "findex.yaml", ".codeguru-ignore.yml", ".trivyignore", ".trivyignore.yaml"):
            if os.path.exists(os.path.join(self.work, n)):
                raise SystemExit(f"{n} in {self.work}: findex would apply it")
        t0 = time.time()
        for s in ("ingest", "small", "large"):
            if s in self.sections:
                log(f"section {s}")
                try:
                    getattr(self, f"sec_{s}")()
                except (RuntimeError, subprocess.CalledProcessError) as e:
                    self.notes.append(f"section {s} stopped: {e}")
                    log(f"section {s} stopped: {e}")
        for who in "AB":
            shutil.rmtree(os.path.join(self.work, who, "ingest-zap-json"), ignore_errors=True)
        self.raw["seconds"] = time.time() - t0
        self.raw["load_after"] = os.getloadavg()
        self.print()

    def print(self):
        r = self.raw
        print(f"## issue 9 A/B ({r['date']}; {self.args.scale} scale; {self.args.runs} ingest rounds, "
              f"{self.args.fast_runs} runs of fast commands, {self.args.slow_runs} of slow ones; "
              f"{r['seconds'] / 60:.1f} min; load average {r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after)\n")
        print(f"A = `{self.bins['A']}` ({r['versions']['A']}), B = `{self.bins['B']}` ({r['versions']['B']}). "
              "Cells: median (min-max) of the runs; ratio: median of per-round A/B pairs for times "
              "(> 1: B faster), B/A for rates, sizes and memory.\n")
        sec = None
        print("| figure | A | B | ratio | target | met? |")
        print("|---|---|---|---|---|---|")
        for s, fig, a, b, ratio, tgt, met in self.rows:
            if s != sec:
                print(f"| **{s}** | | | | | |")
                sec = s
            print(f"| {fig} | {a} | {b} | {ratio} | {tgt} | {met} |")
        if self.notes:
            print("\nNotes:\n")
            for n in dict.fromkeys(self.notes):  # each once, in order
                print(f"- {n}")
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump(dict(r, rows=self.rows, notes=self.notes), f, indent=1, default=str)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def rng(xs, f):
    if not xs:
        return "-"
    if len(xs) == 1:
        return f.format(xs[0])
    return f"{f.format(med(xs))} ({f.format(min(xs))}-{f.format(max(xs))})"


def yes(ok):
    return "yes" if ok else "**no**"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="findex binary A: the build of the commit before the change")
    ap.add_argument("--b", required=True, help="findex binary B: the build of the change")
    ap.add_argument("--work", required=True, help="work folder (stores under WORK/A and WORK/B, reports under WORK/data)")
    ap.add_argument("--data", help="folder of the generated reports (default WORK/data; reused when present)")
    ap.add_argument("--scale", choices=list(SCALES), default="full")
    ap.add_argument("--size-mb", type=float, help="size of each generated report (full 200, small 20)")
    ap.add_argument("--store-findings", type=int, help="findings of the large store (full 500000, small 50000)")
    ap.add_argument("--small-files", type=int, help="small files ingested in one process (2000)")
    ap.add_argument("--runs", type=int, help="rounds of the ingest section (full 5, small 3)")
    ap.add_argument("--fast-runs", type=int, help="runs of the fast commands: small ingests, gate, query (full 20)")
    ap.add_argument("--slow-runs", type=int, help="runs of the slow commands: policy gate, export, small batch (full 3)")
    ap.add_argument("--small-scope", choices=["per-file", "one"], default="per-file",
                    help="small files in one process: each in its own scope (default), or all in one scope as"
                         " distinct targets (A's absence judgment is superlinear in the targets of a scope)")
    ap.add_argument("--formats", default="zap-json,sarif",
                    help="formats of the ingest section (also trivy, dependency-check-xml)")
    ap.add_argument("--cell-seconds", type=float, default=40,
                    help="large store: stop repeating a command after 3 runs once one binary has spent this long on it")
    ap.add_argument("--lambda-per", default="instance,alert",
                    help="lambda_convert.py --per modes to run: instance (the AWS samples), alert (findex's findings)")
    ap.add_argument("--only", default="ingest,lambda,small,large", help="sections to run")
    ap.add_argument("--skip", default="", help="sections to leave out")
    ap.add_argument("--policy", default=os.path.join(HERE, "policy_bench.yml"))
    ap.add_argument("--reuse-store", action="store_true",
                    help="keep the large stores (WORK/A/large, WORK/B/large) and reuse them on the next run with the same binaries")
    ap.add_argument("--keep-reports", action="store_true", help="keep the namespaced reports of the large store")
    ap.add_argument("--json", help="also write every run to this file")
    args = ap.parse_args()
    for k, v in SCALES[args.scale].items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    os.makedirs(args.work, exist_ok=True)
    b = Bench(args)
    b.sections = set(s for s in args.only.split(",") if s) - set(s for s in args.skip.split(",") if s)
    b.go()


if __name__ == "__main__":
    main()
