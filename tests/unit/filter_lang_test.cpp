// The query filter language: parsing, errors with positions, compilation to parameterized SQL,
// glob semantics, and which rows of a real (in-memory) store each field selects.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"
#include "store/store.h"

using namespace findex;

namespace {

// --- glob ---

TEST(FilterGlob, StarStaysInsideOneSegment) {
  EXPECT_TRUE(GlobMatch("src/*.py", "src/a.py"));
  EXPECT_FALSE(GlobMatch("src/*.py", "src/app/a.py"));
  EXPECT_TRUE(GlobMatch("*", "a.py"));
  EXPECT_FALSE(GlobMatch("*", "src/a.py"));
  EXPECT_TRUE(GlobMatch("src/*/main.py", "src/app/main.py"));
  EXPECT_FALSE(GlobMatch("src/*/main.py", "src/a/b/main.py"));
  EXPECT_TRUE(GlobMatch("*.py", ".py"));  // * matches the empty run
}

TEST(FilterGlob, DoubleStarCrossesSegments) {
  EXPECT_TRUE(GlobMatch("src/**", "src/a.py"));
  EXPECT_TRUE(GlobMatch("src/**", "src/app/deep/a.py"));
  EXPECT_FALSE(GlobMatch("src/**", "lib/src/a.py"));
  EXPECT_TRUE(GlobMatch("**/test_*.py", "test_a.py"));        // **/ spans zero directories
  EXPECT_TRUE(GlobMatch("**/test_*.py", "a/b/test_a.py"));
  EXPECT_FALSE(GlobMatch("**/test_*.py", "a/test_/b.py"));    // the * part cannot cross '/'
  EXPECT_TRUE(GlobMatch("src/**/x*.py", "src/a/b/xy.py"));
  EXPECT_TRUE(GlobMatch("src/**/x*.py", "src/xy.py"));
  EXPECT_FALSE(GlobMatch("src/**/x*.py", "src/a/xb/c.py"));  // a plain SQLite GLOB would match this
  EXPECT_TRUE(GlobMatch("http://host/**", "http://host/a/b?c=d"));
  EXPECT_TRUE(GlobMatch("a**z", "a/b/z"));
}

TEST(FilterGlob, QuestionMarkAndEscapes) {
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "a/c"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatch("a\\*c", "a*c"));
  EXPECT_FALSE(GlobMatch("a\\*c", "abc"));
  EXPECT_TRUE(GlobMatch("[x]", "[x]"));  // brackets are plain characters
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(FilterGlob, WithoutSegmentsSlashIsOrdinary) {
  EXPECT_TRUE(GlobMatch("*injection*", "SQL/XSS injection here", false));
  EXPECT_FALSE(GlobMatch("*injection*", "SQL/XSS injection here", true));
  EXPECT_TRUE(GlobMatch("a?c", "a/c", false));
  EXPECT_TRUE(GlobMatch("a**c", "a/b/c", false));
  EXPECT_FALSE(GlobMatch("a*d", "a/b/c", false));
}

TEST(FilterGlob, ManyStarsStayFast) {
  std::string text(5000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("**a**a**a", text));
}

// --- parsing and compilation ---

TEST(FilterLang, BlankExpressionHasNoCondition) {
  auto w = CompileExpression("   ");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->clause, "");
  EXPECT_TRUE(w->params.empty());
}

TEST(FilterLang, AndBindsTighterThanOr) {
  auto w = CompileExpression("scanner=zap or scanner=semgrep and severity>=HIGH");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->clause,
            "(scanner COLLATE NOCASE = ? OR (scanner COLLATE NOCASE = ? AND severity >= CAST(? AS INTEGER)))");
  EXPECT_EQ(w->params, (std::vector<std::string>{"zap", "semgrep", "3"}));
  auto p = CompileExpression("(scanner=zap OR scanner=semgrep) AND severity>=high");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->clause,
            "((scanner COLLATE NOCASE = ? OR scanner COLLATE NOCASE = ?) AND severity >= CAST(? AS INTEGER))");
}

