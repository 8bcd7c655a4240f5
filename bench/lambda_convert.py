#!/usr/bin/env python3
"""A Lambda-style ZAP JSON -> ASFF converter: the "no store at all" competitor of findex ingest.

What the AWS sample Lambdas that forward OWASP ZAP results to Security Hub do, with the Python
standard library only: `json.load` the whole report, rewrite every instance of every alert of
every site into one ASFF finding dict (one finding per instance, as those samples do), and
write the list as JSON to a file (where a Lambda would call BatchImportFindings in pages of 100).
No deduplication, no store, no history: the lower bound of what any ingest has to do in Python.

`--per alert` makes one finding per (site, alert) instead, its instances as Resources (at most
32): the same findings findex stores, a fifth of the output on the generated reports.

Usage: bench/lambda_convert.py REPORT.json OUT.json [--per instance|alert] [--account-id ID] [--region R]
Prints one line on stderr: findings written, seconds. Exit 0, or 2 when the report is unusable.
"""

import argparse
import hashlib
import json
import sys
import time
from datetime import datetime, timezone

# ZAP riskcode -> ASFF Severity.Label and Normalized (0-100), as the samples map it.
SEVERITY = {"0": ("INFORMATIONAL", 0), "1": ("LOW", 20), "2": ("MEDIUM", 50), "3": ("HIGH", 70), "4": ("CRITICAL", 90)}


def strip_p(text):
    """ZAP wraps its texts in <p>...</p>; the samples strip the tags."""
    return text.replace("<p>", "").replace("</p>", "\n").strip() if text else ""


def convert(report, account_id, region, now, per="instance"):
    product_arn = f"arn:aws:securityhub:{region}:{account_id}:product/{account_id}/default"
    findings = []
    for site in report.get("site", []):
        site_name = site.get("@name", "")
        for alert in site.get("alerts", []):
            label, normalized = SEVERITY.get(str(alert.get("riskcode", "0")), ("INFORMATIONAL", 0))
            plugin = str(alert.get("pluginid", ""))
            title = alert.get("name") or alert.get("alert") or plugin
            description = strip_p(alert.get("desc", ""))
            if len(description) > 1024:  # ASFF's limit on Description
                description = description[:1021] + "..."
            solution = strip_p(alert.get("solution", ""))
            if len(solution) > 512:  # ASFF's limit on Remediation.Recommendation.Text
                solution = solution[:509] + "..."
            refs = strip_p(alert.get("reference", "")).split("\n")
            url = next((r for r in refs if r.startswith("http")), None)
            instances = alert.get("instances", []) or [{}]
            if per == "alert":  # one finding per (site, alert), its instances as Resources (at most 32)
                groups = [(instances[0], [i.get("uri", "") or site_name for i in instances[:32]])]
            else:  # one finding per instance
                groups = [(inst, [inst.get("uri", "") or site_name]) for inst in instances]
            for inst, uris in groups:
                uri = uris[0]
                if per == "alert":
                    key = "|".join((site_name, plugin))
                else:
                    key = "|".join((site_name, plugin, uri, inst.get("method", ""), inst.get("param", "")))
                fid = hashlib.sha256(key.encode()).hexdigest()
                rec = {"Text": solution or "See the ZAP alert."}
                if url:
                    rec["Url"] = url
                findings.append({
                    "SchemaVersion": "2018-10-08",
                    "Id": f"zap/{fid}",
                    "ProductArn": product_arn,
                    "GeneratorId": f"zap-{plugin}",
                    "AwsAccountId": account_id,
                    "Types": ["Software and Configuration Checks/Vulnerabilities/OWASP ZAP"],
                    "CreatedAt": now,
                    "UpdatedAt": now,
                    "Severity": {"Label": label, "Normalized": normalized, "Original": alert.get("riskdesc", "")},
                    "Title": title[:256],
                    "Description": description or title,
                    "Remediation": {"Recommendation": rec},
                    "ProductFields": {k: v for k, v in (("zap/pluginid", plugin), ("zap/method", inst.get("method", "")),
                                                        ("zap/param", inst.get("param", "")),
                                                        ("zap/cweid", str(alert.get("cweid", "")))) if v.strip()},
                    "Resources": [{"Type": "Other", "Id": u, "Partition": "aws", "Region": region} for u in uris],
                    "RecordState": "ACTIVE",
                })
    return findings


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    ap.add_argument("out")
    ap.add_argument("--account-id", default="000000000000")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--per", choices=["instance", "alert"], default="instance",
                    help="one finding per alert instance (default, as the AWS samples do), or per (site, alert)"
                         " with the instances as Resources (the findings findex stores)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    try:
        with open(args.report, "rb") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"lambda_convert: {args.report}: {e}", file=sys.stderr)
        return 2
    if not isinstance(report, dict) or not isinstance(report.get("site", []), list):
        print(f"lambda_convert: {args.report}: not a ZAP JSON report", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    findings = convert(report, args.account_id, args.region, now, args.per)
    # json.dumps then one write: the same bytes as json.dump(findings, f), which streams through the
    # pure-Python iterencode in small chunks and is ~1.2x slower; the faster form is the fairer competitor.
    text = json.dumps(findings)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"lambda_convert: {len(findings)} findings, {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
