"""Shared fixture of the CLI tests (tests/cli/*_test.py): the store a test runs findex against,
on either backend, and SQL on it to check what findex stored.

The backend is FINDEX_TEST_BACKEND: `sqlite` (default) or `postgres`.
- SQLite: a store is a file in the test's temp dir.
- PostgreSQL: a store is FINDEX_TEST_PG (a libpq URI, e.g. scripts/pg_cluster.sh's) plus findex's
  own `schema=t_<unique>` parameter, so tests are isolated from each other and may run in
  parallel; the schema is dropped when the test ends. Without FINDEX_TEST_PG the test file exits
  77 (ctest: skipped), unless FINDEX_TEST_PG_REQUIRED=1 (scripts/test.sh, CI): then a missing or
  unreachable server fails the run. Tests reach PostgreSQL with the `psql` client only.

SQL given to rows()/value() is run as written on SQLite (`?` parameters); on PostgreSQL each `?`
outside quotes becomes the parameter as a quoted literal, and the query runs with search_path
set to the test's schema (psql -X -At, the result as one json_agg). bytea values come back as
bytes, like SQLite's blobs. Use `id`, never `rowid` (every table has an `id` column on both).
Tests whose subject exists on SQLite only are skipped on PostgreSQL with @sqlite_only(reason)."""
import json, os, shutil, sqlite3, subprocess, sys, tempfile, unittest, uuid

BACKEND = os.environ.get("FINDEX_TEST_BACKEND", "sqlite").strip().lower() or "sqlite"
if BACKEND in ("pg", "postgresql"):
    BACKEND = "postgres"
if BACKEND not in ("sqlite", "postgres"):
    sys.exit("findex_cli: FINDEX_TEST_BACKEND must be sqlite or postgres, not %r" % BACKEND)
PG = BACKEND == "postgres"
PG_BASE = os.environ.get("FINDEX_TEST_PG", "").strip()
PG_REQUIRED = os.environ.get("FINDEX_TEST_PG_REQUIRED", "") not in ("", "0")
SKIP_RC = 77  # ctest SKIP_RETURN_CODE of the _pg tests (tests/CMakeLists.txt)


def sqlite_only(reason):
    """Skips a test (or a whole class) on PostgreSQL: its subject is the SQLite file itself."""
    return unittest.skipIf(PG, "SQLite only: " + reason)


def pg_only(reason):
    return unittest.skipUnless(PG, "PostgreSQL only: " + reason)


def is_pg(db):
    return db.startswith(("postgresql://", "postgres://"))


# --- PostgreSQL ---------------------------------------------------------------------------------
def _split_schema(db):
    """(libpq URI without findex's schema= parameter, schema or None)."""
    if "?" not in db:
        return db, None
    base, query = db.split("?", 1)
    keep, schema = [], None
    for part in query.split("&"):
        if part.startswith("schema="):
            schema = part[len("schema="):]
        elif part:
            keep.append(part)
    return (base + "?" + "&".join(keep)) if keep else base, schema


def _psql(db, sql, check=True):
    uri, schema = _split_schema(db)
    env = dict(os.environ)
    for k in ("PGOPTIONS", "PGDATABASE", "PGSERVICE"):
        env.pop(k, None)
    if schema:
        env["PGOPTIONS"] = "-c search_path=" + schema
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", uri], input=sql.encode(),
                       capture_output=True, env=env, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("psql failed (%d) on %r: %s" % (r.returncode, sql, r.stderr.decode().strip()))
    return r