TEST(FilterLang, SymbolicOperatorsAndNot) {
  auto a = CompileExpression("!(scanner=zap) && severity!=LOW || state==ACTIVE");
  auto b = CompileExpression("NOT (scanner=zap) and severity != low OR state = active");
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ(a->clause, b->clause);
  EXPECT_EQ(a->params, b->params);
  EXPECT_EQ(a->params.back(), "ACTIVE");
}

TEST(FilterLang, ValuesAreBoundNeverSpliced) {
  auto w = CompileExpression(R"(title="x'; DROP TABLE findings; --" or rule="say \"hi\" \\ ok")");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->clause.find("DROP"), std::string::npos);
  EXPECT_EQ(w->clause.find("say"), std::string::npos);
  EXPECT_EQ(w->params, (std::vector<std::string>{"x'; DROP TABLE findings; --", "say \"hi\" \\ ok"}));
}

TEST(FilterLang, InListAndNotIn) {
  auto w = CompileExpression("severity in (high, Critical) and scanner not in (zap, \"semgrep\")");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->params, (std::vector<std::string>{"3", "4", "zap", "semgrep"}));
  EXPECT_NE(w->clause.find("(NOT scanner COLLATE NOCASE IN (?, ?))"), std::string::npos) << w->clause;
}

struct ErrCase {
  const char* expr;
  const char* where;
  const char* message_part;
};

TEST(FilterLang, ErrorsNameLineAndColumn) {
  const ErrCase cases[] = {
      {"severity>=HIGH and sevrity=LOW", "query: 1:20", "unknown field 'sevrity' (did you mean severity?)"},
      {"bogus=1", "query: 1:1", "unknown field 'bogus' (fields: severity, scanner"},
      {"severity>=HGH", "query: 1:11", "unknown severity 'HGH'"},
      {"scanner=zap and", "query: 1:16", "expected a field name, got end of expression"},
      {"scanner zap", "query: 1:9", "expected an operator"},
      {"scanner=", "query: 1:9", "expected a value after '='"},
      {"(scanner=zap", "query: 1:13", "expected ')'"},
      {"scanner=zap)", "query: 1:12", "unexpected ')'"},
      {"scanner=zap severity=HIGH", "query: 1:13", "missing 'and' or 'or'"},
      {"title=\"abc", "query: 1:7", "unterminated string"},
      {"title='abc'", "query: 1:7", "double quotes"},
      {"scanner=zap & x=1", "query: 1:13", "unexpected '&'"},
      {"scanner>zap", "query: 1:8", "operator '>' does not apply to scanner"},
      {"severity~HIGH", "query: 1:9", "operator '~' does not apply to severity"},
      {"state=SUPPRESSED", "query: 1:7", "SUPPRESSED is a workflow status"},
      {"workflow=ARCHIVED", "query: 1:10", "ARCHIVED is a state"},
      {"occurrences>=many", "query: 1:14", "occurrences takes a whole number"},
      {"scanner in zap", "query: 1:12", "expected '(' after 'in'"},
      {"scanner in (zap semgrep)", "query: 1:17", "expected ',' or ')'"},
      {"scanner=zap and\n  titel=x", "query: 2:3", "did you mean title?"},
      {"title=\"héllo\" and x=1", "query: 1:19", "unknown field 'x'"},  // columns count characters
  };
  for (const auto& c : cases) {
    auto w = CompileExpression(c.expr);
    ASSERT_FALSE(w.ok()) << c.expr;
    EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(w.error().where, c.where) << c.expr << " -> " << w.error().ToString();
    EXPECT_NE(w.error().message.find(c.message_part), std::string::npos) << c.expr << " -> " << w.error().message;
  }
  EXPECT_EQ(CompileExpression("severity>=HIGH and sevrity=LOW").error().ToString(),
            "query: 1:20: unknown field 'sevrity' (did you mean severity?)");
}

