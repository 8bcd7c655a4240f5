#!/usr/bin/env python3
"""CLI tests for `findex report -o FILE` (issue 11): the page is rendered in headless Chromium
(Debian's `chromium`), its DOM after the script ran is checked against `findex query --group-by`
and against figures computed here independently from the store's tables (runs, findings,
history), and the page is shown to load nothing: statically (no src/href/url() to anywhere, a
Content-Security-Policy of default-src 'none') and at run time (Chromium logs every blocked load
and script error on the console; a control page that does load things shows that it would).

Without Chromium the browser tests are skipped, except in CI ($CI set, or scripts/test.sh), where
they fail.
Usage: report_html_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, shutil, subprocess, sys, tempfile, unittest
from datetime import datetime, timezone
from html.parser import HTMLParser

import findex_cli
from findex_cli import PG

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
ZAP1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
ZAP2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
BANDIT_ONE = os.path.join(SAMPLES, "bandit", "dd_bandit_one.json")
GRYPE = os.path.join(SAMPLES, "grype", "dd_grype_0.7.0_many_vulns3.json")
SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
ACTIVE_EXPR = "workflow != SUPPRESSED and workflow != RESOLVED"
SLA = {"CRITICAL": 7, "HIGH": 30, "MEDIUM": 90, "LOW": 180}
NOW = "2026-12-01T10:00:00Z"
# A title a hostile report could carry: it must stay text.
HOSTILE = "</script><img src=x onerror=\"document.title='pwned'\"><!-- & <u>under</u> \u2028 end"

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
# CI ($CI, or scripts/test.sh, the CI entry point, which requires every backend) must render.
IN_CI = bool(os.environ.get("CI")) or findex_cli.PG_REQUIRED
needs_chromium = unittest.skipIf(CHROMIUM is None and not IN_CI,
                                 "chromium is not installed (apt-get install chromium); required in CI")


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()


class Dom(HTMLParser):
    """Every element of a DOM dump: tag, attributes, the data-chart of the SVG it is in, its text."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.els, self.stack = [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        chart = a.get("data-chart")
        if chart is None:
            chart = next((e["chart"] for e in reversed(self.stack) if e["chart"]), None)
        el = {"tag": tag, "attrs": a, "chart": chart, "text": ""}
        self.els.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        for e in self.stack:
            e["text"] += data

    def find(self, tag=None, chart=None, **attrs):
        out = []
        for e in self.els:
            if tag and e["tag"] != tag:
                continue
            if chart and e["chart"] != chart:
                continue
            if all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(e)
        return out

    def kpi(self, key):
        got = self.find("div", data_kpi=key)
        assert len(got) == 1, (key, got)
        return got[0]["attrs"]["data-value"]


def static_problems(html):
    """What in the page (outside its JSON data, which may hold any text) could load something."""
    m = re.search(r'<script type="application/json" id="findex-data">(.*?)</script>', html, re.S)
    if not m:
        return ["no data block"]
    problems = []
    if "<" in m.group(1):
        problems.append("'<' inside the data block")
    rest = html[:m.start(1)] + html[m.end(1):]
    for what, rx in [("<link>", r"<link\b"), ("<script src>", r"<script\b[^>]*\bsrc\s*="),
                     ("src/href to a URL", r"\b(?:src|href|action|poster|srcset|data)\s*=\s*[\"']?\s*(?:[a-z]+:)?//"),
                     ("url() to a URL", r"url\(\s*[\"']?\s*(?:[a-z]+:)?//"), ("@import", r"@import"),
                     ("<iframe>/<object>/<embed>", r"<(?:iframe|object|embed|img|video|audio|source)\b")]:
        if re.search(rx, rest, re.I):
            problems.append(what)
    if "default-src 'none'" not in rest:
        problems.append("no Content-Security-Policy default-src 'none'")
    if len(re.findall(r"<script\b", rest)) != 2:
        problems.append("other scripts than the data and the page's own")
    return problems