def literal(v):
    """A Python value as a PostgreSQL literal."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    s = str(v)
    if "\0" in s:
        raise ValueError("NUL in a PostgreSQL literal")
    return "'" + s.replace("'", "''") + "'"


def bind(sql, params):
    """Replaces each ? outside quotes and comments with the next parameter as a literal."""
    out, i, n, k = [], 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == "?":
            if k >= len(params):
                raise ValueError("more ? than parameters in %r" % sql)
            out.append(literal(params[k]))
            k += 1
            i += 1
        else:
            out.append(c)
            i += 1
    if k != len(params):
        raise ValueError("%d parameters for %d ? in %r" % (len(params), k, sql))
    return "".join(out)


def _from_json(v):
    if isinstance(v, str) and v.startswith("\\x"):
        h = v[2:]
        if len(h) % 2 == 0 and all(c in "0123456789abcdef" for c in h):
            return bytes.fromhex(h)
    return v


def _pg_rows(db, sql, params):
    q = bind(sql.strip().rstrip(";"), params)
    r = _psql(db, "SELECT coalesce(json_agg(findex_test_row__), '[]') FROM (%s) findex_test_row__;\n" % q)
    return [{k: _from_json(v) for k, v in row.items()} for row in json.loads(r.stdout.decode())]


def pg_reachable():
    """None when FINDEX_TEST_PG answers, else why not."""
    if not PG_BASE:
        return "FINDEX_TEST_PG is not set (scripts/pg_cluster.sh start DIR prints one)"
    if shutil.which("psql") is None:
        return "no psql client (apt-get install postgresql-client)"
    try:
        r = _psql(PG_BASE, "SELECT 1;", check=False)
    except subprocess.TimeoutExpired:
        return "psql timed out on FINDEX_TEST_PG"
    if r.returncode != 0 or r.stdout.strip() != b"1":
        return "FINDEX_TEST_PG does not answer: " + r.stderr.decode().strip()
    return None


# --- Stores -------------------------------------------------------------------------------------
def new_store(tmp, name="t.db"):
    """A fresh, not yet created store: on SQLite tmp/name, on PostgreSQL a new schema's URI."""
    if not PG:
        return os.path.join(tmp, name)
    schema = "t_" + uuid.uuid4().hex[:20]
    return PG_BASE + ("&" if "?" in PG_BASE else "?") + "schema=" + schema


def drop(db):
    """Removes a PostgreSQL store's schema (a SQLite store goes with its temp dir)."""
    if is_pg(db):
        _, schema = _split_schema(db)
        if schema:
            _psql(db, 'DROP SCHEMA IF EXISTS "%s" CASCADE;' % schema.replace('"', '""'), check=False)


def copy_store(src, dst):
    """Copies the store src to dst (a new_store() not yet created): the file on SQLite, the
    schema with its data (pg_dump, renamed) on PostgreSQL."""
    if not is_pg(src):
        shutil.copyfile(src, dst)
        return
    uri, s_schema = _split_schema(src)
    _, d_schema = _split_schema(dst)
    assert s_schema and d_schema and s_schema != d_schema, (src, dst)
    # Schema names here are t_<20 hex digits>: unique enough to rename by text.
    _psql(uri, _pg_dump(src).decode().replace(s_schema, d_schema))