TEST(FilterLang, ExploitFieldsCompileNullSafe) {
  const int64_t kJan6 = DaysFromCivil(2026, 1, 6) * 86400000LL;
  auto w = CompileExpression("kev=true and ransomware=false");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->clause, "((kev IS NOT NULL AND kev = 1) AND (ransomware IS NOT NULL AND ransomware = 0))");
  w = CompileExpression("kev=unknown or kev=\"\"");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->clause, "(kev IS NULL OR kev IS NULL)");
  w = CompileExpression("not kev=true");  // includes no data: the complement
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->clause, "(NOT (kev IS NOT NULL AND kev = 1))");
  w = CompileExpression("epss>=0.1 and epss_percentile<0.95");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->clause,
            "((epss IS NOT NULL AND epss >= CAST(? AS DOUBLE PRECISION)) AND (epss_percentile IS NOT NULL AND "
            "epss_percentile < CAST(? AS DOUBLE PRECISION)))");
  EXPECT_EQ(w->params, (std::vector<std::string>{"0.1", "0.95"}));
  w = CompileExpression("kev_due<=now+7d and kev in (true, unknown)", kJan6);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->clause, "((kev_due IS NOT NULL AND kev_due <= ?) AND ((kev IS NOT NULL AND kev = 1) OR kev IS NULL))");
  EXPECT_EQ(w->params, (std::vector<std::string>{"2026-01-13"}));
  const ErrCase cases[] = {
      {"kev=maybe", "query: 1:5", "kev takes true, false or unknown"},
      {"kev>true", "query: 1:4", "operator '>' does not apply to kev"},
      {"epss>=10", "query: 1:7", "epss takes a number from 0 to 1"},
      {"epss>=abc", "query: 1:7", "epss takes a number from 0 to 1"},
      {"epss_percentile>\"\"", "query: 1:17", "needs a value"},
      {"kev_due<2026-02-30x", "query: 1:9", "kev_due takes a date"},
      {"kev_due<2026-01-01T00:00:00Z", "query: 1:9", "kev_due takes a date"},
      {"sla=breached", "query: 1:1", "sla needs an SLA policy"},
  };
  for (const auto& c : cases) {
    auto e = CompileExpression(c.expr, kJan6);
    ASSERT_FALSE(e.ok()) << c.expr;
    EXPECT_EQ(e.error().where, c.where) << c.expr << " -> " << e.error().ToString();
    EXPECT_NE(e.error().message.find(c.message_part), std::string::npos) << c.expr << " -> " << e.error().message;
  }
  // Sort and group keys.
  for (const char* k : {"kev", "kev_due", "epss", "epss_percentile", "sla", "sla_due"}) {
    const auto keys = SortKeys();
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
  }
  FindingFilter f;
  f.order_by = "epss";
  EXPECT_EQ(OrderByClause(f), " ORDER BY (epss IS NULL), epss DESC, severity DESC, id");
  EXPECT_EQ(GroupByColumn("kev").value(), "CASE kev WHEN 1 THEN 'true' WHEN 0 THEN 'false' END");
}

TEST(FilterLang, DeepNestingIsAnErrorNotACrash) {
  std::string e(10000, '(');
  auto w = CompileExpression(e + "scanner=zap");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "not ";
  EXPECT_FALSE(CompileExpression(nots + "scanner=zap").ok());
}

TEST(FilterLang, EveryFieldCompiles) {
  const SlaPolicy sla;
  for (const auto& f : ExpressionFields()) {
    const bool time = f == "first_seen" || f == "last_seen" || f == "updated" || f == "kev_due" || f == "sla_due";
    const bool ordered_only = f == "age" || f == "sla_due" || f == "sla_days_left";
    std::string v = f == "severity" ? "HIGH" : f == "state" ? "ACTIVE" : (f == "workflow" || f == "triage" || f == "lifecycle") ? "NEW"
                   : (f == "occurrences" || f == "normalized" || f == "sla_days_left") ? "1" : time ? "2026-01-01" : f == "age" ? "30d"
                   : (f == "kev" || f == "ransomware") ? "true" : (f == "epss" || f == "epss_percentile") ? "0.5"
                   : f == "sla" ? "breached" : "x";
    auto w = CompileExpression(f + (ordered_only ? ">" : "=") + v, 0, &sla);
    EXPECT_TRUE(w.ok()) << f << ": " << w.error().ToString();
  }
  EXPECT_EQ(ExpressionFields().size(), 33u);
}

// --- times: absolute, relative, durations ---

constexpr int64_t kDay = 86400 * 1000LL;
const int64_t kJan6 = DaysFromCivil(2026, 1, 6) * kDay;  // 2026-01-06T00:00:00Z

