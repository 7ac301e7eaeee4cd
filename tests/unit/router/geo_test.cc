// Geolocation with a real MaxMind-format database (scripts/install_geo_db.sh puts it in
// build-geo/). These tests skip, saying so, only when that file is absent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "request_builder.h"
#include "router/condition_factory.h"
#include "router/match/client_address.h"
#include "router/match/geo_database.h"
#include "router/match/request_fields.h"

namespace portico::router {
namespace {

std::string geoDbPath() {
  if (const char* env = std::getenv("PORTICO_GEO_DB")) return env;
  return std::string(PORTICO_SOURCE_DIR) + "/build-geo/iptoasn-country.mmdb";
}

std::shared_ptr<const GeoDatabase> openOrSkip() {
  struct stat st;
  if (::stat(geoDbPath().c_str(), &st) != 0) return nullptr;
  std::string error;
  auto db = GeoDatabase::open(geoDbPath(), &error);
  EXPECT_NE(db, nullptr) << error;
  return db;
}

#define REQUIRE_GEO_DB(db)                                       \
  auto db = openOrSkip();                                        \
  if (!db)                                                       \
    GTEST_SKIP() << "no geolocation database at " << geoDbPath() \
                 << " (run scripts/install_geo_db.sh)";

GeoInfo lookup(const GeoDatabase& db, const std::string& ip) {
  net::SockAddr a;
  EXPECT_TRUE(parseIpLiteral(ip, a)) << ip;
  return db.lookup(&a.sa);
}

TEST(RouteGeo, LookupCountryAndContinent) {
  REQUIRE_GEO_DB(db);
  struct Case {
    const char* ip;
    const char* country;
    const char* continent;
  } cases[] = {
      {"8.8.8.8", "US", "NA"},
      {"193.0.6.139", "NL", "EU"},
      {"200.160.2.3", "BR", "SA"},
      {"133.1.1.1", "JP", "AS"},
      {"202.12.29.1", "AU", "OC"},
      {"41.0.0.1", "ZA", "AF"},
      {"2001:4860:4860::8888", "US", "NA"},
      {"::ffff:193.0.6.139", "NL", "EU"},
      {"127.0.0.1", "", ""},
      {"10.1.2.3", "", ""},
  };
  for (const Case& c : cases) {
    GeoInfo g = lookup(*db, c.ip);
    EXPECT_EQ(g.countryCode(), c.country) << c.ip;
    EXPECT_EQ(g.continentCode(), c.continent) << c.ip;
  }
  EXPECT_EQ(db->lookup(nullptr).countryCode(), "");
}

TEST(RouteGeo, CountryAndContinentConditions) {
  REQUIRE_GEO_DB(db);
  std::string e;
  auto eu = makeGeo(Condition::Kind::Continent, {"eu"}, db, &e);
  auto us_br = makeGeo(Condition::Kind::Country, {"US", "br"}, db, &e);
  ASSERT_NE(eu, nullptr) << e;
  ASSERT_NE(us_br, nullptr) << e;
  auto eval = [](const ConditionPtr& c, const testing::Req& r) {
    const RequestView v = r.view();
    EvalContext ctx(v, v.host, targetPath(v.target));
    return c->evaluate(ctx);
  };
  EXPECT_TRUE(eval(eu, testing::Req().peer("193.0.6.139")));
  EXPECT_FALSE(eval(eu, testing::Req().peer("8.8.8.8")));
  EXPECT_TRUE(eval(us_br, testing::Req().peer("8.8.8.8")));
  EXPECT_TRUE(eval(us_br, testing::Req().peer("200.160.2.3")));
  EXPECT_FALSE(eval(us_br, testing::Req().peer("127.0.0.1")));
  // Behind a trusted proxy the forwarded client address is located.
  testing::Req via;
  via.peer("10.0.0.1").trusted({"10.0.0.0/8"}).header("X-Forwarded-For", "193.0.6.139");
  EXPECT_TRUE(eval(eu, via));
}

TEST(RouteGeo, OpenErrors) {
  std::string e;
  EXPECT_EQ(GeoDatabase::open("/nonexistent/geo.mmdb", &e), nullptr);
  EXPECT_NE(e.find("cannot open geolocation database '/nonexistent/geo.mmdb'"), std::string::npos)
      << e;
  EXPECT_EQ(GeoDatabase::open(std::string(PORTICO_SOURCE_DIR) + "/CMakeLists.txt", &e), nullptr);
  EXPECT_EQ(makeGeo(Condition::Kind::Country, {"FR"}, nullptr, &e), nullptr);
  EXPECT_NE(e.find("geoip: { database: FILE }"), std::string::npos);
}

TEST(RouteGeo, CodesAreValidated) {
  REQUIRE_GEO_DB(db);
  std::string e;
  EXPECT_EQ(makeGeo(Condition::Kind::Country, {"XX"}, db, &e), nullptr);
  EXPECT_NE(e.find("unknown country code 'XX'"), std::string::npos);
  EXPECT_EQ(makeGeo(Condition::Kind::Continent, {"EUR"}, db, &e), nullptr);
  EXPECT_NE(e.find("unknown continent code 'EUR'"), std::string::npos);
}

}  // namespace
}  // namespace portico::router
