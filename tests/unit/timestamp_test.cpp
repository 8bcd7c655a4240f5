// RFC 3339 parsing shared by the Falco, Inspector2 and ASFF ingesters.
#include <gtest/gtest.h>

#include "normalize/timestamp.h"

using namespace findex;

TEST(Timestamp, DaysFromCivil) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(0, 3, 1), -719468);
}

TEST(Timestamp, UtcWithoutFraction) {
  Rfc3339Time t;
  ASSERT_TRUE(ParseRfc3339("2024-02-29T12:34:56Z", &t));
  EXPECT_EQ(t.year, 2024);
  EXPECT_EQ(t.month, 2);
  EXPECT_EQ(t.day, 29);
  EXPECT_EQ(t.hour, 12);
  EXPECT_EQ(t.minute, 34);
  EXPECT_EQ(t.second, 56);
  EXPECT_EQ(t.nanos, 0);
  EXPECT_EQ(t.epoch_seconds, 1709210096);
  ASSERT_TRUE(ParseRfc3339("1970-01-01t00:00:00z", &t));
  EXPECT_EQ(t.epoch_seconds, 0);
}

TEST(Timestamp, Fractions) {
  Rfc3339Time t;
  ASSERT_TRUE(ParseRfc3339("2024-01-01T00:00:00.5Z", &t));
  EXPECT_EQ(t.nanos, 500000000);
  ASSERT_TRUE(ParseRfc3339("2024-01-01T00:00:00.123456789Z", &t));
  EXPECT_EQ(t.nanos, 123456789);
  // Digits past nanoseconds are accepted and dropped.
  ASSERT_TRUE(ParseRfc3339("2024-01-01T00:00:00.1234567891234Z", &t));
  EXPECT_EQ(t.nanos, 123456789);
  EXPECT_EQ(t.epoch_seconds, 1704067200);
}

TEST(Timestamp, Offsets) {
  Rfc3339Time t;
  ASSERT_TRUE(ParseRfc3339("2024-01-01T01:30:00+01:30", &t));
  EXPECT_EQ(t.epoch_seconds, 1704067200);
  EXPECT_EQ(t.offset_hours, 1);
  EXPECT_EQ(t.offset_minutes, 30);
  ASSERT_TRUE(ParseRfc3339("2023-12-31T19:00:00-05:00", &t));
  EXPECT_EQ(t.epoch_seconds, 1704067200);
  ASSERT_TRUE(ParseRfc3339("2023-12-31T19:00:00.25-0500", &t));
  EXPECT_EQ(t.epoch_seconds, 1704067200);
  EXPECT_EQ(t.nanos, 250000000);
  // Leap second is accepted as written.
  ASSERT_TRUE(ParseRfc3339("2016-12-31T23:59:60Z", &t));
  EXPECT_EQ(t.epoch_seconds, 1483228800);
}

TEST(Timestamp, Invalid) {
  Rfc3339Time t;
  t.epoch_seconds = 42;
  for (const char* bad : {"", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
                          "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-32T00:00:00Z",
                          "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z",
                          "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+1:00",
                          "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+01:00 ", "24-01-01T00:00:00Z",
                          "2024/01/01T00:00:00Z", "2024-01-01T00:00:00UTC", "abcd-ef-ghTij:kl:mnZ"}) {
    EXPECT_FALSE(ParseRfc3339(bad, &t)) << bad;
  }
  EXPECT_EQ(t.epoch_seconds, 42);  // untouched on failure
}