TEST(FilterTime, AbsoluteTimesAndDates) {
  bool date_only = false;
  EXPECT_EQ(ParseFilterTime("2026-01-06", 0, &date_only), kJan6);
  EXPECT_TRUE(date_only);
  EXPECT_EQ(ParseFilterTime("2026-01-06T10:00:00+02:00", 0, &date_only), kJan6 + 8 * 3600 * 1000LL);
  EXPECT_FALSE(date_only);
  EXPECT_EQ(ParseFilterTime("2026-01-06T00:00:00.250Z", 0), kJan6 + 250);
  for (const char* bad : {"2026-13-01", "2026-1-1", "2026-01-32", "yesterday", "", "2026-01-06T25:00:00Z",
                          "2026-01-06 10:00", "20260106"}) {
    EXPECT_FALSE(ParseFilterTime(bad, kJan6).has_value()) << bad;
  }
}

TEST(FilterTime, RelativeTimesUseTheGivenClock) {
  EXPECT_EQ(ParseFilterTime("now", kJan6), kJan6);
  EXPECT_EQ(ParseFilterTime("now-30d", kJan6), kJan6 - 30 * kDay);
  EXPECT_EQ(ParseFilterTime("NOW-2w", kJan6), kJan6 - 14 * kDay);
  EXPECT_EQ(ParseFilterTime("now+12h", kJan6), kJan6 + kDay / 2);
  for (const char* bad : {"now-30", "now-30y", "now30d", "now-", "now--3d", "now-3.5d", "now-99999999d", "nowish"}) {
    EXPECT_FALSE(ParseFilterTime(bad, kJan6).has_value()) << bad;
  }
  EXPECT_EQ(ParseFilterDuration("30d"), 30 * kDay);
  EXPECT_EQ(ParseFilterDuration("1H"), 3600 * 1000LL);
  EXPECT_EQ(ParseFilterDuration("2w"), 14 * kDay);
  for (const char* bad : {"30", "d", "-3d", "3.5d", "3dd", ""}) EXPECT_FALSE(ParseFilterDuration(bad).has_value()) << bad;
}

TEST(FilterTime, InvalidTimesAreErrorsWithTheColumn) {
  const ErrCase cases[] = {
      {"first_seen<2026-13-01", "query: 1:12", "first_seen takes an RFC 3339 time"},
      {"scanner=zap and last_seen>=now-3x", "query: 1:28", "got 'now-3x'"},
      {"updated>yesterday", "query: 1:9", "now-N with a unit h, d or w"},
      {"age>30", "query: 1:5", "age takes a duration"},
      {"age=30d", "query: 1:4", "operator '=' does not apply to age"},
      {"age~\"3*\"", "query: 1:4", "operator '~' does not apply to age"},
  };
  for (const auto& c : cases) {
    auto w = CompileExpression(c.expr, kJan6);
    ASSERT_FALSE(w.ok()) << c.expr;
    EXPECT_EQ(w.error().where, c.where) << c.expr << " -> " << w.error().ToString();
    EXPECT_NE(w.error().message.find(c.message_part), std::string::npos) << c.expr << " -> " << w.error().message;
  }
  // A valid time is bound in canonical UTC form.
  auto w = CompileExpression("first_seen<now-5d", kJan6);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->params, (std::vector<std::string>{"2026-01-01T00:00:00.000Z"}));
  w = CompileExpression("age>=1w", kJan6);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->clause, "first_observed_at <= ?");
  EXPECT_EQ(w->params, (std::vector<std::string>{"2025-12-30T00:00:00.000Z"}));
}

TEST(FilterLang, FieldsAndValuesAreReported) {
  auto w = CompileExpression("scanner in (zap, zpa) and not scope=\"repo:mian\" and severity>=HIGH");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->fields, (std::vector<std::string>{"scanner", "scope", "severity"}));
  ASSERT_EQ(w->values.size(), 3u);
  EXPECT_EQ(w->values[1].value, "zpa");
  EXPECT_EQ(w->values[1].where, "query: 1:18");
  EXPECT_EQ(w->values[2].field, "scope");
  EXPECT_EQ(w->values[2].value, "repo:mian");
}

