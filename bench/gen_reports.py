#!/usr/bin/env python3
"""Generates large, realistic scanner reports for findex benchmarks.

Each report replicates the findings of a real report from the corpus with varied identifiers,
so that every copy is a distinct finding for findex (its fingerprint changes) while the shape,
text sizes and field mix stay those of the real scanner output:

  zap-json              sites (host, URIs) and plugin ids vary; one finding per (site, alert)
  dependency-check-xml  package versions (purls), CVE ids and file paths vary, per <dependency>
  sarif                 rule ids (with their rules in tool.driver.rules), file paths, snippets
                        and fingerprints vary; one finding per result
  trivy                 package versions (PkgID, PURL, InstalledVersion), CVE ids and targets
                        vary; one finding per vulnerability

Generation is deterministic for a given --seed and streams its output: templates are rendered
once, then each copy is a string join written straight to the file, so memory stays small.

Every run writes, from the same sequence of units, up to four files:
  <name>.<ext>          the base report (stops at --size-mb)
  <name>.touched.<ext>  the same findings byte for byte, only a report-level timestamp that
                        findex does not store differs: a re-scan with nothing changed
  <name>.changed.<ext>  --removed-pct of the units replaced by units of new identity (so that
                        many findings are gone and as many are new), --modified-pct of the
                        units with a changed description (same identity, new content)
  <name>.rescan.xml     (Dependency-Check only) like .touched but with a new <reportDate>,
                        which is what a real re-scan changes
and <name>.meta.json with the counts. --namespace N gives identifiers disjoint from other
namespaces, to fill one store with several distinct reports.

Usage:
  bench/gen_reports.py --format zap-json --size-mb 200
  bench/gen_reports.py --format all --size-mb 200 --out bench/data
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("FINDEX_CORPUS", "/work/shared/corpus")

DEFAULT_SOURCES = {
    "zap-json": "zap-json/bcgov_zap_2.14.0_itsecgames_2024-03-31.json",
    "dependency-check-xml": "dependency-check-xml/dd_pr6439_engine7.3.0_large.xml",
    "sarif": "sarif/dd_semgrep_oss_1.69.0_juiceshop.sarif",
    "trivy": "trivy/scb_trivy_image_juiceshop_v10.2.0.json",
}
EXT = {"zap-json": "json", "dependency-check-xml": "xml", "sarif": "sarif", "trivy": "json"}

MARK = "@@@"  # template slot: @@@name@@@ (checked absent from the sources)


class Template:
    """Text with @@@slot@@@ markers, split once; render() is a join."""

    def __init__(self, text):
        parts = text.split(MARK)
        if len(parts) % 2 == 0:
            raise ValueError("unbalanced template marker")
        self.lits = parts[0::2]
        self.names = parts[1::2]

    def render(self, vals):
        out = [self.lits[0]]
        for name, lit in zip(self.names, self.lits[1:]):
            out.append(vals[name])
            out.append(lit)
        return "".join(out)


def mix(seed, i):
    """Deterministic pseudo-random float in [0, 1) for unit i (splitmix64)."""
    z = (seed * 0x9E3779B97F4A7C15 + (i + 1) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def indent_block(text, prefix):
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


class Outputs:
    """The variant files written side by side; base decides when to stop."""

    def __init__(self, paths):
        self.files = {v: open(p, "wb", buffering=4 << 20) for v, p in paths.items()}
        self.bytes = {v: 0 for v in paths}

    def write(self, text, variants=None):
        data = text.encode("utf-8")
        for v, f in self.files.items():
            if variants is None or v in variants:
                f.write(data)
                self.bytes[v] += len(data)

    def write_each(self, texts):
        """texts: variant -> text (variants without an entry get nothing)."""
        cache = {}
        for v, f in self.files.items():
            t = texts.get(v)
            if t is None:
                continue
            data = cache.get(id(t))
            if data is None:
                data = t.encode("utf-8")
                cache[id(t)] = data
            f.write(data)
            self.bytes[v] += len(data)

    def close(self):
        for f in self.files.values():
            f.close()


class Plan:
    """What the changed variant does with unit i: keep, replace (new identity) or modify."""

    def __init__(self, seed, removed_pct, modified_pct):
        self.seed = seed
        self.removed = removed_pct / 100.0
        self.modified = modified_pct / 100.0
        self.counts = {"kept": 0, "replaced": 0, "modified": 0}

    def action(self, i):
        r = mix(self.seed, i)
        if r < self.removed:
            a = "replaced"
        elif r < self.removed + self.modified:
            a = "modified"
        else:
            a = "kept"
        self.counts[a] += 1
        return a


def load_text(path):
    with open(path, encoding="utf-8-sig") as f:
        text = f.read()
    if MARK in text:
        raise SystemExit(f"{path}: contains the template marker {MARK!r}; pick another source")
    return text


# ----------------------------------------------------------------------------------- ZAP JSON
def gen_zap(src_path, out, plan, target, ns, variants_per_site):
    src = json.loads(load_text(src_path))
    alerts = [a for s in src["site"] for a in s["alerts"]]
    site0 = src["site"][0]["@name"].rstrip("/")
    templates = []
    for a in alerts:
        a = json.loads(json.dumps(a))
        a["pluginid"] = MARK + "pluginid" + MARK
        if "alertRef" in a:
            a["alertRef"] = MARK + "alertref" + MARK
        for inst in a.get("instances", []):
            uri = inst.get("uri", "")
            if uri.startswith(site0):
                inst["uri"] = MARK + "site" + MARK + uri[len(site0):]
        a["desc"] = a.get("desc", "") + MARK + "descx" + MARK
        text = indent_block(json.dumps(a, indent="\t"), "\t\t\t\t")
        templates.append((Template(text), alerts[len(templates)]["pluginid"],
                          alerts[len(templates)].get("alertRef", "")))

    def header(generated):
        return ("{\n\t\"@programName\": \"ZAP\",\n\t\"@version\": %s,\n\t\"@generated\": %s,\n\t\"site\":[ "
                % (json.dumps(src.get("@version", "2.14.0")), json.dumps(generated)))

    base_gen = src.get("@generated", "Sun, 31 Mar 2024 01:18:36")
    out.write_each({v: header("Mon, 1 Apr 2024 02:00:00" if v == "touched" else base_gen) for v in out.files})

    state = {"site": -1, "open": False}

    def alert_text(t, site_name, v, descx):
        tmpl, pid, ref = t
        new_pid = pid if v == 0 else f"{pid}{v:02d}"
        new_ref = new_pid + ref[len(pid):] if ref.startswith(pid) else ref
        return tmpl.render({"pluginid": new_pid, "alertref": new_ref, "site": site_name, "descx": descx})

    per_site = len(templates) * variants_per_site
    n = 0
    while out.bytes["base"] < target:
        s = n // per_site
        k = n % per_site
        j, v = k % len(templates), k // len(templates)
        host = f"svc-{s:05d}.ns{ns}.example.com" if ns else f"svc-{s:05d}.example.com"
        site_name = "https://" + host
        if k == 0:
            prefix = ("\n\t\t]}" + "," if s > 0 else "") + (
                "\n\t\t{\n\t\t\t\"@name\": %s,\n\t\t\t\"@host\": %s,\n\t\t\t\"@port\": \"443\",\n"
                "\t\t\t\"@ssl\": \"true\",\n\t\t\t\"alerts\": [ \n" % (json.dumps(site_name), json.dumps(host)))
            out.write(prefix)
        elif k > 0:
            out.write(",\n")
        a = plan.action(n)
        base = alert_text(templates[j], site_name, v, "")
        if a == "kept":
            ch = base
        elif a == "modified":
            ch = alert_text(templates[j], site_name, v, "<p>Re-tested: still present.</p>")
        else:
            ch = alert_text(templates[j], site_name, v + 50, "")
        texts = {vv: base for vv in out.files if vv != "changed"}
        if "changed" in out.files:
            texts["changed"] = ch
        out.write_each(texts)
        n += 1
    out.write("\n\t\t]}\n\t]\n}\n")
    return {"units": n, "unit": "alert (finding)", "findings": n, "sites": n // per_site + (1 if n % per_site else 0)}


# ------------------------------------------------------------------------ Dependency-Check XML
PURL_VER = re.compile(r"(pkg:[a-z]+/[^@\s<\"]+@)([^?#\s<\"&]+)")
CVE = re.compile(r"(CVE-\d{4}-\d+)")
FILEPATH = re.compile(r"(<filePath>\s*)")
VULN_OPEN = re.compile(r"<vulnerability[ >]")


def dc_template(chunk):
    t = PURL_VER.sub(lambda m: m.group(1) + m.group(2) + MARK + "vs" + MARK, chunk)
    t = CVE.sub(lambda m: m.group(1) + MARK + "cs" + MARK, t)
    t = FILEPATH.sub(lambda m: m.group(1) + MARK + "root" + MARK, t)
    vm = VULN_OPEN.search(t)
    if vm:
        d = t.find("</description>", vm.end())
        if d >= 0:
            t = t[:d] + MARK + "mod" + MARK + t[d:]
    return Template(t), bool(vm) or "<suppressedVulnerability" in chunk


def gen_dc(src_path, out, plan, target, ns, clean_fraction):
    text = load_text(src_path)
    start = text.index("<dependencies>") + len("<dependencies>")
    end = text.index("</dependencies>")
    header, footer = text[:start], text[end:]
    body = text[start:end]
    chunks = re.findall(r"\n[ \t]*<dependency[ >].*?</dependency>", body, re.S)
    temps = [dc_template(c) for c in chunks]
    vulnerable = [t for t, v in temps if v]
    clean = [t for t, v in temps if not v]
    # Per copy: every vulnerable dependency and a share of the clean ones (real reports list
    # every scanned file; most have no vulnerability), interleaved in source order.
    order = []
    c = 0
    for t, v in temps:
        if v:
            order.append(t)
        else:
            if int((c + 1) * clean_fraction) > int(c * clean_fraction):
                order.append(t)
            c += 1
    heads = {}
    for v in out.files:
        h = header
        if v in ("touched", "rescan"):
            h = re.sub(r"<timestamp>[^<]*</timestamp>", "<timestamp>2022-12-15T01:03:02</timestamp>", h, count=1)
        if v == "rescan":
            h = re.sub(r"<reportDate>[^<]*</reportDate>", "<reportDate>2022-12-15T01:35:43.684166Z</reportDate>", h)
        heads[v] = h
    out.write_each(heads)

    def vals(k, new, mod):
        tag = f"{ns}-{k}" if ns else f"{k}"
        if k == 0 and not ns and not new:
            vs, cs, root = "", "", ""
        else:
            vs = f".{ns}.{k}" if ns else f".{k}"
            cs = f"{ns}{k:04d}" if ns else f"{k}"
            root = f"/builds/job-{tag}"
        if new:
            vs += "-n"
            root += "-new"
        return {"vs": vs, "cs": cs, "root": root, "mod": " (Re-analysed: still affected.)" if mod else ""}

    n = 0
    k = 0
    while out.bytes["base"] < target:
        for t in order:
            a = plan.action(n)
            base = t.render(vals(k, False, False))
            if a == "kept":
                ch = base
            elif a == "modified":
                ch = t.render(vals(k, False, True))
            else:
                ch = t.render(vals(k, True, False))
            texts = {v: base for v in out.files if v != "changed"}
            if "changed" in out.files:
                texts["changed"] = ch
            out.write_each(texts)
            n += 1
        k += 1
    out.write(footer if footer.startswith("\n") else "\n  " + footer)
    return {"units": n, "unit": "dependency", "copies": k, "dependencies_per_copy": len(order),
            "vulnerable_per_copy": len(vulnerable)}


# -------------------------------------------------------------------------------------- SARIF
def gen_sarif(src_path, out, plan, target, ns, rule_variants):
    src = json.loads(load_text(src_path))
    run = src["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"].get("rules", [])
    templates = []
    for r in results:
        r = json.loads(json.dumps(r))
        r["ruleId"] = r["ruleId"] + MARK + "rv" + MARK
        for loc in r.get("locations", []):
            pl = loc.get("physicalLocation", {})
            al = pl.get("artifactLocation", {})
            if "uri" in al:
                al["uri"] = MARK + "dir" + MARK + al["uri"]
            sn = pl.get("region", {}).get("snippet")
            if sn and "text" in sn:
                sn["text"] = sn["text"] + MARK + "sn" + MARK
        fps = r.get("fingerprints", {})
        for key in list(fps):
            fps[key] = MARK + "fp" + MARK
        r["message"]["text"] = r["message"].get("text", "") + MARK + "msg" + MARK
        templates.append(Template(indent_block(json.dumps(r, indent=2), "        ")))
    invocations = run.get("invocations", [])

    def head(variant):
        inv = json.loads(json.dumps(invocations)) or [{"executionSuccessful": True}]
        inv[0]["endTimeUtc"] = "2024-05-02T10:00:00Z" if variant == "touched" else "2024-05-01T10:00:00Z"
        inv_text = indent_block(json.dumps(inv, indent=2), "      ").lstrip()
        return ("{\n  \"$schema\": %s,\n  \"runs\": [\n    {\n      \"invocations\": %s,\n"
                "      \"results\": [\n" % (json.dumps(src.get("$schema", "")), inv_text))

    out.write_each({v: head(v) for v in out.files})
    R = rule_variants
    nsd = f"ns{ns}/" if ns else ""

    def render(j, k, new, mod):
        t = templates[j]
        rv = "" if k % R == 0 else f"-v{k % R}"
        d = k // R
        vals = {
            "rv": rv,
            "dir": f"{nsd}{'new/' if new else ''}services/svc-{d:05d}/" if (d or new or ns) else "",
            "sn": "" if k == 0 and not new else f"  // svc-{d}",
            "fp": f"{k:016x}{j:08x}{ns:08x}" + ("1" if new else "0") + "_0",
            "msg": " (re-checked)" if mod else "",
        }
        return t.render(vals)

    n = 0
    k = 0
    first = True
    while out.bytes["base"] < target:
        for j in range(len(templates)):
            a = plan.action(n)
            sep = "" if first else ",\n"
            first = False
            base = sep + render(j, k, False, False)
            if a == "kept":
                ch = base
            elif a == "modified":
                ch = sep + render(j, k, False, True)
            else:
                ch = sep + render(j, k, True, False)
            texts = {v: base for v in out.files if v != "changed"}
            if "changed" in out.files:
                texts["changed"] = ch
            out.write_each(texts)
            n += 1
            if out.bytes["base"] >= target:
                break
        k += 1
    # The rules of every variant used, after the results (Semgrep writes "tool" last).
    used = min(k, R)
    out.write("\n      ],\n      \"tool\": {\n        \"driver\": {\n          \"name\": %s,\n          \"rules\": [\n"
              % json.dumps(run["tool"]["driver"].get("name", "Semgrep OSS")))
    rule_texts = []
    for v in range(used):
        for rule in rules:
            rr = json.loads(json.dumps(rule))
            suffix = "" if v == 0 else f"-v{v}"
            rr["id"] = rr["id"] + suffix
            if "name" in rr:
                rr["name"] = rr["name"] + suffix
            rule_texts.append(indent_block(json.dumps(rr, indent=2), "            "))
    out.write(",\n".join(rule_texts))
    out.write("\n          ],\n          \"semanticVersion\": %s\n        }\n      }\n    }\n  ],\n  \"version\": \"2.1.0\"\n}\n"
              % json.dumps(run["tool"]["driver"].get("semanticVersion", "1.69.0")))
    return {"units": n, "unit": "result (finding)", "findings": n, "rules": used * len(rules)}


# -------------------------------------------------------------------------------------- Trivy
def gen_trivy(src_path, out, plan, target, ns):
    src = json.loads(load_text(src_path))
    results = src["Results"]
    res_t = []
    for r in results:
        vulns = r.get("Vulnerabilities") or []
        hdr = {k: v for k, v in r.items() if k not in ("Vulnerabilities", "Secrets", "Misconfigurations")}
        target_name = hdr.get("Target", "")
        hdr["Target"] = MARK + "target" + MARK
        vts = []
        for v in vulns:
            v = json.loads(json.dumps(v))
            ver = v.get("InstalledVersion", "")
            v["InstalledVersion"] = ver + MARK + "vs" + MARK
            if "PkgID" in v and v["PkgID"].endswith("@" + ver):
                v["PkgID"] = v["PkgID"] + MARK + "vs" + MARK
            pid = v.get("PkgIdentifier", {})
            if "PURL" in pid:
                pid["PURL"] = PURL_VER.sub(lambda m: m.group(1) + m.group(2) + MARK + "vs" + MARK, pid["PURL"], count=1)
            if "UID" in pid:
                pid["UID"] = pid["UID"] + MARK + "uid" + MARK
            v["Description"] = v.get("Description", "") + MARK + "mod" + MARK
            text = json.dumps(v, indent=2)
            text = CVE.sub(lambda m: m.group(1) + MARK + "cs" + MARK, text)
            vts.append(Template(indent_block(text, "        ")))
        others = {k: r[k] for k in ("Secrets", "Misconfigurations") if r.get(k)}
        hdr_text = json.dumps(hdr, indent=2)[:-2]  # without the closing "\n}"
        res_t.append((Template(indent_block(hdr_text, "    ")), target_name, vts,
                      Template(indent_block(json.dumps(others, indent=2)[1:-2], "    ")) if others else None))
    meta = {k: v for k, v in src.items() if k != "Results"}

    def head(variant):
        m = dict(meta)
        if "CreatedAt" in m:
            m["CreatedAt"] = "2024-10-29T15:18:53.825953605Z" if variant == "touched" else m["CreatedAt"]
        t = json.dumps(m, indent=2)[:-2]
        return t + ",\n  \"Results\": [\n"

    out.write_each({v: head(v) for v in out.files})
    n = 0
    k = 0
    first_res = True
    while out.bytes["base"] < target:
        tag = f"ns{ns}-{k}" if ns else f"{k}"
        for ri, (ht, target_name, vts, others) in enumerate(res_t):
            if target_name.startswith("/"):
                tgt = f"/srv/app-{tag}{target_name}" if (k or ns) else target_name
            elif "(" in target_name:
                name, rest = target_name.split(" (", 1)
                tgt = (f"registry.example.com/team-{tag}/{name.split('/')[-1]} ({rest}" if (k or ns) else target_name)
            else:
                tgt = f"{target_name} [app-{tag}]" if (k or ns) else target_name
            out.write(("" if first_res else ",\n") + ht.render({"target": tgt}))
            first_res = False
            if vts:
                out.write(",\n      \"Vulnerabilities\": [\n")
                for vi, vt in enumerate(vts):
                    a = plan.action(n)
                    sep = "" if vi == 0 else ",\n"
                    if k == 0 and not ns:
                        vals = {"vs": "", "cs": "", "uid": "", "mod": ""}
                    else:
                        vals = {"vs": f".{tag.replace('ns', '')}", "cs": f"{k}", "uid": f"{k:x}", "mod": ""}
                    base = sep + vt.render(vals)
                    if a == "kept":
                        ch = base
                    elif a == "modified":
                        ch = sep + vt.render(dict(vals, mod=" Re-assessed."))
                    else:
                        ch = sep + vt.render(dict(vals, vs=vals["vs"] + "-n", uid=vals["uid"] + "n"))
                    texts = {v: base for v in out.files if v != "changed"}
                    if "changed" in out.files:
                        texts["changed"] = ch
                    out.write_each(texts)
                    n += 1
                out.write("\n      ]")
            if others:
                out.write(",\n" + others.render({}))
            out.write("\n    }")
        k += 1
    out.write("\n  ]\n}\n")
    return {"units": n, "unit": "vulnerability (finding)", "findings": n, "copies": k}


# --------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", required=True, choices=list(DEFAULT_SOURCES) + ["all"])
    ap.add_argument("--size-mb", type=float, default=200, help="size of the base report (default 200)")
    ap.add_argument("--source", help="real report to replicate (default: one per format from the corpus)")
    ap.add_argument("--out", default=os.path.join(HERE, "data"), help="output folder (default bench/data)")
    ap.add_argument("--name", help="base file name without extension (default <format>-<size>mb[-nsN])")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--namespace", type=int, default=0, help="identifier namespace (0: like the source)")
    ap.add_argument("--variants", default="base,touched,changed",
                    help="comma list of base,touched,changed,rescan (rescan: Dependency-Check only)")
    ap.add_argument("--removed-pct", type=float, default=10, help="changed: units replaced by new ones")
    ap.add_argument("--modified-pct", type=float, default=5, help="changed: units with changed content")
    ap.add_argument("--zap-variants-per-site", type=int, default=3,
                    help="ZAP: copies of each template alert per site, with distinct plugin ids")
    ap.add_argument("--dc-clean-fraction", type=float, default=0.2,
                    help="Dependency-Check: share of the vulnerability-free dependencies kept per copy")
    ap.add_argument("--sarif-rule-variants", type=int, default=25,
                    help="SARIF: distinct rule ids per source rule")
    args = ap.parse_args()

    formats = list(DEFAULT_SOURCES) if args.format == "all" else [args.format]
    os.makedirs(args.out, exist_ok=True)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if "base" not in variants:
        variants.insert(0, "base")
    for fmt in formats:
        src = args.source if (args.source and len(formats) == 1) else os.path.join(CORPUS, DEFAULT_SOURCES[fmt])
        size_tag = f"{args.size_mb:g}mb"
        name = args.name or (f"{fmt}-{size_tag}" + (f"-ns{args.namespace}" if args.namespace else ""))
        ext = EXT[fmt]
        vs = [v for v in variants if v != "rescan" or fmt == "dependency-check-xml"]
        paths = {v: os.path.join(args.out, name + ("" if v == "base" else "." + v) + "." + ext) for v in vs}
        out = Outputs(paths)
        plan = Plan(args.seed, args.removed_pct, args.modified_pct)
        target = int(args.size_mb * 1e6)
        if fmt == "zap-json":
            info = gen_zap(src, out, plan, target, args.namespace, args.zap_variants_per_site)
        elif fmt == "dependency-check-xml":
            info = gen_dc(src, out, plan, target, args.namespace, args.dc_clean_fraction)
        elif fmt == "sarif":
            info = gen_sarif(src, out, plan, target, args.namespace, args.sarif_rule_variants)
        else:
            info = gen_trivy(src, out, plan, target, args.namespace)
        out.close()
        meta = {"format": fmt, "source": os.path.relpath(src, CORPUS) if src.startswith(CORPUS) else src,
                "seed": args.seed, "namespace": args.namespace, "files": {v: os.path.basename(p) for v, p in paths.items()},
                "bytes": out.bytes, "changed_plan": plan.counts if "changed" in paths else None, **info}
        with open(os.path.join(args.out, name + ".meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
        print(json.dumps(meta))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
