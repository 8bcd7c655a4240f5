#!/usr/bin/env python3
"""Response actions (issue 12) end to end, against a local HTTP server this test starts on
127.0.0.1 (nothing leaves the machine): a Slack webhook for new criticals (one batched message),
a Jira action for KEV findings (create, then a comment on the same issue when it is resolved),
deliveries never repeated by a re-ingest, --no-actions then `findex act`, --dry-run sends nothing
and shows ${VAR}, failures recorded and retried by `act` (exit 2 while they fail), secrets never
in the store, stderr or exports. Reports: a real Trivy image scan (samples/trivy, juice-shop,
22 CRITICAL) and a Grype report (samples/grype/dd_grype_0.28.0_all_fields.json) with KEV feeds
written by the test. Usage: actions_test.py PATH_TO_FINDEX (run from the source tree)."""
import http.server, json, os, signal, subprocess, sys, threading, time

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRIVY = os.path.join(SRC, "samples", "trivy", "scb_trivy_image_juiceshop_v10.2.0.json")
GRYPE = os.path.join(SRC, "samples", "grype", "dd_grype_0.28.0_all_fields.json")
SECRET = "s3cr3t-token-value"


class Server:
    """Records every request; answers with the status of `fail` (a list popped per request) or
    200, and for Jira's create the next key."""

    def __init__(self):
        self.requests, self.fail, self.keys = [], [], iter("SEC-%d" % i for i in range(1, 100))
        self.delay = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                time.sleep(outer.delay)
                outer.requests.append((self.path, dict(self.headers), body))
                status = outer.fail.pop(0) if outer.fail else 200
                if status == 200 and self.path == "/rest/api/2/issue":
                    status, reply = 201, json.dumps({"id": "1", "key": next(outer.keys)})
                else:
                    reply = "ok" if status < 400 else "error: token " + SECRET  # a server that echoes secrets
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers), ""))
                if self.path.endswith("/transitions"):  # Jira: the transitions the issue can take
                    reply = json.dumps({"transitions": [{"id": "11", "name": "In Progress"}, {"id": "31", "name": "Done"}]})
                    self.send_response(200)
                else:
                    reply = "{}"
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Actions(StoreCase):
    TMP_PREFIX = "findex-actions-"

    def setUp(self):
        super().setUp()
        self.srv = Server()
        self.addCleanup(self.srv.close)
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-12-02T10:00:00.000Z", HOOK_TOKEN=SECRET,
                                        JIRA_TOKEN=SECRET, JIRA_USER="bot")
        self.policy = os.path.join(self.tmp, "findex.yml")
        with open(self.policy, "w") as f:
            f.write("""version: 1
actions:
  - name: page
    match: {severity_at_least: CRITICAL, scanner: trivy}
    webhook:
      url: %s/hook
      format: slack
      top_n: 5
      headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
    retry: {attempts: 2, backoff_ms: 0}
  - name: ticket
    match: {kev: true}
    on: [new, resolved]
    jira: {url: "%s", project: SEC, user: "${JIRA_USER}", token: "${JIRA_TOKEN}"}
    retry: {attempts: 1}
""" % (self.srv.url, self.srv.url))

    def findex(self, *args, now=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, text=True, env=env, cwd=self.tmp)

    def ingest(self, *args, now=None, rc=0):
        r = self.findex("ingest", "-q", "--policy", self.policy, *args, now=now)
        self.assertEqual(r.returncode, rc, r.stderr)
        self.assertNotIn(SECRET, r.stderr)
        return r

    def states(self):
        return {(r["action"], r["event"], r["state"]): r["n"] for r in findex_cli.rows(
            self.db, "SELECT action, event, state, count(*) AS n FROM deliveries GROUP BY action, event, state")}

    def assert_no_secret_stored(self):
        for table in ("deliveries", "history", "findings", "runs"):
            for row in findex_cli.rows(self.db, "SELECT * FROM " + table):
                self.assertNotIn(SECRET, json.dumps(row, default=str), table)
        r = self.findex("export", "--format", "asff")
        self.assertNotIn(SECRET, r.stdout)

    def test_new_criticals_go_out_once_in_one_message(self):
        r = self.findex("ingest", "--policy", self.policy, TRIVY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("response actions: 22 delivered, 0 failed, 0 skipped", r.stdout)
        hooks = [x for x in self.srv.requests if x[0] == "/hook"]
        self.assertEqual(len(hooks), 1)
        path, headers, body = hooks[0]
        self.assertEqual(headers.get("Authorization"), "Bearer " + SECRET)
        msg = json.loads(body)
        self.assertIn("22 findings", msg["text"])
        self.assertEqual(self.states(), {("page", "new", "delivered"): 22})
        # Again, and from a second store handle: nothing new happened, nothing is sent.
        self.ingest(TRIVY, now="2026-12-03T10:00:00.000Z")
        self.assertEqual(len([x for x in self.srv.requests if x[0] == "/hook"]), 1)
        r = self.findex("act", "--policy", self.policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.srv.requests), 1)
        hist = findex_cli.rows(self.db, "SELECT actor, action, new FROM history WHERE action = 'delivered'")
        self.assertEqual(len(hist), 22)
        self.assertEqual(hist[0]["actor"], "action page")
        self.assert_no_secret_stored()

    def test_no_actions_then_dry_run_then_act(self):
        r = self.findex("ingest", "--policy", self.policy, "--no-actions", TRIVY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("response actions: not sent (--no-actions)", r.stdout)
        self.assertEqual(self.srv.requests, [])
        self.assertEqual(self.states(), {("page", "new", "pending"): 22})
        r = self.findex("act", "--policy", self.policy, "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("${HOOK_TOKEN}", r.stdout)
        self.assertNotIn(SECRET, r.stdout + r.stderr)
        self.assertEqual(self.srv.requests, [])
        self.assertEqual(self.states(), {("page", "new", "pending"): 22})
        r = self.findex("act", "--policy", self.policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertEqual(self.states(), {("page", "new", "delivered"): 22})

    def test_failures_are_recorded_and_retried_by_act(self):
        self.srv.fail = [500, 500]  # both attempts of the one batched message
        r = self.findex("ingest", "--policy", self.policy, TRIVY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("response actions: 0 delivered, 22 failed (pending: `findex act` retries them)", r.stdout)
        self.assertIn("HTTP 500", r.stderr)
        self.assertEqual(len(self.srv.requests), 2)
        self.assertEqual(self.states(), {("page", "new", "failed"): 22})
        err = findex_cli.value(self.db, "SELECT last_error FROM deliveries LIMIT 1")
        self.assertIn("500", err)
        self.assertNotIn(SECRET, err)
        self.srv.fail = [403]
        r = self.findex("act", "--policy", self.policy)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("403", r.stderr)
        self.assertNotIn(SECRET, r.stderr)
        self.assertIn("***", r.stderr)  # the echoed secret, redacted
        r = self.findex("act", "--policy", self.policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.states(), {("page", "new", "delivered"): 22})
        self.assert_no_secret_stored()

    def test_jira_issue_then_comment_on_resolution(self):
        kev = os.path.join(self.tmp, "kev.json")
        with open(kev, "w") as f:
            json.dump({"catalogVersion": "1", "dateReleased": "2026-12-01T00:00:00Z", "count": 1, "vulnerabilities": [
                {"cveID": "CVE-2021-44420", "vendorProject": "Django", "product": "Django", "vulnerabilityName": "x",
                 "dateAdded": "2026-11-01", "shortDescription": "d", "requiredAction": "a", "dueDate": "2026-12-20",
                 "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}]}, f)
        r = self.findex("enrich", "--kev", kev)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ingest(GRYPE)
        creates = [x for x in self.srv.requests if x[0] == "/rest/api/2/issue"]
        self.assertEqual(len(creates), 1)  # the GHSA finding whose alias is in KEV
        fields = json.loads(creates[0][2])["fields"]
        self.assertEqual(fields["project"]["key"], "SEC")
        self.assertEqual(findex_cli.value(self.db, "SELECT remote_key FROM action_links"), "SEC-1")
        # An empty Grype report of the same target resolves it: a comment on SEC-1, no new issue.
        with open(GRYPE) as f:
            doc = json.load(f)
        doc["matches"] = []
        empty = os.path.join(self.tmp, "grype-empty.json")
        with open(empty, "w") as f:
            json.dump(doc, f)
        self.ingest(empty, now="2026-12-05T10:00:00.000Z")
        paths = [x[0] for x in self.srv.requests]
        self.assertEqual(paths, ["/rest/api/2/issue", "/rest/api/2/issue/SEC-1/comment"])
        self.assertEqual(self.states(), {("ticket", "new", "delivered"): 1, ("ticket", "resolved", "delivered"): 1})
        self.assert_no_secret_stored()

    def test_sla_breaches_are_sent_once_per_clock(self):
        policy = os.path.join(self.tmp, "sla.yml")
        with open(policy, "w") as f:
            f.write("""version: 1
sla: {CRITICAL: 1}
actions:
  - name: overdue
    match: {severity_at_least: CRITICAL}
    on: [sla_breached]
    webhook: {url: "%s/overdue", format: generic}
""" % self.srv.url)
        r = self.findex("ingest", "-q", "--policy", policy, TRIVY, now="2026-12-01T10:00:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.requests, [])  # new criticals: not what this action is on
        r = self.findex("act", "--policy", policy, now="2026-12-01T20:00:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.requests, [])  # within the day
        r = self.findex("act", "--policy", policy, now="2026-12-03T10:00:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertEqual(json.loads(self.srv.requests[0][2])["count"], 22)
        r = self.findex("act", "--policy", policy, now="2026-12-04T10:00:00.000Z")
        self.assertEqual(len(self.srv.requests), 1)  # the same clock: once
        self.assertEqual(self.states(), {("overdue", "sla_breached", "delivered"): 22})
        # Without an sla: key the action cannot work: the policy is refused (fail closed).
        with open(policy, "w") as f:
            f.write("version: 1\nactions:\n  - name: overdue\n    match: {scanner: trivy}\n    on: [sla_breached]\n"
                    "    webhook: {url: \"%s/overdue\"}\n" % self.srv.url)
        r = self.findex("policy", "check", policy)
        self.assertEqual(r.returncode, 2)
        self.assertIn("P017", r.stderr)

    def test_a_persons_suppression_is_an_event(self):
        policy = os.path.join(self.tmp, "triage.yml")
        with open(policy, "w") as f:
            f.write("""version: 1
actions:
  - name: watch
    match: {severity_at_least: CRITICAL}
    on: [suppressed]
    webhook: {url: "%s/watch", format: generic}
""" % self.srv.url)
        r = self.findex("ingest", "-q", "--policy", policy, TRIVY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.requests, [])
        fid = findex_cli.value(self.db, "SELECT asff_id FROM findings WHERE severity = 4 ORDER BY id LIMIT 1")
        r = self.findex("triage", fid, "--status", "SUPPRESSED", "--note", "accepted", "--by", "alice", "--policy", policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertEqual(json.loads(self.srv.requests[0][2])["Id"], fid)  # one finding: its ASFF
        # The same decision again changes nothing: nothing is sent.
        r = self.findex("triage", fid, "--status", "SUPPRESSED", "--note", "still", "--by", "alice", "--policy", policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertEqual(self.states(), {("watch", "suppressed", "delivered"): 1})

    def test_teams_card_with_links(self):
        policy = os.path.join(self.tmp, "teams.yml")
        with open(policy, "w") as f:
            f.write("""version: 1
actions:
  - name: teams
    match: {severity_at_least: CRITICAL}
    webhook:
      url: "%s/teams"
      format: teams
      top_n: 3
      link_template: "https://console.example/findings?id={id}&sev={severity}"
""" % self.srv.url)
        r = self.findex("ingest", "-q", "--policy", policy, TRIVY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([x[0] for x in self.srv.requests], ["/teams"])
        msg = json.loads(self.srv.requests[0][2])
        self.assertEqual(msg["type"], "message")
        att = msg["attachments"][0]
        self.assertEqual(att["contentType"], "application/vnd.microsoft.card.adaptive")
        card = att["content"]
        self.assertEqual(card["type"], "AdaptiveCard")
        texts = [b.get("text", "") for b in card["body"]]
        self.assertTrue(any("22 findings" in t for t in texts), texts)
        self.assertIn("and 19 more", texts)
        containers = [b for b in card["body"] if b["type"] == "Container"]
        self.assertEqual(len(containers), 3)
        ids = {x["asff_id"] for x in findex_cli.rows(self.db, "SELECT asff_id FROM findings WHERE severity = 4")}
        for c in containers:
            url = c["selectAction"]["url"]
            self.assertTrue(url.startswith("https://console.example/findings?id="), url)
            self.assertTrue(url.endswith("&sev=CRITICAL"), url)
            from urllib.parse import unquote
            self.assertIn(unquote(url.split("id=")[1].split("&")[0]), ids)
            facts = {f["title"]: f["value"] for f in c["items"][2]["facts"]}
            self.assertEqual(facts["Scanner"], "trivy")

    def test_jira_transition_on_resolution(self):
        policy = os.path.join(self.tmp, "jira.yml")
        with open(policy, "w") as f:
            f.write("""version: 1
actions:
  - name: ticket
    match: {severity_at_least: CRITICAL, package: lodash}
    on: [new, resolved]
    jira: {url: "%s", project: SEC, user: "${JIRA_USER}", token: "${JIRA_TOKEN}", transition_on_resolve: Done}
""" % self.srv.url)
        trivy = os.path.join(self.tmp, "trivy.json")
        with open(TRIVY) as f:
            doc = json.load(f)
        with open(trivy, "w") as f:
            json.dump(doc, f)
        r = self.findex("ingest", "-q", "--policy", policy, trivy)
        self.assertEqual(r.returncode, 0, r.stderr)
        creates = [x for x in self.srv.requests if x[0] == "/rest/api/2/issue"]
        self.assertGreaterEqual(len(creates), 1)
        n = len(creates)
        for res in doc["Results"]:  # the fix: lodash is gone from the next scan
            res["Vulnerabilities"] = [v for v in res.get("Vulnerabilities") or [] if v.get("PkgName") != "lodash"]
        with open(trivy, "w") as f:
            json.dump(doc, f)
        del self.srv.requests[:]
        r = self.findex("ingest", "-q", "--policy", policy, trivy, now="2026-12-05T10:00:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Per issue: a comment, the transitions read, then Done (id 31) posted.
        for i in range(1, n + 1):
            key = "SEC-%d" % i
            paths = [x[0] for x in self.srv.requests if key + "/" in x[0]]
            self.assertEqual(paths, ["/rest/api/2/issue/%s/comment" % key, "/rest/api/2/issue/%s/transitions" % key,
                                     "/rest/api/2/issue/%s/transitions" % key], paths)
        posts = [json.loads(x[2]) for x in self.srv.requests if x[0].endswith("/transitions") and x[2]]
        self.assertEqual(posts, [{"transition": {"id": "31"}}] * n)
        self.assertEqual(self.states(), {("ticket", "new", "delivered"): n, ("ticket", "resolved", "delivered"): n})

    def test_act_filters_choose_the_findings(self):
        self.ingest("--no-actions", TRIVY)
        self.assertEqual(self.states(), {("page", "new", "pending"): 22})
        # A typo of a scanner is an error, not an empty selection.
        r = self.findex("act", "--policy", self.policy, "--scanner", "trivvy")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.srv.requests, [])
        r = self.findex("act", "--policy", self.policy, "package=lodash")
        self.assertEqual(r.returncode, 0, r.stderr)
        want = findex_cli.value(self.db, "SELECT count(*) FROM deliveries d JOIN findings f ON f.id = d.finding_id"
                                          " WHERE f.package = 'lodash'")
        self.assertGreater(want, 0)
        self.assertLess(want, 22)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertIn("%d findings" % want if want > 1 else "1 finding", json.loads(self.srv.requests[0][2])["text"])
        self.assertEqual(self.states(), {("page", "new", "delivered"): want, ("page", "new", "pending"): 22 - want})
        r = self.findex("act", "--policy", self.policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.states(), {("page", "new", "delivered"): 22})

    def test_a_claim_never_finished_is_reported_and_resent_only_when_asked(self):
        marker = os.path.join(self.tmp, "running")
        policy = os.path.join(self.tmp, "cmd.yml")
        with open(policy, "w") as f:
            f.write("""version: 1
actions:
  - name: fix
    match: {severity_at_least: CRITICAL, package: lodash}
    command: ["sh", "-c", "echo $$ >> %s; sleep 60"]
    timeout: 120
""" % marker)
        r = self.findex("ingest", "-q", "--no-actions", "--policy", policy, TRIVY, now="2026-12-02T10:00:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        pending = sum(self.states().values())
        self.assertGreater(pending, 0)
        # findex is killed while the command runs: the claim stays `sending`.
        env = dict(self.env, FINDEX_NOW="2026-12-02T10:00:00.000Z")
        p = subprocess.Popen([FINDEX, "--db", self.db, "act", "--policy", policy], env=env, cwd=self.tmp,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if os.path.exists(marker):
                break
            time.sleep(0.05)
        self.assertTrue(os.path.exists(marker))
        p.kill()
        p.wait()
        with open(marker) as f:
            for pid in f.read().split():
                try:
                    os.killpg(int(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.assertEqual(self.states(), {("fix", "new", "sending"): pending})
        # Soon after: another runner may still be sending; nothing is reported or sent.
        r = self.findex("act", "--policy", policy, now="2026-12-02T10:05:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.states(), {("fix", "new", "sending"): pending})
        # Past the cutoff: reported (exit 2), still not sent again.
        os.remove(marker)
        r = self.findex("act", "--policy", policy, now="2026-12-02T10:20:00.000Z")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("never finished", r.stderr)
        self.assertIn("--retry-stale", r.stderr)
        self.assertFalse(os.path.exists(marker))
        # Asked to: sent again (the command runs; here it is made quick).
        with open(policy) as f:
            text = f.read().replace("sleep 60", "true")
        with open(policy, "w") as f:
            f.write(text)
        r = self.findex("act", "--policy", policy, "--retry-stale", now="2026-12-02T10:20:00.000Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(marker) as f:
            self.assertEqual(len(f.read().split()), pending)
        self.assertEqual(self.states(), {("fix", "new", "delivered"): pending})

    def test_two_runners_at_once_send_each_delivery_once(self):
        self.ingest("--no-actions", TRIVY)
        self.srv.delay = 0.3
        procs = [subprocess.Popen([FINDEX, "--db", self.db, "act", "--policy", self.policy], env=self.env,
                                  cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        counts = [int(json.loads(b)["text"].split(" finding")[0].split()[-1]) for _, _, b in self.srv.requests]
        self.assertEqual(sum(counts), 22, [b for _, _, b in self.srv.requests])
        self.assertEqual(self.states(), {("page", "new", "delivered"): 22})
        self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM history WHERE action = 'delivered'"), 22)


if __name__ == "__main__":
    findex_cli.main()