class Report(findex_cli.ClassStoreCase):
    TMP_PREFIX = "findex-report-"

    @classmethod
    def findex(cls, *args, now=NOW, cwd=None):
        env = findex_cli.clean_env(FINDEX_NOW=now)
        return subprocess.run([FINDEX, "--db", cls.db, *args], capture_output=True, text=True, env=env, cwd=cwd or cls.tmp,
                              timeout=120)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        hostile = os.path.join(cls.tmp, "hostile-bandit.json")
        with open(BANDIT_ONE) as f:
            doc = json.load(f)
        doc["results"][0].update(issue_text=HOSTILE, issue_severity="HIGH", filename="evil/</style>.py")
        with open(hostile, "w") as f:
            json.dump(doc, f)
        # A month apart: ZAP's second scan fixes some findings (and finds others), the first scan
        # again reopens them (and fixes the others).
        steps = [("2026-09-01T10:00:00Z", "web", [ZAP1]), ("2026-09-01T11:00:00Z", "code", [BANDIT, hostile]),
                 ("2026-09-01T12:00:00Z", "deps", [GRYPE]), ("2026-10-01T10:00:00Z", "web", [ZAP2]),
                 ("2026-11-01T10:00:00Z", "web", [ZAP1])]
        for now, scope, files in steps:
            r = cls.findex("ingest", "--scope", scope, *files, now=now)
            assert r.returncode == 0, r.stderr
            if scope == "deps":
                # Between two ingests, a person suppresses two grype findings and resolves one:
                # not active any more from the next batch on.
                ids = [r["id"] for r in findex_cli.rows(cls.db, "SELECT id FROM findings WHERE scanner = 'grype'"
                                                                " ORDER BY severity DESC, id LIMIT 3")]
                for fid, status in zip(ids, ["SUPPRESSED", "SUPPRESSED", "RESOLVED"]):
                    r = cls.findex("triage", str(fid), "--status", status, "--note", "test", "--by", "tester",
                                   now="2026-09-15T10:00:00Z")
                    assert r.returncode == 0, r.stderr
        # Prioritisation feeds in the published shapes (values illustrative), about CVEs of the
        # store: the least severe active grype CVE is in KEV with a due date in 4 days (its SLA
        # clock is capped: due soon), the most severe one with a past due date.
        cves = [r["vuln_id"] for r in findex_cli.rows(
            cls.db, "SELECT vuln_id FROM findings WHERE scanner = 'grype' AND record_state = 'ACTIVE' AND workflow"
                    " NOT IN ('SUPPRESSED', 'RESOLVED') AND vuln_id LIKE 'CVE-%' AND severity >= 1 ORDER BY severity, vuln_id")]
        assert len(set(cves)) >= 3, cves
        cls.kev_low, cls.kev_high, cls.epss_zero = cves[0], cves[-1], next(c for c in cves if c not in (cves[0], cves[-1]))
        def kev_entry(cve, due, ransomware):
            return {"cveID": cve, "vendorProject": "example", "product": "example", "vulnerabilityName": "test entry",
                    "dateAdded": "2026-11-01", "shortDescription": "test", "requiredAction": "patch", "dueDate": due,
                    "knownRansomwareCampaignUse": ransomware, "notes": "", "cwes": []}
        kev = os.path.join(cls.tmp, "kev.json")
        with open(kev, "w") as f:
            json.dump({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.12.01",
                       "dateReleased": "2026-12-01T12:00:00.000Z", "count": 2,
                       "vulnerabilities": [kev_entry(cls.kev_low, "2026-12-05", "Known"),
                                           kev_entry(cls.kev_high, "2026-11-20", "Unknown")]}, f)
        epss = os.path.join(cls.tmp, "epss.csv")
        with open(epss, "w") as f:
            f.write("#model_version:v2025.03.14,score_date:2026-12-01T00:00:00Z\ncve,epss,percentile\n"
                    "%s,0.91234,0.99100\n%s,0.42000,0.97000\n%s,0.00000,0.00000\n" % (cls.kev_low, cls.kev_high, cls.epss_zero))
        r = cls.findex("enrich", "--kev", kev, "--epss", epss)
        assert r.returncode == 0, r.stderr
        sla = ",".join("%s=%d" % kv for kv in SLA.items()) + ",kev=due_date"
        cls.page = os.path.join(cls.tmp, "report.html")
        r = cls.findex("report", "-o", cls.page, "--sla", sla)
        assert r.returncode == 0, r.stderr
        with open(cls.page, encoding="utf-8") as f:
            cls.html = f.read()
        # A filtered report with a small table.
        cls.page2 = os.path.join(cls.tmp, "report-web.html")
        r = cls.findex("report", "-o", cls.page2, "--scope", "web", "--max-findings", "5", "severity>=MEDIUM")
        assert r.returncode == 0, r.stderr
        cls.runs = findex_cli.rows(cls.db, "SELECT id, batch, started_at, new, resolved, reopened FROM runs ORDER BY id")
        cls.findings = findex_cli.rows(cls.db, "SELECT id, severity, workflow, record_state, scanner, scope, first_seen_run,"
                                               " active_since_run, vuln_id, kev, kev_due, ransomware, epss FROM findings"
                                               " ORDER BY id")
        cls.history = findex_cli.rows(cls.db, "SELECT finding_id, at, actor, action, field, old, new FROM history"
                                              " ORDER BY finding_id, id")
        cls.dom = cls.dom2 = None
        cls.render_error = None
        if CHROMIUM:
            try:
                cls.dom, cls.console = cls.render(cls.page, screenshot=os.path.join(cls.tmp, "report.png"))
                cls.dom2, cls.console2 = cls.render(cls.page2)
            except Exception as e:  # reported by each browser test
                cls.render_error = e

    @classmethod
    def render(cls, page, screenshot=None):
        """(DOM after the scripts ran, console lines): Chromium headless, offline, fresh profile."""
        profile = tempfile.mkdtemp(prefix="chromium-", dir=cls.tmp)
        args = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=" + profile,
                "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--virtual-time-budget=5000", "--window-size=1400,3000",
                "--enable-logging=stderr", "--v=0", "--dump-dom"]
        if screenshot:
            args.append("--screenshot=" + screenshot)
        r = subprocess.run(args + ["file://" + page], capture_output=True, text=True, timeout=60, cwd=cls.tmp)
        assert r.returncode == 0, r.stderr[-2000:]
        console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
        return Dom(r.stdout), console

    def browser(self, which=1):
        if CHROMIUM is None:
            self.fail("chromium is required in CI ($CI is set): install the Debian package chromium")
        if self.render_error:
            raise self.render_error
        return (self.dom, self.console) if which == 1 else (self.dom2, self.console2)

    # --- independent figures ---
    def query_counts(self, *args):
        r = self.findex("query", "--group-by", "severity", "--format", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {x["severity"]: x["count"] for x in json.loads(r.stdout)}
        return [got.get(s, 0) for s in SEVERITIES]

    def batches(self):
        return sorted({r["batch"] for r in self.runs})

    def run_batch_index(self):
        b = self.batches()
        return {r["id"]: b.index(r["batch"]) for r in self.runs}

    def events(self):
        """Per finding: [(batch index, active?)] from first sight, the history's resolved /
        reopened entries (by their run) and a person's triage (in the first batch at or after
        it), forwards (the report computes the trend backwards)."""
        idx = self.run_batch_index()
        ends = [max(ts(r["started_at"]) for r in self.runs if r["batch"] == b) for b in self.batches()]
        ev = {f["id"]: [(idx[f["first_seen_run"]], True)] for f in self.findings}
        for h in self.history:
            if h["action"] in ("resolved", "reopened"):
                run = int(h["actor"].split()[-1])
                ev[h["finding_id"]].append((idx[run], h["action"] == "reopened"))
            elif h["action"] == "triage":
                k = next((i for i, t in enumerate(ends) if t >= ts(h["at"])), len(ends) - 1)
                ev[h["finding_id"]].append((k, h["new"] not in ("SUPPRESSED", "RESOLVED")))
            else:
                raise AssertionError("unexpected history entry %r" % h)
        return ev

    # --- static ---
    def test_page_is_self_contained_and_small(self):
        self.assertEqual(static_problems(self.html), [])
        self.assertLess(len(self.html.encode()), 5 * 1024 * 1024)
        with open(self.page2, encoding="utf-8") as f:
            self.assertEqual(static_problems(f.read()), [])

    def test_static_check_finds_loads(self):
        # The check itself: each of these pages would load something.
        for bad in ['<link rel="stylesheet" href="https://x.invalid/a.css">', '<script src="a.js"></script>',
                    '<style>body{background:url(//x.invalid/a.png)}</style>', '<img src="http://x.invalid/a.png">']:
            self.assertNotEqual(static_problems(self.html.replace("</head>", bad + "</head>", 1)), [], bad)

    def test_hostile_title_is_json_text(self):
        self.assertNotIn("<img", self.html)
        self.assertNotIn("<u>", self.html)
        self.assertIn("\\u003c/script\\u003e\\u003cimg src=x", self.html)

    def test_refuses_to_write_over_the_store_and_bad_flags(self):
        if not PG:
            before = findex_cli.digest(self.db)
            r = self.findex("report", "-o", self.db)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(findex_cli.digest(self.db), before)
        for bad in (["--sla", "CRITICAL=seven"], ["--sla", "URGENT=3"], ["--limit", "3"], ["severity>>HIGH"]):
            r = self.findex("report", "-o", os.path.join(self.tmp, "x.html"), *bad)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.html")))

    def test_sla_from_the_policy(self):
        # The policy's `sla:` key (rules/policy: Policy::sla); --sla overrides it.
        policy = os.path.join(self.tmp, "sla-policy.yml")
        with open(policy, "w") as f:
            f.write("version: 1\nsla: {CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1}\n")
        out = os.path.join(self.tmp, "sla.html")
        active = sum(self.query_counts(ACTIVE_EXPR)[1:])  # every active finding but INFORMATIONAL
        for extra, want in (([], active), (["--sla", "CRITICAL=1000,HIGH=1000,MEDIUM=1000,LOW=1000"], 0)):
            r = self.findex("report", "--policy", policy, "-o", out, *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, encoding="utf-8") as f:
                data = re.search(r'id="findex-data">(.*?)</script>', f.read(), re.S).group(1)
            self.assertEqual(json.loads(data)["headline"]["breached"], want, extra)

    # --- rendered ---
    @needs_chromium
    def test_renders_without_console_messages(self):
        dom, console = self.browser()
        self.assertEqual(console, [], "the page logged (blocked loads or script errors)")
        self.assertEqual(dom.find("html")[0]["attrs"].get("data-rendered"), "1")
        # The static headline for viewers that block scripts is gone once the script ran.
        self.assertIn('<div id="fallback">', self.html)
        self.assertEqual(dom.find("div", id="fallback"), [])
        for chart in ("by-scanner", "by-scope", "trend", "mttr", "ageing", "sla"):
            self.assertEqual(len(dom.find("svg", data_chart=chart)), 1, chart)
        png = os.path.join(self.tmp, "report.png")
        with open(png, "rb") as f:
            head = f.read(8)
        self.assertEqual(head, b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(png), 20000)

    @needs_chromium
    def test_runtime_check_sees_loads(self):
        # The control: a page with the same policy that tries to load things is logged.
        page = os.path.join(self.tmp, "control.html")
        with open(page, "w") as f:
            f.write("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src"
                    " 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"
                    "<link rel=\"stylesheet\" href=\"https://findex.invalid/a.css\"></head><body>"
                    "<img src=\"http://findex.invalid/a.png\"></body></html>")
        self.browser()
        _, console = self.render(page)
        self.assertTrue(any("findex.invalid/a.css" in l for l in console), console)
        self.assertTrue(any("findex.invalid/a.png" in l for l in console), console)

    @needs_chromium
    def test_headline_matches_query(self):
        dom, _ = self.browser()
        want = self.query_counts(ACTIVE_EXPR)
        got = [int(dom.kpi("active-" + s)) for s in SEVERITIES]
        self.assertEqual(got, want)
        self.assertEqual(int(dom.kpi("active")), sum(want))
        self.assertGreater(sum(want), 50)
        # The latest ingest batch: the runs table's counts.
        latest = max(r["batch"] for r in self.runs)
        runs = [r for r in self.runs if r["batch"] == latest]
        self.assertEqual(int(dom.kpi("new")), sum(r["new"] for r in runs))
        self.assertEqual(int(dom.kpi("fixed")), sum(r["resolved"] for r in runs))
        self.assertEqual(int(dom.kpi("reopened")), sum(r["reopened"] for r in runs))
        self.assertGreater(int(dom.kpi("fixed")), 0)
        self.assertGreater(int(dom.kpi("reopened")), 0)

    @needs_chromium
    def test_groups_match_query(self):
        dom, _ = self.browser()
        for chart, flag, keys in (("by-scanner", "--scanner", {"zap", "bandit", "grype"}),
                                  ("by-scope", "--scope", {"web", "code", "deps"})):
            shown = {e["attrs"]["data-key"] for e in dom.find("rect", chart=chart)}
            self.assertEqual(shown, keys, chart)
            for key in keys:
                want = self.query_counts(flag, key, ACTIVE_EXPR)
                for s, n in zip(SEVERITIES, want):
                    rects = dom.find("rect", chart=chart, data_key=key, data_severity=s)
                    self.assertEqual(sum(int(e["attrs"]["data-value"]) for e in rects), n, (chart, key, s))

    @needs_chromium
    def test_trend_replays_the_history(self):
        dom, _ = self.browser()
        batches = self.batches()
        self.assertEqual(int(dom.find("svg", data_chart="trend")[0]["attrs"]["data-points"]), len(batches))
        sev = {f["id"]: SEVERITIES[f["severity"]] for f in self.findings}
        ev = self.events()
        for k, b in enumerate(batches):
            want = {s: 0 for s in SEVERITIES}
            for fid, events in ev.items():
                state = None
                for i, active in events:
                    if i <= k:
                        state = active
                if state:
                    want[sev[fid]] += 1
            for s in SEVERITIES:
                pts = dom.find("circle", chart="trend", data_series=s, data_batch=str(b))
                got = int(pts[0]["attrs"]["data-value"]) if pts else 0
                self.assertEqual(got, want[s], (b, s))
        # The latest point is the headline.
        for s in SEVERITIES:
            pts = dom.find("circle", chart="trend", data_series=s, data_batch=str(batches[-1]))
            self.assertEqual(int(pts[0]["attrs"]["data-value"]) if pts else 0, int(dom.kpi("active-" + s)))

    @needs_chromium
    def test_time_to_fix(self):
        dom, _ = self.browser()
        started = {r["id"]: ts(r["started_at"]) for r in self.runs}
        first = {f["id"]: started[f["first_seen_run"]] for f in self.findings}
        sev = {f["id"]: SEVERITIES[f["severity"]] for f in self.findings}
        total, n = {}, {}
        # A fix: the workflow becomes RESOLVED (by a scan's absence or a person), timed from first
        # sight or from the reopening.
        open_at = dict(first)
        for h in self.history:
            fid = h["finding_id"]
            if h["field"] == "workflow" and h["new"] == "RESOLVED" and fid in open_at:
                total[sev[fid]] = total.get(sev[fid], 0) + (ts(h["at"]) - open_at.pop(fid)) / 86400
                n[sev[fid]] = n.get(sev[fid], 0) + 1
            elif h["action"] == "reopened":
                open_at[fid] = ts(h["at"])
        self.assertTrue(n)
        for s in SEVERITIES:
            rects = dom.find("rect", chart="mttr", data_severity=s)
            if s not in n:
                self.assertEqual(rects, [], s)
                continue
            self.assertEqual(len(rects), 1, s)
            self.assertAlmostEqual(float(rects[0]["attrs"]["data-value"]), total[s] / n[s], places=3)

    @needs_chromium
    def test_sla_breaches(self):
        dom, _ = self.browser()
        started = {r["id"]: ts(r["started_at"]) for r in self.runs}
        now = ts(NOW)
        breached, soon = {}, {}
        for f in self.findings:
            s = SEVERITIES[f["severity"]]
            if f["record_state"] != "ACTIVE" or f["workflow"] in ("SUPPRESSED", "RESOLVED") or s not in SLA:
                continue
            due = started[f["active_since_run"] or f["first_seen_run"]] + SLA[s] * 86400
            if f["kev"] == 1 and f["kev_due"]:  # kev=due_date: at the end of CISA's due date at the latest
                due = min(due, ts(f["kev_due"] + "T00:00:00Z") + 86400)
            if now >= due:
                breached[s] = breached.get(s, 0) + 1
            elif due - now <= 7 * 86400:
                soon[s] = soon.get(s, 0) + 1
        self.assertTrue(breached)
        self.assertTrue(soon)  # the KEV due date's cap
        self.assertEqual(int(dom.kpi("breached")), sum(breached.values()))
        self.assertEqual(int(dom.kpi("due-soon")), sum(soon.values()))
        for s in SLA:  # the ageing table's breached column
            cells = [e for e in dom.find("td", data_severity=s) if "data-breached" in e["attrs"]]
            self.assertEqual([int(c["attrs"]["data-breached"]) for c in cells], [breached.get(s, 0)], s)

    @needs_chromium
    def test_kev_and_epss(self):
        dom, _ = self.browser()
        active = [f for f in self.findings if f["record_state"] == "ACTIVE" and f["workflow"] not in ("SUPPRESSED", "RESOLVED")]
        kev = [f for f in active if f["kev"] == 1]
        self.assertGreaterEqual(len(kev), 2)
        self.assertEqual(int(dom.kpi("kev")), len(kev))
        # Each row's KEV flag and EPSS score are the store's; "no data" stays apart from 0.
        by_id = {f["id"]: f for f in self.findings}
        rows = dom.find("tr", **{"class": "row"})
        for r in rows:
            f = by_id[int(r["attrs"]["data-rowid"])]
            self.assertEqual(r["attrs"]["data-kev"], "" if f["kev"] is None else str(f["kev"]), f)
            if f["epss"] is None:
                self.assertEqual(r["attrs"]["data-epss"], "", f)
            else:
                self.assertAlmostEqual(float(r["attrs"]["data-epss"]), f["epss"], places=6)
        zero = [r for r in rows if by_id[int(r["attrs"]["data-rowid"])]["vuln_id"] == self.epss_zero]
        self.assertTrue(zero)
        self.assertTrue(all(r["attrs"]["data-epss"] == "0" for r in zero))
        self.assertEqual(len(dom.find("span", **{"class": "tag kev"})), sum(1 for f in self.findings if f["kev"] == 1))
        # By risk: the KEV CVEs first, the one with the higher EPSS score first.
        risk = [e["attrs"]["data-key"] for e in dom.find("tr", chart=None) if e["attrs"].get("data-key") and
                self._in_table(dom, e, "vulns-risk")]
        self.assertEqual(risk[:2], [self.kev_low, self.kev_high])
        # Its rows come first among those of their severity: KEV, then EPSS.
        ransomware = len({f["id"] for f in kev if f["ransomware"] == 1})
        self.assertGreater(ransomware, 0)

    @staticmethod
    def _in_table(dom, el, name):
        i = dom.els.index(el)
        for e in reversed(dom.els[:i]):
            if e["tag"] == "table":
                return e["attrs"].get("data-top") == name
        return False

    @needs_chromium
    def test_table_rows_and_hostile_text(self):
        dom, _ = self.browser()
        rows = dom.find("tr", **{"class": "row"})
        self.assertEqual(sorted(int(r["attrs"]["data-rowid"]) for r in rows), [f["id"] for f in self.findings])
        self.assertEqual(dom.find("p", data_notice="capped"), [])  # nothing left out
        # The hostile title is a cell's text; no element came out of it.
        self.assertEqual(dom.find("img"), [])
        self.assertEqual(dom.find("u"), [])
        self.assertTrue(any(e["text"] == HOSTILE for e in dom.find("td", **{"class": "t"})))
        self.assertNotEqual(dom.find("title")[0]["text"], "pwned")

    def page_rows(self):
        m = re.search(r'id="findex-data">(.*?)</script>', self.html, re.S)
        return json.loads(m.group(1))["rows"]

    @needs_chromium
    def test_table_filter_and_sort_from_the_link(self):
        self.browser()
        rows = self.page_rows()
        word = "lib"
        dom, console = self.render(self.page + "#q=" + word + "&min=MEDIUM&status=active&sort=epss&dir=desc")
        self.assertEqual(console, [])
        def shown(r):
            hay = "\x01".join([r["title"], r["rule"], r["vuln"], r["package"], r["location"], r["scanner"], r["scope"],
                               r["id"]]).lower()
            return (SEVERITIES.index(r["severity"]) >= 2 and r["state"] == "ACTIVE" and
                    r["workflow"] not in ("SUPPRESSED", "RESOLVED") and word in hay)
        want = [r["rowid"] for r in sorted((r for r in rows if shown(r)),
                                           key=lambda r: -(r["epss"] if r["epss"] is not None else -1))]
        got = [int(e["attrs"]["data-rowid"]) for e in dom.find("tr", **{"class": "row"})]
        self.assertGreater(len(want), 3)
        self.assertLess(len(want), len(rows))
        self.assertEqual(got, want)
        self.assertEqual(dom.find("th", data_sort="epss")[0]["attrs"]["class"].split()[-1], "sorted-desc")

    @needs_chromium
    def test_row_details_show_sources_and_history(self):
        self.browser()
        reopened = sorted({h["finding_id"] for h in self.history if h["action"] == "reopened"})
        self.assertTrue(reopened)
        fid = reopened[0]
        dom, console = self.render(self.page + "#open=%d" % fid)
        self.assertEqual(console, [])
        detail = dom.find("tr", **{"class": "detail"})
        self.assertEqual(len(detail), 1)
        text = detail[0]["text"]
        row = next(r for r in self.page_rows() if r["rowid"] == fid)
        for src in row["sources"].split(";"):
            self.assertIn(src, text)
        entries = [h for h in self.history if h["finding_id"] == fid]
        table = dom.find("table", data_history=str(fid))
        self.assertEqual(len(table), 1)
        cells = [e["text"] for e in dom.els[dom.els.index(table[0]):] if e["tag"] == "td"][:5 * len(entries)]
        self.assertEqual(cells[2::5], [h["action"] for h in entries])
        self.assertEqual(cells[0::5], [h["at"] for h in entries])

    @needs_chromium
    def test_filtered_capped_report(self):
        dom, console = self.browser(2)
        self.assertEqual(console, [])
        want = self.query_counts("--scope", "web", "severity>=MEDIUM and " + ACTIVE_EXPR)
        self.assertEqual([int(dom.kpi("active-" + s)) for s in SEVERITIES], want)
        selected = [f for f in self.findings if f["scope"] == "web" and f["severity"] >= 2]
        self.assertGreater(len(selected), 5)
        # ZAP findings have no CVE: no KEV data at all, which is not "0 listed".
        self.assertTrue(all(f["kev"] is None for f in selected))
        self.assertEqual(dom.kpi("kev"), "n/a")
        rows = dom.find("tr", **{"class": "row"})
        self.assertEqual(len(rows), 5)
        notice = dom.find("p", data_notice="capped")
        self.assertEqual(len(notice), 1)
        self.assertIn("5 most severe of the %d findings" % len(selected), notice[0]["text"])
        # The most severe active findings first.
        active = sorted((f for f in selected if f["record_state"] == "ACTIVE" and f["workflow"] not in
                         ("SUPPRESSED", "RESOLVED")), key=lambda f: (-f["severity"], f["id"]))
        self.assertEqual([r["attrs"]["data-severity"] for r in rows], [SEVERITIES[f["severity"]] for f in active[:5]])
        meta = " ".join(e["text"] for e in dom.find("header"))
        self.assertIn("--scope web severity>=MEDIUM", meta)
        self.assertIn(NOW, meta)
        self.assertIn("Store: " + self.db, meta)


if __name__ == "__main__":
    findex_cli.main()
