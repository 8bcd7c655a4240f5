#!/usr/bin/env python3
"""Issue 10: findex never needs superuser, and a role that may only read a PostgreSQL store can
query, export and run `findex sql` on it, while its ingest fails cleanly and changes nothing.
The store is written by the test role (`findex`: no superuser, no CREATEDB, owner of the test
database); the reader is the role `findex_reader` that scripts/pg_cluster.sh creates without any
rights, granted here only USAGE on the store's schema and SELECT on its tables. Also: a password in
the URI is never printed. Runs in the _pg variant only. Usage: roles_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, subprocess, sys, unittest

import findex_cli
from findex_cli import StoreCase, pg_only

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
ZAP1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
ZAP2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
READER = "findex_reader"


def as_role(db, role):
    """The same store (URI with schema=) reached as another role."""
    new, n = re.subn(r"^(postgres(?:ql)?://)[^@/]*@", r"\g<1>%s@" % role, db)
    if not n:
        new = re.sub(r"^(postgres(?:ql)?://)", r"\g<1>%s@" % role, db)
    return new


@pg_only("PostgreSQL roles and grants")
class Roles(StoreCase):
    TMP_PREFIX = "findex-roles-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z", FINDEX_USER="ci")
        if findex_cli.value(self.db, "SELECT count(*) FROM pg_roles WHERE rolname = ?", READER) != 1:
            self.skipTest("the server has no role %s (scripts/pg_cluster.sh creates it)" % READER)
        self.reader = as_role(self.db, READER)
        self.assertNotEqual(self.reader, self.db)

    def findex(self, db, *args):
        return subprocess.run([FINDEX, "--db", db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              timeout=300)

    def grant_read(self):
        _, schema = findex_cli._split_schema(self.db)
        findex_cli._psql(self.db, 'GRANT USAGE ON SCHEMA "%s" TO %s;\n'
                                  'GRANT SELECT ON ALL TABLES IN SCHEMA "%s" TO %s;\n' % (schema, READER, schema, READER))

    def test_the_writer_is_no_superuser(self):
        r = findex_cli.rows(self.db, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        self.assertEqual(r, [{"rolsuper": False, "rolcreatedb": False, "rolcreaterole": False}])
        self.assertEqual(self.findex(self.db, "ingest", "--scope", "web", ZAP1).returncode, 0)

    def test_a_reader_reads_and_cannot_write(self):
        for f in (ZAP1, BANDIT):
            r = self.findex(self.db, "ingest", "--scope", "web" if f == ZAP1 else "code", f)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        # Without grants the reader sees no store: an error, not an empty result.
        r = self.findex(self.reader, "query")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.grant_read()
        before = findex_cli.digest(self.db)
        for args in (["query", "--all-states", "--format", "json"], ["query", "--group-by", "scanner"],
                     ["export", "--format", "asff"], ["export", "--format", "sarif"], ["export", "--format", "csv"],
                     ["sql", "--format", "json", "SELECT scanner, count(*) AS n FROM v_findings GROUP BY scanner ORDER BY scanner"]):
            with self.subTest(args=args):
                owner, reader = self.findex(self.db, *args), self.findex(self.reader, *args)
                self.assertEqual(owner.returncode, 0, owner.stderr.decode())
                self.assertEqual((reader.returncode, reader.stdout, reader.stderr),
                                 (owner.returncode, owner.stdout, owner.stderr))
        # An ingest as the reader: a clean error naming no password, nothing stored.
        r = self.findex(self.reader, "ingest", "--scope", "web", ZAP2)
        self.assertEqual(r.returncode, 2, r.stdout)
        err = r.stderr.decode()
        self.assertIn("permission denied", err)
        self.assertNotIn("Traceback", err)
        ids = json.loads(self.findex(self.db, "query", "--format", "json", "--limit", "1").stdout)
        r = self.findex(self.reader, "triage", ids[0]["id"], "--status", "NOTIFIED", "--by", "x")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertEqual(findex_cli.digest(self.db), before)


@pg_only("libpq connection URIs")
class Passwords(StoreCase):
    """The password of a URI never appears in findex's output, logs or errors."""
    TMP_PREFIX = "findex-passwords-"
    SECRET = "Sup3r-s3cret-pw"

    def test_password_in_the_uri_is_never_printed(self):
        env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z", FINDEX_USER="ci")
        # Trust authentication ignores the password: the commands work as without one.
        db = re.sub(r"^(postgres(?:ql)?://)([^@/]*)@", r"\g<1>\g<2>:%s@" % self.SECRET, self.db)
        self.assertIn(self.SECRET, db)
        unreachable = re.sub(r"host=[^&]*", "host=" + os.path.join(self.tmp, "nosock"), db)
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"hello": "world"}')
        runs = [
            (db, ["query"], 2), (db, ["gate", "--scope", "s", "--fail-on", "HIGH"], 2),
            (db, ["-v", "ingest", "--scope", "web", ZAP1], 0), (db, ["ingest", "--summary", "json", bad], 2),
            (db, ["gate", "--scope", "nope", "--fail-on", "HIGH"], 2), (db, ["query", "--scope", "nope", "-v"], 0),
            (db, ["sql", "SELECT nope FROM v_findings"], 2), (db, ["history", "abcdef12"], 2),
            (unreachable, ["query"], 2), (unreachable, ["-v", "ingest", ZAP1], 2),
        ]
        for store, args, rc in runs:
            with self.subTest(args=args, unreachable=store == unreachable):
                r = subprocess.run([FINDEX, "--db", store, *args], capture_output=True, env=env, cwd=self.tmp,
                                   timeout=120)
                self.assertEqual(r.returncode, rc, r.stderr.decode())
                self.assertNotIn(self.SECRET.encode(), r.stdout + r.stderr)
                if rc == 2 and args[0] in ("query", "-v"):
                    self.assertIn(b"postgresql://", r.stderr)  # the store is named, without the password
        # The same through $FINDEX_DB.
        r = subprocess.run([FINDEX, "query", "--scope", "nope"], capture_output=True, env=dict(env, FINDEX_DB=unreachable),
                           cwd=self.tmp, timeout=120)
        self.assertEqual(r.returncode, 2)
        self.assertNotIn(self.SECRET.encode(), r.stdout + r.stderr)


if __name__ == "__main__":
    findex_cli.main()
