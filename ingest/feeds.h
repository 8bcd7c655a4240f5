// Prioritisation feeds that findex reads offline (issue 11): CISA's Known Exploited
// Vulnerabilities catalog and FIRST's EPSS scores. findex never downloads them; a CI job or cron
// fetches the files (README) and `findex enrich` loads them.
//
// KEV: the catalog's published JSON (https://www.cisa.gov/known-exploited-vulnerabilities-catalog,
// known_exploited_vulnerabilities.json): {catalogVersion, dateReleased, count, vulnerabilities:
// [{cveID, vendorProject, product, vulnerabilityName, dateAdded, shortDescription,
// requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes}]}.
// EPSS: FIRST's daily CSV (https://www.first.org/epss/data_stats, epss_scores-YYYY-MM-DD.csv.gz),
// plain or gzipped: a first line `#model_version:...,score_date:...`, then the header
// `cve,epss,percentile`, then one line per CVE.
#pragma once

#include <string>
#include <vector>

#include "ingest/source.h"
#include "normalize/exploit.h"  // KevCatalog, EpssFeed
#include "normalize/result.h"

namespace findex {

// A malformed catalog is one error (file, offset, reason); an entry without a CVE id is skipped
// and counted.
Result<KevCatalog> ParseKev(const Source& src, size_t* skipped = nullptr);

// A line that is not `CVE-...,number,number` with numbers in 0..1 is an error naming its line:
// a feed is loaded whole or not at all.
Result<EpssFeed> ParseEpss(const Source& src);

}  // namespace findex