TEST(FilterLang, ClosestMatchSuggestsOnlyCloseNames) {
  const std::vector<std::string> known = {"zap", "semgrep", "dependency-check", "repo:main"};
  EXPECT_EQ(ClosestMatch("zpa", known), "zap");
  EXPECT_EQ(ClosestMatch("SEMGREP", known), "semgrep");
  EXPECT_EQ(ClosestMatch("repo:mian", known), "repo:main");
  EXPECT_EQ(ClosestMatch("dependency-chek", known), "dependency-check");
  EXPECT_EQ(ClosestMatch("trivy", known), "");
  EXPECT_EQ(ClosestMatch("ab", known), "");
}

// --- against a store ---

class FilterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(":memory:");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(s.value());
    // Run 1 (2026-01-01): everything; run 2 of semgrep (2026-01-05) without "lib", so it resolves.
    Finding zap = Make("zap-sqli", "zap", SeverityLabel::kHigh, "SQL Injection");
    zap.format = "zap-xml";
    zap.generator_id = "40018";
    zap.location.url = "http://localhost:8080/bodgeit/login.jsp";
    Finding main_py = Make("main", "semgrep", SeverityLabel::kMedium, "Use of eval");
    main_py.generator_id = "python.eval";
    main_py.location.file_path = "src/app/main.py";
    main_py.location.start_line = 12;
    Finding lib = Make("lib", "semgrep", SeverityLabel::kLow, "Weak hash");
    lib.location.file_path = "src/lib.py";
    lib.location.start_line = 3;
    Finding nums = Make("v2", "semgrep", SeverityLabel::kLow, "File name ends in digits");
    nums.location.file_path = "docs/v2";  // no line: the digits are part of the path
    Finding dep = Make("lodash", "grype", SeverityLabel::kCritical, "lodash: command injection");
    Vulnerability v;
    v.id = "CVE-2021-23337";
    VulnerablePackage p;
    p.name = "lodash";
    p.version = "4.17.20";
    v.vulnerable_packages.push_back(p);
    dep.vulnerabilities.push_back(v);
    dep.resources.front().id = "pkg:npm/lodash@4.17.20";
    dep.location.file_path = "package-lock.json";
    Finding shell = Make("shell", "falco", SeverityLabel::kInformational, "Terminal shell in container");
    shell.occurrences = 7;
    shell.workflow = WorkflowStatus::kSuppressed;
    Put("zap", {zap}, "2026-01-01T00:00:00.000Z");
    Put("semgrep", {main_py, lib, nums}, "2026-01-01T00:00:00.000Z");
    Put("grype", {dep}, "2026-01-01T00:00:00.000Z");
    Put("falco", {shell}, "2026-01-01T00:00:00.000Z", true);
    Put("semgrep", {main_py, nums}, "2026-01-05T00:00:00.000Z");
  }

  static Finding Make(const std::string& key, const std::string& scanner, SeverityLabel label,
                      const std::string& title) {
    Finding f;
    f.scanner = scanner;
    f.format = scanner;
    f.fingerprint = FingerprintOf({"filter", key});
    f.generator_id = "rule-" + key;
    f.title = title;
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    Finalize(f, AsffContext{}, "repo:main", "2026-01-01T00:00:00.000Z");
    f.first_observed_at.clear();
    f.last_observed_at.clear();
    return f;
  }

  void Put(const std::string& scanner, const std::vector<Finding>& fs, const std::string& now, bool events = false) {
    RunInfo info{"file-" + scanner, scanner, scanner, "repo:main", ++hash_, 1, now, events, nullptr};
    ASSERT_TRUE(store_->BeginRun(info).ok());
    for (Finding f : fs) ASSERT_TRUE(store_->Put(std::move(f)).ok());
    ASSERT_TRUE(store_->CommitRun().ok());
  }

  // Titles of the rows an expression selects (through ForEach, as query and export do).
  std::set<std::string> Titles(const std::string& expr, int64_t now_ms = 0) {
    std::set<std::string> out;
    FindingFilter f;
    f.expression = expr;
    f.now_ms = now_ms;
    Status st = store_->ForEach(f, [&](FindingRow&& r) {
      out.insert(r.finding.title);
      return true;
    });
    EXPECT_TRUE(st.ok()) << expr << ": " << st.error().ToString();
    return out;
  }

  std::string Fingerprint(const std::string& key) { return FingerprintOf({"filter", key}).Hex(); }

  std::unique_ptr<Store> store_;
  uint64_t hash_ = 1;
};

