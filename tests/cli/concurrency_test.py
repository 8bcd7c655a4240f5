#!/usr/bin/env python3
"""Concurrent runners on one PostgreSQL store (issue 10): nothing is lost, same scope serializes,
a gate sees a consistent snapshot. Runs the built binary, several processes at once.

PostgreSQL only: skipped unless FINDEX_TEST_BACKEND=postgres and FINDEX_TEST_PG (a libpq URI of
a server the test suite started, e.g. postgresql://postgres@/postgres?host=/tmp/sock&port=55432)
are set; each test works in its own schema (findex's `schema=t_<unique>` parameter) and drops it
at the end with psql. FINDEX_CONCURRENCY_ON_SQLITE=1 runs the same checks on SQLite files
(one file per "schema"; for working on the test without a server; not registered in ctest).

Usage: FINDEX_TEST_BACKEND=postgres FINDEX_TEST_PG=postgresql://... concurrency_test.py PATH_TO_FINDEX
"""
import json, os, re, shutil, sqlite3, subprocess, sys, tempfile, time, unittest, urllib.parse, uuid

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
PG = os.environ.get("FINDEX_TEST_PG", "")
ON_PG = bool(PG) and os.environ.get("FINDEX_TEST_BACKEND", "") == "postgres"
ON_SQLITE = not ON_PG and os.environ.get("FINDEX_CONCURRENCY_ON_SQLITE") == "1"


def sample(*p):
    return os.path.join(SAMPLES, *p)


# Four scopes, each its own reports (several files: one batch, one transaction per file), plus
# the same image scanned by Trivy and by Grype into one scope: 68 of their findings are the same
# vulnerability in the same package, so they merge into one finding with both sources.
SCOPES = {
    "app-a": [sample("dependency-check-xml", "dd_pr6439_engine7.3.0_large.xml")],
    "app-b": [sample("trivy", "scb_trivy_image_juiceshop_v10.2.0.json"), sample("sarif", "dd_semgrep_oss_1.69.0_juiceshop.sarif")],
    "app-c": [sample("sarif", "dd_lgtm_export_2runs.sarif"), sample("zap-json", "bcgov_zap_2.11.0_itsecgames.json")],
    "app-d": [sample("checkov", "heimdall_checkov_terraform_plan.json"), sample("bandit", "dd_bandit_many_vulns.json")],
}
SHARED = "image"
TRIVY = sample("trivy", "dd_trivy_legacy_array_many.json")
GRYPE = sample("grype", "dd_grype_0.7.0_many_vulns3.json")
COLUMNS = "id,severity,state,workflow,scanner,sources,rule,title"


def pg_psql(uri, sql, schema=None):
    """One statement through psql; rows as lists of strings (tab-separated, unaligned)."""
    env = dict(os.environ)
    if schema:
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c search_path=" + schema).strip()
    r = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise AssertionError(f"psql: {sql}: {r.stderr.strip()}")
    return [line.split("\t") for line in r.stdout.splitlines()]


def strip_schema(uri):
    parts = urllib.parse.urlsplit(uri)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "schema"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q, safe="/")))


