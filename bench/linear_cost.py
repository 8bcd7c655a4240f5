#!/usr/bin/env python3
"""Linear-cost benchmark (issue 8): for every format, `findex ingest` time of a 1x and an 8x
input built from a real sample, once with valid records and once with mostly malformed records
(90% of the records renamed out of shape, so they are rejects). Prints the 8x/1x time ratio:
linear cost gives <= ~8 (process start makes it lower); a per-record cost proportional to the
file size (the quadratic reject lines of defect 9) gives far more.

How inputs are built: the sample with the most findings (from its .expected.json) is read, its
largest array of records is found (JSON: the longest array anywhere; XML: the element with the
most children of one tag; NDJSON: the lines), and its records are repeated, each copy with one
long text varied so the findings stay distinct, to about --base-kb (1x) and 8 times that (8x).
Malformed records: an object record keeps its fields but each key gets a "_x" suffix (a renamed
key, as in issue 8: `FilePath` -> `File`), an XML record's child elements are renamed the same way, an
NDJSON line is cut in half.

  python3 bench/linear_cost.py [--findex build/cli/findex] [--base-kb 1024] [--formats a,b] [--runs 1]
"""
import argparse, copy, json, os, re, shutil, subprocess, sys, tempfile, time
import xml.etree.ElementTree as ET

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SAMPLES = os.path.join(SRC, "samples")
MALFORMED_SHARE = 0.9


def pick_sample(fmt):
    best, best_n = None, -1
    folder = os.path.join(SAMPLES, fmt)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".expected.json") or not os.path.exists(os.path.join(folder, name + ".expected.json")):
            continue
        try:
            with open(os.path.join(folder, name + ".expected.json"), encoding="utf-8") as f:
                exp = json.load(f)
        except (OSError, ValueError):
            continue
        n = exp.get("records", 0) if isinstance(exp, dict) else 0
        if n > best_n:
            best, best_n = os.path.join(folder, name), n
    return best


# ---------- JSON ----------

def largest_array(node, path=()):
    """(path, list) of the longest list of dicts in the document."""
    best = (None, [])
    if isinstance(node, list):
        if len(node) > len(best[1]) and any(isinstance(x, dict) for x in node):
            best = (path, node)
        for i, x in enumerate(node[:50]):
            cand = largest_array(x, path + (i,))
            if len(cand[1]) > len(best[1]):
                best = cand
    elif isinstance(node, dict):
        for k, v in node.items():
            cand = largest_array(v, path + (k,))
            if len(cand[1]) > len(best[1]):
                best = cand
    return best


def vary(rec, tag):
    """Appends tag to the longest string inside rec (a description, a message), in place."""
    best = [None, None, -1]

    def walk(parent, key, v):
        if isinstance(v, str):
            if len(v) > best[2]:
                best[:] = [parent, key, len(v)]
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(v, k, x)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(v, i, x)

    walk(None, None, rec)
    if best[0] is not None:
        best[0][best[1]] = best[0][best[1]] + " " + tag
    return rec


def break_record(rec):
    if isinstance(rec, dict):
        return {k + "_x": v for k, v in rec.items()}
    return "malformed"


def set_path(doc, path, value):
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