using Set = std::set<std::string>;
const std::string kSqli = "SQL Injection", kEval = "Use of eval", kWeak = "Weak hash",
                  kDigits = "File name ends in digits", kLodash = "lodash: command injection",
                  kShell = "Terminal shell in container";

TEST_F(FilterStoreTest, SeverityComparesByRank) {
  EXPECT_EQ(Titles("severity>=HIGH"), (Set{kSqli, kLodash}));
  EXPECT_EQ(Titles("severity<medium"), (Set{kWeak, kDigits, kShell}));
  EXPECT_EQ(Titles("severity=info"), (Set{kShell}));
  EXPECT_EQ(Titles("severity in (LOW, CRITICAL)"), (Set{kWeak, kDigits, kLodash}));
  EXPECT_EQ(Titles("severity != LOW and severity <= HIGH"), (Set{kSqli, kEval, kShell}));
}

TEST_F(FilterStoreTest, TextFields) {
  EXPECT_EQ(Titles("scanner=SEMGREP"), (Set{kEval, kWeak, kDigits}));  // case-insensitive
  EXPECT_EQ(Titles("format=zap-xml"), (Set{kSqli}));
  EXPECT_EQ(Titles("rule=python.eval"), (Set{kEval}));
  EXPECT_EQ(Titles("rule=PYTHON.EVAL"), (Set{}));  // rule ids are exact
  EXPECT_EQ(Titles("title=\"sql injection\""), (Set{kSqli}));
  EXPECT_EQ(Titles("title~\"*injection*\""), (Set{kSqli, kLodash}));
  EXPECT_EQ(Titles("title~\"*IN CONTAINER\""), (Set{kShell}));  // case-insensitive glob
  EXPECT_EQ(Titles("rule~\"python.*\""), (Set{kEval}));
  EXPECT_EQ(Titles("scope=repo:main and scanner=zap"), (Set{kSqli}));
  EXPECT_EQ(Titles("scope=\"repo:other\""), (Set{}));
}

TEST_F(FilterStoreTest, StateAndWorkflow) {
  EXPECT_EQ(Titles("state=archived"), (Set{kWeak}));
  EXPECT_EQ(Titles("workflow=RESOLVED"), (Set{kWeak}));
  EXPECT_EQ(Titles("workflow=SUPPRESSED"), (Set{kShell}));
  EXPECT_EQ(Titles("state=ACTIVE and workflow!=SUPPRESSED and scanner=semgrep"), (Set{kEval, kDigits}));
}

TEST_F(FilterStoreTest, LocationPathAndUrl) {
  EXPECT_EQ(Titles("path~\"src/**\""), (Set{kEval, kWeak}));
  EXPECT_EQ(Titles("path~\"src/*\""), (Set{kWeak}));  // src/app/main.py is one level deeper
  EXPECT_EQ(Titles("path~\"src/*.py\""), (Set{kWeak}));
  EXPECT_EQ(Titles("path~\"**/main.py\""), (Set{kEval}));
  EXPECT_EQ(Titles("path=src/app/main.py"), (Set{kEval}));
  EXPECT_EQ(Titles("path=docs/v2"), (Set{kDigits}));  // trailing digits without ':' stay
  EXPECT_EQ(Titles("path=package-lock.json"), (Set{kLodash}));
  EXPECT_EQ(Titles("location=src/app/main.py:12"), (Set{kEval}));
  EXPECT_EQ(Titles("location~\"*:3\""), (Set{}));  // * stays inside a path segment
  EXPECT_EQ(Titles("location~\"**:3\""), (Set{kWeak}));
  EXPECT_EQ(Titles("url~\"http://localhost:8080/**\""), (Set{kSqli}));
  EXPECT_EQ(Titles("url~\"http://localhost:8080/*\""), (Set{}));  // login.jsp is under /bodgeit/
  EXPECT_EQ(Titles("path~\"**\""), (Set{kEval, kWeak, kDigits, kLodash}));  // URLs have no path
  EXPECT_EQ(Titles("url=\"\""), (Set{kEval, kWeak, kDigits, kLodash, kShell}));  // "" means absent
}