class Store:
    """One store: a fresh schema of the test server (or a fresh SQLite file)."""

    def __init__(self, tmp):
        self.schema = "t_" + uuid.uuid4().hex[:16]
        if ON_PG:
            base = strip_schema(PG)
            self.psql_uri = base
            self.db = base + ("&" if "?" in base else "?") + "schema=" + self.schema
        else:
            self.db = os.path.join(tmp, self.schema + ".db")

    def sql(self, query):
        """Rows of a SELECT on the store's tables, as lists of strings."""
        if ON_PG:
            return pg_psql(self.psql_uri, query, self.schema)
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return [["" if v is None else str(v) for v in row] for row in con.execute(query)]
        finally:
            con.close()

    def drop(self):
        if ON_PG:
            pg_psql(self.psql_uri, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


@unittest.skipUnless(ON_PG or ON_SQLITE, "PostgreSQL only: set FINDEX_TEST_BACKEND=postgres and FINDEX_TEST_PG")
class Concurrency(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="findex-concurrency-")
        self.env = dict(os.environ)
        for k in ("FINDEX_DB", "FINDEX_NOW"):
            self.env.pop(k, None)
        self.stores = []
        self.procs = []

    def tearDown(self):
        for p in self.procs:  # a failed assertion may leave some running
            if p.poll() is None:
                p.kill()
                p.wait()
            for f in p.files:
                f.close()
        for s in self.stores:
            s.drop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def store(self):
        s = Store(self.tmp)
        self.stores.append(s)
        return s

    def start(self, store, *args):
        """A findex process, not waited for; stdout and stderr into files."""
        n = len(os.listdir(self.tmp))
        out = open(os.path.join(self.tmp, f"out-{n}"), "w+b")
        err = open(os.path.join(self.tmp, f"err-{n}"), "w+b")
        p = subprocess.Popen([FINDEX, "--db", store.db, *args], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             env=self.env, cwd=self.tmp)
        p.files = (out, err)
        self.procs.append(p)
        return p

    def finish(self, p):
        """(exit code, stdout, stderr) of a started process."""
        rc = p.wait()
        out, err = p.files
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        out.close()
        err.close()
        return rc, o, e

    def run_findex(self, store, *args):
        return self.finish(self.start(store, *args))

    def start_ingest(self, store, scope, paths):
        return self.start(store, "ingest", "--no-policy", "--scope", scope, "--summary", "json", *paths)

    def summaries(self, p, what):
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, f"{what}: {err}")
        sums = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        self.assertTrue(sums, f"{what}: no summary: {out!r} {err}")
        for s in sums:
            self.assertEqual(s["status"] in ("ok", "unchanged"), True, f"{what}: {s}")
        return sums

    def ingest(self, store, scope, paths):
        return self.summaries(self.start_ingest(store, scope, paths), f"ingest {scope}")

    def findings(self, store, scope):
        """{Id: (severity, state, workflow, scanner, sources, rule, title)} of every finding of the scope."""
        rc, out, err = self.run_findex(store, "query", "--scope", scope, "--all-states", "--format", "json",
                                       "--columns", COLUMNS)
        self.assertEqual(rc, 0, err)
        rows = json.loads(out)
        got = {r["id"]: tuple(r[c] for c in COLUMNS.split(",")[1:]) for r in rows}
        self.assertEqual(len(got), len(rows), "an Id listed twice")
        return got

    def gate_counts(self, store, scope):
        """What a gate saw: (total, violations, open, suppressed, counts per severity)."""
        rc, out, err = self.run_findex(store, "gate", "--no-policy", "--scope", scope, "--fail-on", "LOW",
                                       "--report", "json", "--show", "0")
        self.assertIn(rc, (0, 1), err)
        d = json.loads(out)
        c = d["counts"]
        return (c["total"], c["violations"], c["open"], c["suppressed"], tuple(sorted(d["gates"][0]["counts"].items())))

    # ----------------------------------------------------------------------------- tests
    def test_six_concurrent_runners_lose_nothing(self):
        jobs = [(scope, paths) for scope, paths in SCOPES.items()] + [(SHARED, [TRIVY]), (SHARED, [GRYPE])]
        self.assertEqual(len(jobs), 6)

        seq = self.store()
        seq_sums = {}
        for scope, paths in jobs:
            seq_sums.setdefault(scope, []).extend(self.ingest(seq, scope, paths))

        par = self.store()
        procs = [(scope, self.start_ingest(par, scope, paths)) for scope, paths in jobs]
        par_sums = {}
        for scope, p in procs:
            par_sums.setdefault(scope, []).extend(self.summaries(p, f"concurrent ingest {scope}"))

        # The shared scope's two reports, sequentially in the other order: the scanner that
        # reported a merged finding last gives its rule and title (the Ids, severities and
        # sources are the same in both orders).
        rev = self.store()
        for scope, paths in reversed(jobs[4:]):
            self.ingest(rev, scope, paths)
        orders = [self.findings(seq, SHARED), self.findings(rev, SHARED)]
        self.assertNotEqual(orders[0], orders[1])
        self.assertEqual({k: v[:3] + v[4:5] for k, v in orders[0].items()}, {k: v[:3] + v[4:5] for k, v in orders[1].items()})

        for scope in list(SCOPES) + [SHARED]:
            want = self.findings(seq, scope)
            got = self.findings(par, scope)
            self.assertTrue(want, scope)
            self.assertEqual(set(got), set(want), f"{scope}: Ids differ from a sequential ingest")
            if scope == SHARED:  # as if one ran after the other, in either order
                self.assertIn(got, orders, f"{scope}: not what either sequential order gives")
            else:
                self.assertEqual(got, want, f"{scope}: severity, state, workflow, sources, rule or title differ")
            self.assertEqual(sorted((s["file"], s["records"]) for s in par_sums[scope]),
                             sorted((s["file"], s["records"]) for s in seq_sums[scope]), scope)
            # Every finding was new exactly once: the runs' new counts add up to the scope.
            self.assertEqual(sum(s["new"] for s in par_sums[scope]), len(got), scope)
        for scope in SCOPES:
            self.assertEqual(sorted((s["file"], s["new"]) for s in par_sums[scope]),
                             sorted((s["file"], s["new"]) for s in seq_sums[scope]), scope)

        # Cross-tool identity in the shared scope: the same CVE in the same package is one finding
        # with both scanners' verdicts, as in the sequential ingest.
        shared = self.findings(par, SHARED)
        both = [k for k, v in shared.items() if "grype:" in v[4] and "trivy:" in v[4]]
        self.assertEqual(len(both), 68)
        self.assertEqual(len(shared), 327 + 93 - 68)

        # Every run is recorded, with its counts.
        q = "SELECT scope, file, records, new FROM runs ORDER BY scope, file"
        runs = par.sql(q)
        self.assertEqual(len(runs), sum(len(p) for _, p in jobs))
        self.assertEqual(sorted((r[0], r[1], int(r[2])) for r in runs),
                         sorted((r[0], r[1], int(r[2])) for r in seq.sql(q)))
        for scope, sums in par_sums.items():
            self.assertEqual(sorted((r[1], int(r[3])) for r in runs if r[0] == scope),
                             sorted((s["file"], s["new"]) for s in sums), scope)

    def test_same_report_twice_at_once_serializes(self):
        st = self.store()
        report = sample("trivy", "scb_trivy_image_juiceshop_v10.2.0.json")
        a = self.start_ingest(st, "twice", [report])
        b = self.start_ingest(st, "twice", [report])
        sa, sb = self.summaries(a, "first"), self.summaries(b, "second")
        n = len(self.findings(st, "twice"))
        self.assertGreater(n, 100)
        # One records the findings new, the other sees them already there.
        self.assertEqual(sorted([sa[0]["new"], sb[0]["new"]]), [0, n])
        # Run ids follow the order in which the two took effect: a gate's watermark (the latest
        # run id at a pass) relies on it.
        runs = st.sql("SELECT new FROM runs WHERE scope='twice' ORDER BY id")
        self.assertEqual([int(r[0]) for r in runs], [n, 0])

    def test_gate_during_ingest_sees_before_or_after(self):
        st = self.store()
        self.ingest(st, "gated", [sample("trivy", "scb_trivy_image_juiceshop_v10.2.0.json")])
        before = self.gate_counts(st, "gated")
        # Another scanner's report into the same scope: adds findings, resolves none.
        p = self.start_ingest(st, "gated", [sample("dependency-check-xml", "dd_pr6439_engine7.3.0_large.xml"),
                                            sample("checkov", "heimdall_checkov_terraform_plan.json")])
        during = []
        while True:  # at least one gate, started while the ingest runs
            during.append(self.gate_counts(st, "gated"))
            if p.poll() is not None or len(during) >= 50:
                break
        self.summaries(p, "ingest during the gates")
        # The ingest's two files are two transactions: a gate may see the first file without the
        # second. Those states, taken one at a time afterwards, are what a gate may see.
        mid_store = self.store()
        self.ingest(mid_store, "gated", [sample("trivy", "scb_trivy_image_juiceshop_v10.2.0.json")])
        self.ingest(mid_store, "gated", [sample("dependency-check-xml", "dd_pr6439_engine7.3.0_large.xml")])
        mid = self.gate_counts(mid_store, "gated")
        after = self.gate_counts(st, "gated")
        self.assertNotEqual(before, after)
        self.assertNotEqual(mid, after)
        self.assertTrue(during)
        for d in during:
            self.assertIn(d, (before, mid, after))
        if os.environ.get("FINDEX_TEST_VERBOSE"):
            print(f"\n  gates during the ingest: {len(during)}: before {during.count(before)}, first file "
                  f"{during.count(mid)}, after {during.count(after)}", file=sys.stderr)

    def test_new_only_gate_counts_what_a_concurrent_ingest_committed_after_its_pass(self):
        # A --new-only gate's watermark is the latest run id at its pass. An ingest into scope x
        # that started before another scope's ingest but commits after it, and after a passing
        # gate on x, must still count as new at the next gate: run ids handed out when a run
        # starts, not in the order runs take effect, would hide its findings from that gate.
        st = self.store()
        self.ingest(st, "x", [sample("zap-json", "bcgov_zap_2.11.0_itsecgames.json")])  # no CRITICAL
        self.ingest(st, "y", [sample("zap-json", "heimdall_zap_2.7.0_webgoat.json")])
        gate = ("gate", "--no-policy", "--scope", "x", "--fail-on", "CRITICAL", "--new-only")
        rc, _, err = self.run_findex(st, *gate)
        self.assertEqual(rc, 0, err)
        # One Trivy report (Juice Shop's image, replicated by bench/gen_reports.py to 3 MB: 88
        # CRITICAL findings) is one transaction long enough for the steps below.
        subprocess.run([sys.executable, os.path.join(SRC, "bench", "gen_reports.py"), "--format", "trivy",
                        "--size-mb", "3", "--out", self.tmp, "--variants", "base", "--name", "big"],
                       check=True, stdout=subprocess.DEVNULL)
        slow = self.start_ingest(st, "x", [os.path.join(self.tmp, "big.json")])
        if ON_PG:  # until its transaction holds the scope's lock (its run is recorded right after)
            for _ in range(2000):
                if slow.poll() is not None or st.sql(
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        f" WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
                        f" AND a.pid <> pg_backend_pid()")[0][0] != "0":
                    break
        self.ingest(st, "y", [sample("zap-json", "bcgov_zap_2.11.1_itsecgames.json")])  # another scope, done first
        rc_during, _, err = self.run_findex(st, *gate)  # passes when the slow ingest has not committed yet
        self.assertIn(rc_during, (0, 1), err)
        self.summaries(slow, "slow ingest")
        rc, _, err = self.run_findex(st, *gate)
        self.assertEqual(rc, 1, f"the CRITICAL findings ingested into x after the pass are not new (gate during the "
                                f"ingest: exit {rc_during}): {err}")
        if os.environ.get("FINDEX_TEST_VERBOSE"):
            print(f"\n  gate during the slow ingest: exit {rc_during} (0: the race was exercised)", file=sys.stderr)


