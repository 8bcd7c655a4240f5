// cfn_nag aggregate mode: one finding per repository/branch scored as in the AWS sample
// aws-samples/cfn-security-scan-integration (20 x failures + 1 x warnings, Normalized capped at
// 100, Label derived from Normalized as Security Hub does). The golden harness passes no options,
// so the mode is tested here.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ingest/driver.h"
#include "ingest/registry.h"

namespace findex {
namespace {

struct AggRun {
  Status status;
  CollectingSink sink;
};

AggRun IngestCfnNag(const std::string& sample, std::map<std::string, std::string> params) {
  AggRun run;
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/samples/cfn-nag/" + sample);
  EXPECT_TRUE(src.ok()) << sample;
  if (!src.ok()) return run;
  const FormatDescriptor* fmt = FindFormat("cfn-nag");
  EXPECT_NE(fmt, nullptr);
  if (!fmt) return run;
  IngestOptions opts;
  opts.params = std::move(params);
  auto res = IngestSource(*src, fmt, opts, run.sink);
  run.status = res.ok() ? Status::Ok() : Status(res.error());
  return run;
}

std::map<std::string, std::string> Aggregate(std::string repo = "myrepo", std::string branch = "main") {
  return {{"cfn-nag.mode", "aggregate"}, {"cfn-nag.repository", repo}, {"cfn-nag.branch", branch}};
}

TEST(CfnNagAggregate, ScoresFailuresAndWarningsPerLogicalResource) {
  // dd_cfn_nag_many.json: F38 and F3 on PermissiveRole (2 failures), six single-resource
  // warnings plus W48 on two queues (8 warnings): 20 x 2 + 1 x 8 = 48.
  AggRun run = IngestCfnNag("dd_cfn_nag_many.json", Aggregate());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.sink.findings.size(), 1u);
  const Finding& f = run.sink.findings[0];
  EXPECT_EQ(f.severity.original, "48");
  EXPECT_EQ(f.severity.normalized, 48);
  EXPECT_EQ(f.severity.label, SeverityLabel::kMedium);
  EXPECT_EQ(f.title, "CFN scan repo:myrepo/main");
  EXPECT_EQ(f.generator_id, "cfn-nag-myrepo-main");
  EXPECT_EQ(f.product_fields.at("cfn-nag/Failures"), "2");
  EXPECT_EQ(f.product_fields.at("cfn-nag/Warnings"), "8");
  EXPECT_EQ(f.product_fields.at("cfn-nag/Templates"), "1");
  ASSERT_EQ(f.resources.size(), 1u);
  EXPECT_EQ(f.resources[0].id, "myrepo/main");
  EXPECT_FALSE(f.remediation_url.empty());
}

TEST(CfnNagAggregate, FatalViolationsAreNotCounted) {
  // Adds a FATAL template (not counted), a rejected violation, one without an id (rejected) and
  // F1 on two volumes: 4 failures, 8 warnings -> 88, HIGH.
  AggRun run = IngestCfnNag("dd_cfn_nag_many_fatal_bad_records.json", Aggregate());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.sink.rejects.size(), 2u);
  ASSERT_EQ(run.sink.findings.size(), 1u);
  const Finding& f = run.sink.findings[0];
  EXPECT_EQ(f.severity.original, "88");
  EXPECT_EQ(f.severity.normalized, 88);
  EXPECT_EQ(f.severity.label, SeverityLabel::kHigh);
  EXPECT_EQ(f.product_fields.at("cfn-nag/Templates"), "3");
}

TEST(CfnNagAggregate, ScoreAboveOneHundredIsCappedAndCritical) {
  auto params = Aggregate();
  params["cfn-nag.weight-fail"] = "50";  // 50 x 2 + 1 x 8 = 108
  AggRun run = IngestCfnNag("dd_cfn_nag_many.json", params);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.sink.findings.size(), 1u);
  const Finding& f = run.sink.findings[0];
  EXPECT_EQ(f.severity.original, "108");
  EXPECT_EQ(f.severity.normalized, 100);
  EXPECT_EQ(f.severity.label, SeverityLabel::kCritical);
}

TEST(CfnNagAggregate, CleanRunStillReportsAnInformationalFinding) {
  AggRun run = IngestCfnNag("dd_cfn_nag_none.json", Aggregate());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.sink.findings.size(), 1u);
  EXPECT_EQ(run.sink.findings[0].severity.original, "0");
  EXPECT_EQ(run.sink.findings[0].severity.label, SeverityLabel::kInformational);
}

TEST(CfnNagAggregate, WarningsOnlyScoreLow) {
  AggRun run = IngestCfnNag("dd_cfn_nag_one.json", Aggregate());  // one W48: 1
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.sink.findings.size(), 1u);
  EXPECT_EQ(run.sink.findings[0].severity.normalized, 1);
  EXPECT_EQ(run.sink.findings[0].severity.label, SeverityLabel::kLow);
}

TEST(CfnNagAggregate, IdentityIsRepositoryAndBranch) {
  AggRun a = IngestCfnNag("dd_cfn_nag_many.json", Aggregate("myrepo", "main"));
  AggRun b = IngestCfnNag("dd_cfn_nag_one.json", Aggregate("myrepo", "main"));
  AggRun c = IngestCfnNag("dd_cfn_nag_many.json", Aggregate("myrepo", "dev"));
  AggRun d = IngestCfnNag("dd_cfn_nag_many.json", Aggregate("other", "main"));
  ASSERT_EQ(a.sink.findings.size(), 1u);
  ASSERT_EQ(b.sink.findings.size(), 1u);
  ASSERT_EQ(c.sink.findings.size(), 1u);
  ASSERT_EQ(d.sink.findings.size(), 1u);
  EXPECT_EQ(a.sink.findings[0].fingerprint, b.sink.findings[0].fingerprint);
  EXPECT_NE(a.sink.findings[0].fingerprint, c.sink.findings[0].fingerprint);
  EXPECT_NE(a.sink.findings[0].fingerprint, d.sink.findings[0].fingerprint);
}

TEST(CfnNagAggregate, MissingRepositoryAndBranchAreUnknown) {
  AggRun run = IngestCfnNag("dd_cfn_nag_one.json", {{"cfn-nag.mode", "aggregate"}});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.sink.findings.size(), 1u);
  EXPECT_EQ(run.sink.findings[0].title, "CFN scan repo:unknown/unknown");
}

TEST(CfnNagAggregate, DefaultModeIsOneFindingPerViolationAndResource) {
  AggRun run = IngestCfnNag("dd_cfn_nag_many.json", {});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.sink.findings.size(), 10u);
}

TEST(CfnNagAggregate, BadOptionsAreClearErrors) {
  AggRun mode = IngestCfnNag("dd_cfn_nag_many.json", {{"cfn-nag.mode", "sum"}});
  ASSERT_FALSE(mode.status.ok());
  EXPECT_EQ(mode.status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(mode.status.error().message.find("cfn-nag.mode"), std::string::npos);
  auto params = Aggregate();
  params["cfn-nag.weight-warn"] = "many";
  AggRun weight = IngestCfnNag("dd_cfn_nag_many.json", params);
  ASSERT_FALSE(weight.status.ok());
  EXPECT_EQ(weight.status.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace findex