TEST_F(FilterStoreTest, NullableFieldsAndNegation) {
  EXPECT_EQ(Titles("package=LODASH"), (Set{kLodash}));
  EXPECT_EQ(Titles("vuln=cve-2021-23337"), (Set{kLodash}));
  EXPECT_EQ(Titles("cve~\"CVE-2021-*\""), (Set{kLodash}));
  EXPECT_EQ(Titles("resource=\"pkg:npm/lodash@4.17.20\""), (Set{kLodash}));
  // A finding without a package is "not lodash": NOT is a complement, not SQL's NULL logic.
  EXPECT_EQ(Titles("package!=lodash").size(), 5u);
  EXPECT_EQ(Titles("not package=lodash").size(), 5u);
  EXPECT_EQ(Titles("not package in (lodash)").size(), 5u);
  EXPECT_EQ(Titles("package not in (lodash, \"\")"), (Set{}));
  EXPECT_EQ(Titles("package=\"\"").size(), 5u);
  EXPECT_EQ(Titles("package!~\"lo*\"").size(), 5u);
}

TEST_F(FilterStoreTest, IdByAsffIdOrFingerprintPrefix) {
  const std::string fp = Fingerprint("main");
  EXPECT_EQ(Titles("id=" + fp.substr(0, 8)), (Set{kEval}));
  EXPECT_EQ(Titles("id=" + ToUpper(fp.substr(0, 12))), (Set{kEval}));
  std::string asff_id;
  FindingFilter f;
  f.expression = "title=\"Weak hash\"";
  ASSERT_TRUE(store_->ForEach(f, [&](FindingRow&& r) { asff_id = r.finding.id; return true; }).ok());
  ASSERT_FALSE(asff_id.empty());
  EXPECT_EQ(Titles("id=\"" + asff_id + "\""), (Set{kWeak}));
  EXPECT_EQ(Titles("id in (\"" + asff_id + "\", " + fp.substr(0, 6) + ")"), (Set{kWeak, kEval}));
  EXPECT_EQ(Titles("id~\"*" + asff_id.substr(asff_id.size() - 10) + "\""), (Set{kWeak}));
}

TEST_F(FilterStoreTest, TimestampsCompareAsText) {
  EXPECT_EQ(Titles("updated>=2026-01-05"), (Set{kEval, kDigits, kWeak}));  // kWeak resolved then
  EXPECT_EQ(Titles("last_seen>=2026-01-05"), (Set{kEval, kDigits}));
  EXPECT_EQ(Titles("first_seen<2026-01-02 and scanner=semgrep"), (Set{kEval, kWeak, kDigits}));
  EXPECT_EQ(Titles("first-seen~\"2026-01-01T*\"").size(), 6u);
}

TEST_F(FilterStoreTest, DatesAndRelativeTimes) {
  // Run 1 on 2026-01-01, semgrep's run 2 on 2026-01-05; the clock is 2026-01-06.
  EXPECT_EQ(Titles("first_seen=2026-01-01", kJan6).size(), 6u);  // a date alone: the whole day
  EXPECT_EQ(Titles("last_seen=2026-01-05", kJan6), (Set{kEval, kDigits}));
  EXPECT_EQ(Titles("updated<=2026-01-01", kJan6), (Set{kSqli, kLodash, kShell}));  // midnight
  EXPECT_EQ(Titles("last_seen>=now-2d", kJan6), (Set{kEval, kDigits}));
  EXPECT_EQ(Titles("last_seen<now-2d", kJan6), (Set{kSqli, kWeak, kLodash, kShell}));
  EXPECT_EQ(Titles("age>4d", kJan6).size(), 6u);
  EXPECT_EQ(Titles("age>1w", kJan6).size(), 0u);
  EXPECT_EQ(Titles("age<=1w and scanner=semgrep", kJan6), (Set{kEval, kWeak, kDigits}));
  EXPECT_EQ(Titles("age>5d", DaysFromCivil(2026, 1, 8) * kDay).size(), 6u);  // the clock moves
  EXPECT_EQ(Titles("first_seen in (2025-12-31, 2026-01-01)", kJan6).size(), 6u);
}