def readme_sql_blocks():
    """The ```sql blocks of the README's "Shared store (PostgreSQL)" section, in order."""
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("## Shared store (PostgreSQL)")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    blocks = []
    for part in section.split("```sql\n")[1:]:
        blocks.append(part.split("```", 1)[0])
    return blocks


def with_user(uri, user):
    parts = urllib.parse.urlsplit(uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{host}"))


@unittest.skipUnless(ON_PG, "PostgreSQL only: set FINDEX_TEST_BACKEND=postgres and FINDEX_TEST_PG")
class ReadmeRoles(unittest.TestCase):
    """The README's roles, with its SQL as written: the owner creates the tables, the CI role
    ingests, gates and triages, the read-only role reads and cannot write, the gate role gates
    (records its verdict) and cannot ingest. None of them is a superuser."""

    def setUp(self):
        self.u = uuid.uuid4().hex[:10]
        self.base = strip_schema(PG)
        # Creating roles needs an administrator: scripts/test.sh's cluster gives one.
        self.admin = os.environ.get("FINDEX_TEST_PG_ADMIN") or self.base
        self.schema = "r_" + self.u
        self.roles = {r: f"findex_{r}_{self.u}" for r in ("owner", "ci", "read", "gate")}
        self.tmp = tempfile.mkdtemp(prefix="findex-roles-")
        self.env = dict(os.environ)
        for k in ("FINDEX_DB", "FINDEX_NOW", "PGPASSWORD"):
            self.env.pop(k, None)
        blocks = readme_sql_blocks()
        self.assertEqual(len(blocks), 3, "the README's role SQL: admin, owner grants, gate role")
        self.admin_sql, self.grant_sql, self.gate_sql = (self.adapt(b) for b in blocks)
        self.created = False

    def tearDown(self):
        if self.created:
            pg_psql(self.admin, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            for r in self.roles.values():
                pg_psql(self.admin, f"DROP OWNED BY {r}; DROP ROLE IF EXISTS {r}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def adapt(self, sql):
        sql = re.sub(r"\bfindex_(owner|ci|read|gate)\b", lambda m: self.roles[m.group(1)], sql)
        sql = re.sub(r"\bSCHEMA findex\b", "SCHEMA " + self.schema, sql)
        sql = sql.replace("findex.gate_verdicts", self.schema + ".gate_verdicts")
        self.assertNotRegex(re.sub(r"--[^\n]*", "", sql), r"\bfindex\b(?!_)", sql)  # every name replaced
        return sql

    def db(self, role):
        uri = with_user(self.base, self.roles[role])
        return uri + ("&" if "?" in uri else "?") + "schema=" + self.schema

    def findex(self, role, *args):
        r = subprocess.run([FINDEX, "--db", self.db(role), *args], capture_output=True, text=True, env=self.env,
                           cwd=self.tmp)
        return r.returncode, r.stdout, r.stderr

    def test_readme_roles(self):
        if pg_psql(self.admin, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user") != [["t"]]:
            self.skipTest("the test server's role cannot create roles")
        self.created = True
        pg_psql(self.admin, self.admin_sql)
        try:
            pg_psql(with_user(self.base, self.roles["read"]), "SELECT 1")
        except AssertionError as e:
            self.skipTest(f"the test server does not let a new role log in without a password: {e}")
        for r in self.roles.values():
            self.assertEqual(pg_psql(self.admin, f"SELECT rolsuper FROM pg_roles WHERE rolname='{r}'"), [["f"]])
        trivy = sample("trivy", "scb_trivy_image_juiceshop_v10.2.0.json")
        rc, _, err = self.findex("owner", "ingest", "--no-policy", "--scope", "main", trivy)
        self.assertEqual(rc, 0, err)
        pg_psql(with_user(self.base, self.roles["owner"]), self.grant_sql)
        pg_psql(with_user(self.base, self.roles["owner"]), self.gate_sql)

        # CI: ingest, gate, triage.
        rc, out, err = self.findex("ci", "ingest", "--no-policy", "--scope", "pr-1", "--summary", "json",
                                   sample("grype", "dd_grype_0.7.0_many_vulns3.json"))
        self.assertEqual(rc, 0, err)
        rc, _, err = self.findex("ci", "gate", "--no-policy", "--scope", "pr-1", "--fail-on", "CRITICAL")
        self.assertEqual(rc, 1, err)
        rc, out, err = self.findex("ci", "query", "--scope", "pr-1", "--format", "json", "--columns", "id", "--limit", "1")
        self.assertEqual(rc, 0, err)
        fid = json.loads(out)[0]["id"]
        rc, _, err = self.findex("ci", "triage", fid, "--status", "NOTIFIED", "--by", "ci")
        self.assertEqual(rc, 0, err)

        # Read-only: query, export, sql, history; no ingest, no triage.
        for args in (("query", "--group-by", "scope"), ("export", "--format", "asff"),
                     ("sql", "SELECT count(*) FROM v_findings"), ("history", fid)):
            rc, out, err = self.findex("read", *args)
            self.assertEqual(rc, 0, f"{args}: {err}")
            self.assertTrue(out.strip(), args)
        rc, _, err = self.findex("read", "ingest", "--no-policy", "--scope", "pr-2", trivy)
        self.assertEqual(rc, 2, err)
        rc, _, err = self.findex("read", "triage", fid, "--status", "NEW", "--by", "read")
        self.assertEqual(rc, 2, err)

        # Gate role: a gate records its verdict; no ingest.
        verdicts = f"SELECT count(*) FROM {self.schema}.gate_verdicts"
        n = int(pg_psql(self.admin, verdicts)[0][0])
        rc, _, err = self.findex("gate", "gate", "--no-policy", "--scope", "main", "--fail-on", "CRITICAL")
        self.assertEqual(rc, 1, err)
        self.assertEqual(int(pg_psql(self.admin, verdicts)[0][0]), n + 1)
        rc, _, err = self.findex("gate", "ingest", "--no-policy", "--scope", "pr-3", trivy)
        self.assertEqual(rc, 2, err)
        # The read-only role's gate cannot record its verdict: an error, never a silent pass.
        rc, _, err = self.findex("read", "gate", "--no-policy", "--scope", "main", "--fail-on", "LOW")
        self.assertEqual(rc, 2, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