def json_inputs(text, target_bytes, malformed):
    doc = json.loads(text)
    path, records = largest_array(doc)
    if not records:
        return None
    per = max(1, len(json.dumps(records)) // len(records))
    n = max(len(records), target_bytes // per)
    out = []
    for i in range(n):
        r = vary(copy.deepcopy(records[i % len(records)]), "#%d" % i)
        if malformed and (i % 10) < int(MALFORMED_SHARE * 10):
            r = break_record(r)
        out.append(r)
    return json.dumps(set_path(doc, path, out), indent=1)


# ---------- NDJSON ----------

def ndjson_inputs(text, target_bytes, malformed):
    lines = [l for l in text.splitlines() if l.strip()]
    per = max(1, len(text) // len(lines))
    n = max(len(lines), target_bytes // per)
    out = []
    for i in range(n):
        obj = json.loads(lines[i % len(lines)])
        line = json.dumps(vary(obj, "#%d" % i))
        if malformed and (i % 10) < int(MALFORMED_SHARE * 10):
            line = line[: len(line) // 2]
        out.append(line)
    return "\n".join(out) + "\n"


# ---------- XML ----------

def xml_inputs(text, target_bytes, malformed):
    root = ET.fromstring(text)
    best, best_tag, best_n = None, None, 0
    for el in root.iter():
        counts = {}
        for c in el:
            counts[c.tag] = counts.get(c.tag, 0) + 1
        for tag, n in counts.items():
            if n > best_n:
                best, best_tag, best_n = el, tag, n
    if best is None:
        return None
    records = [c for c in best if c.tag == best_tag]
    per = max(1, sum(len(ET.tostring(r)) for r in records) // len(records))
    n = max(len(records), target_bytes // per)
    for r in records:
        best.remove(r)
    for i in range(n):
        r = copy.deepcopy(records[i % len(records)])
        texts = [e for e in r.iter() if e.text and e.text.strip()]
        if texts:
            longest = max(texts, key=lambda e: len(e.text))
            longest.text += " #%d" % i
        if malformed and (i % 10) < int(MALFORMED_SHARE * 10):
            for c in r:
                c.tag += "_x"
        best.append(r)
    return ET.tostring(root, encoding="unicode")


def build(sample, target_bytes, malformed):
    with open(sample, encoding="utf-8-sig") as f:
        text = f.read()
    s = text.lstrip()
    if s.startswith("<"):
        return xml_inputs(text, target_bytes, malformed)
    try:
        return json_inputs(text, target_bytes, malformed)
    except ValueError:
        return ndjson_inputs(text, target_bytes, malformed)


def ingest(findex, fmt, path, tmp):
    db = os.path.join(tmp, "bench.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ)
    env.pop("FINDEX_DB", None)
    t0 = time.monotonic()
    r = subprocess.run([findex, "--db", db, "ingest", "--format", fmt, "--summary", "json", path], capture_output=True,
                       env=env, cwd=tmp)
    dt = time.monotonic() - t0
    records = rejects = 0
    for line in r.stdout.decode(errors="replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict):
            records += int(o.get("records", 0) or 0)
            rejects += int(o.get("rejects", 0) or 0)
    return dt, r.returncode, records, rejects


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--findex", default=os.path.join(SRC, "build", "cli", "findex"))
    ap.add_argument("--base-kb", type=int, default=1024, help="size of the 1x input (default 1024 KB)")
    ap.add_argument("--formats", default="", help="comma-separated formats (default: every folder of samples/)")
    ap.add_argument("--runs", type=int, default=1, help="runs per input; the fastest counts")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f] or sorted(
        d for d in os.listdir(SAMPLES) if os.path.isdir(os.path.join(SAMPLES, d)))
    tmp = tempfile.mkdtemp(prefix="findex-linear-")
    worst = 0.0
    print("%-22s %-9s %9s %9s %8s %8s %8s %9s %6s" % ("format", "records", "1x MB", "8x MB", "1x s", "8x s",
                                                      "ratio", "rejects8x", "exit"))
    try:
        for fmt in formats:
            sample = pick_sample(fmt)
            if not sample:
                print("%-22s no sample" % fmt)
                continue
            for malformed in (False, True):
                times, sizes, info = [], [], None
                for mult in (1, 8):
                    text = build(sample, args.base_kb * 1024 * mult, malformed)
                    if text is None:
                        break
                    ext = os.path.splitext(sample)[1] or ".json"
                    path = os.path.join(tmp, "%s-%s-%dx%s" % (fmt, "bad" if malformed else "ok", mult, ext))
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                    sizes.append(os.path.getsize(path) / 1e6)
                    best = None
                    for _ in range(args.runs):
                        res = ingest(args.findex, fmt, path, tmp)
                        if best is None or res[0] < best[0]:
                            best = res
                    times.append(best[0])
                    info = best
                    os.remove(path)
                if len(times) < 2:
                    print("%-22s %-9s could not build inputs from %s" % (fmt, "bad" if malformed else "ok", sample))
                    continue
                ratio = times[1] / times[0] if times[0] > 0 else float("inf")
                worst = max(worst, ratio)
                print("%-22s %-9s %9.2f %9.2f %8.3f %8.3f %8.2f %9d %6d" % (
                    fmt, "malformed" if malformed else "valid", sizes[0], sizes[1], times[0], times[1], ratio,
                    info[3], info[1]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("worst 8x/1x ratio: %.2f (linear: <= ~8)" % worst)
    return 0 if worst <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