TEST_F(FilterStoreTest, IdAsTriageTakesIt) {
  // Store::Resolve (triage, history) and query accept the same ids.
  std::map<std::string, int64_t> rowids;
  std::map<std::string, std::string> ids;
  FindingFilter all;
  ASSERT_TRUE(store_->ForEach(all, [&](FindingRow&& r) {
    rowids[r.finding.title] = r.rowid;
    ids[r.finding.title] = r.finding.id;
    return true;
  }).ok());
  for (const auto& [title, rowid] : rowids) {
    const std::string fp = Fingerprint(title == kSqli ? "zap-sqli" : title == kEval ? "main" : title == kWeak ? "lib"
                                       : title == kDigits ? "v2" : title == kLodash ? "lodash" : "shell");
    const std::string hash = ids[title].substr(7);  // after "findex/"
    for (const std::string& key : {std::to_string(rowid), fp.substr(0, 8), hash.substr(0, 8), ids[title],
                                   ids[title].substr(0, 15)}) {
      auto resolved = store_->Resolve(key);
      ASSERT_TRUE(resolved.ok()) << key << ": " << resolved.error().ToString();
      EXPECT_EQ(*resolved, rowid) << key;
      FindingFilter f;
      f.id = key;
      std::set<std::string> got;
      ASSERT_TRUE(store_->ForEach(f, [&](FindingRow&& r) { got.insert(r.finding.title); return true; }).ok());
      EXPECT_EQ(got, (Set{title})) << key;
    }
  }
}

TEST_F(FilterStoreTest, Numbers) {
  EXPECT_EQ(Titles("occurrences>=5"), (Set{kShell}));
  EXPECT_EQ(Titles("occurrences=0").size(), 5u);
  EXPECT_EQ(Titles("normalized>=70"), (Set{kSqli, kLodash}));
  EXPECT_EQ(Titles("normalized in (0, 95)"), (Set{kShell, kLodash}));
}

TEST_F(FilterStoreTest, ExpressionAndsWithFlagFilters) {
  FindingFilter f;
  f.scanners = {"semgrep"};
  f.expression = "severity>=LOW and state=ACTIVE";
  std::set<std::string> got;
  ASSERT_TRUE(store_->ForEach(f, [&](FindingRow&& r) { got.insert(r.finding.title); return true; }).ok());
  EXPECT_EQ(got, (Set{kEval, kDigits}));
  f.limit = 1;
  got.clear();
  ASSERT_TRUE(store_->ForEach(f, [&](FindingRow&& r) { got.insert(r.finding.title); return true; }).ok());
  EXPECT_EQ(got, (Set{kEval}));  // severity order: MEDIUM first
}

TEST_F(FilterStoreTest, GroupByWithExpression) {
  FindingFilter f;
  f.expression = "state=ACTIVE and severity>=LOW";
  auto g = store_->GroupBy(f, "scanner");
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  std::map<std::string, uint64_t> counts;
  for (const auto& gc : *g) counts[gc.key] = gc.count;
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{{"grype", 1}, {"semgrep", 2}, {"zap", 1}}));
  auto p = store_->GroupBy(f, "path");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  counts.clear();
  for (const auto& gc : *p) counts[gc.key] = gc.count;
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{
                        {"(none)", 1}, {"docs/v2", 1}, {"package-lock.json", 1}, {"src/app/main.py", 1}}));
}

TEST_F(FilterStoreTest, InjectionAttemptIsJustAValue) {
  EXPECT_EQ(Titles("title=\"x' OR 1=1 --\" or scanner=\"zap') OR ('1'='1\""), (Set{}));
  EXPECT_EQ(Titles("severity>=INFORMATIONAL").size(), 6u);  // table intact
}

TEST_F(FilterStoreTest, GlobFunctionIsAvailableToSql) {
  int64_t n = -1;
  Status st = store_->Sql("SELECT count(*) FROM v_findings WHERE findex_glob('src/**', location)",
                          [&](const auto&, const auto& vals) { n = std::stoll(*vals[0]); });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(n, 2);
}

}  // namespace