def _pg_dump(db):
    uri, schema = _split_schema(db)
    r = subprocess.run(["pg_dump", "-d", uri, "-n", schema or "public", "--no-owner", "--no-privileges"],
                       capture_output=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("pg_dump failed: " + r.stderr.decode().strip())
    return r.stdout


def digest(db):
    """A hash of everything in the store, to show that a command changed nothing: the file's
    bytes on SQLite, the schema's dump (definitions and data) on PostgreSQL."""
    import hashlib
    if not is_pg(db):
        with open(db, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    # pg_dump 15.14+ brackets the dump with \restrict KEY / \unrestrict KEY, a new random KEY each time.
    body = b"\n".join(l for l in _pg_dump(db).split(b"\n") if not l.startswith((b"\\restrict ", b"\\unrestrict ")))
    return hashlib.sha256(body).hexdigest()


def rows(db, sql, *params):
    """The result of a query on the store, as a list of dicts (column name -> value)."""
    if is_pg(db):
        return _pg_rows(db, sql, params)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def value(db, sql, *params):
    """The first column of the first row (None when there is no row)."""
    if is_pg(db):
        got = _pg_rows(db, sql, params)
        return next(iter(got[0].values())) if got else None
    con = sqlite3.connect(db)
    try:
        r = con.execute(sql, params).fetchone()
        return r[0] if r else None
    finally:
        con.close()


def execute(db, sql, *params):
    """Runs a statement that returns nothing (an UPDATE to set up a case)."""
    if is_pg(db):
        _psql(db, bind(sql.strip().rstrip(";"), params) + ";\n")
        return
    con = sqlite3.connect(db)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def exists(db):
    """Whether findex created the store: the file; on PostgreSQL the schema of a new_store() (the
    tests never create it; findex does, on first use), or findex's tables when it has no schema=."""
    if not is_pg(db):
        return os.path.exists(db)
    _, schema = _split_schema(db)
    if schema:
        q = "SELECT count(*) FROM pg_namespace WHERE nspname = %s;\n" % literal(schema)
    else:
        q = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'findings';\n"
    return int(_psql(db, q).stdout.decode().strip() or 0) > 0


def tables(db):
    """Names of the store's tables."""
    if not is_pg(db):
        return [r["name"] for r in rows(db, "SELECT name FROM sqlite_master WHERE type='table'")]
    _, schema = _split_schema(db)
    return [r["tablename"] for r in _pg_rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = ?",
                                             (schema or "public",))]


# SQL that differs between the dialects (for the tests' own checks, not findex's).
def hex_sql(expr):
    return ("encode(%s, 'hex')" if PG else "hex(%s)") % expr


def group_concat_sql(expr, order_by=None):
    """Values joined with ','; order_by applies on PostgreSQL (SQLite 3.40 has no ordered
    aggregates; its group_concat follows the scan order, stable for the same store)."""
    if PG:
        return "string_agg(%s, ','%s)" % (expr, (" ORDER BY " + order_by) if order_by else "")
    return "group_concat(%s)" % expr


# --- Test cases ---------------------------------------------------------------------------------
def clean_env(**extra):
    """os.environ without the variables that would change findex's behaviour, plus extra."""
    env = dict(os.environ)
    for k in ("FINDEX_DB", "FINDEX_USER", "FINDEX_ACCOUNT_ID", "NO_COLOR"):
        env.pop(k, None)
    env.update(extra)
    return env


class StoreCase(unittest.TestCase):
    """A temp dir (self.tmp) and a fresh store (self.db: the --db value) per test, dropped after."""
    TMP_PREFIX = "findex-cli-"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=self.TMP_PREFIX)
        self.db = new_store(self.tmp)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(drop, self.db)

    def new_store(self, name):
        """A second store for the same test (dropped after it)."""
        db = new_store(self.tmp, name)
        self.addCleanup(drop, db)
        return db

    def rows(self, sql, *params):
        return rows(self.db, sql, *params)

    def value(self, sql, *params):
        return value(self.db, sql, *params)

    def store_exists(self):
        return exists(self.db)


class ClassStoreCase(unittest.TestCase):
    """One temp dir (cls.tmp) and store (cls.db) for all the tests of a class (setUpClass)."""
    TMP_PREFIX = "findex-cli-"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.TMP_PREFIX)
        cls.db = new_store(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def rows(self, sql, *params):
        return rows(self.db, sql, *params)

    def value(self, sql, *params):
        return value(self.db, sql, *params)


def main():
    """unittest.main for a CLI test file: checks the PostgreSQL server first (a _pg test without
    one is skipped, exit 77, or fails under FINDEX_TEST_PG_REQUIRED=1); exit 1 when a test failed
    or none ran, 77 when every test was skipped (e.g. a SQLite-only file on PostgreSQL)."""
    if PG:
        why = pg_reachable()
        if why:
            if PG_REQUIRED or PG_BASE:
                print("findex_cli: PostgreSQL tests cannot run: " + why, file=sys.stderr)
                sys.exit(1)
            print("findex_cli: skipped, " + why, file=sys.stderr)
            sys.exit(SKIP_RC)
        print("findex_cli: backend postgres (%s)" % PG_BASE, file=sys.stderr)
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", []))
    if failed or not result.testsRun:
        sys.exit(1)
    if PG and len(result.skipped) == result.testsRun:
        sys.exit(SKIP_RC)
    sys.exit(0)
