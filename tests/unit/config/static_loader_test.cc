// The `static:` route action: keys, defaults, the root directory check and its errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config_test_util.h"

namespace portico::config {
namespace {

using testing::errorOf;

class StaticLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portico-static-cfg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/file.txt") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A config whose only route is `route` (indented as a routes[] item's keys).
  static std::string config(const std::string& route) {
    return "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n      - match: { path_prefix: "
           "/assets }\n" +
           route;
  }
  std::string dir_;
};

TEST_F(StaticLoader, Defaults) {
  auto c = loadConfigText(config("        static: { root: " + dir_ + " }\n"), "t.yaml");
  const StaticFiles& s = c->listeners[0].routes[0].static_files;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.root, dir_);
  EXPECT_EQ(s.index, std::vector<std::string>{"index.html"});
  EXPECT_FALSE(s.strip_prefix);
  EXPECT_EQ(s.max_age_s, -1);
  EXPECT_TRUE(c->listeners[0].routes[0].cluster.empty());
}

TEST_F(StaticLoader, AllKeys) {
  auto c = loadConfigText(config("        static:\n          root: " + dir_ +
                                 "\n          index: [index.htm, default.html]\n"
                                 "          strip_prefix: true\n          max_age: 3600\n"),
                          "t.yaml");
  const StaticFiles& s = c->listeners[0].routes[0].static_files;
  EXPECT_EQ(s.index, (std::vector<std::string>{"index.htm", "default.html"}));
  EXPECT_TRUE(s.strip_prefix);
  EXPECT_EQ(s.max_age_s, 3600);
}

TEST_F(StaticLoader, Errors) {
  std::string e = errorOf(config("        static: { index: [a] }\n"));
  EXPECT_NE(e.find("static.root: missing required key 'root'"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + "/nope }\n"));
  EXPECT_NE(e.find("t.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("static.root: directory '" + dir_ + "/nope' does not exist"), std::string::npos)
      << e;
  e = errorOf(config("        static: { root: " + dir_ + "/file.txt }\n"));
  EXPECT_NE(e.find("is not a directory"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + ", index: [a/b] }\n"));
  EXPECT_NE(e.find("static.index[0]: an index file is a name in the directory"), std::string::npos)
      << e;
  e = errorOf(config("        static: { root: " + dir_ + ", index: [\"..\"] }\n"));
  EXPECT_NE(e.find("static.index[0]"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + ", roots: x }\n"));
  EXPECT_NE(e.find("unknown key 'roots', did you mean 'root'?"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + ", max_age: -1 }\n"));
  EXPECT_NE(e.find("static.max_age"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + " }\n        cluster: c\n"));
  EXPECT_NE(e.find("not both"), std::string::npos) << e;
  e = errorOf(
      config("        static: { root: " + dir_ + " }\n        direct_response: { status: 200 }\n"));
  EXPECT_NE(e.find("one of redirect, direct_response and static"), std::string::npos) << e;
  e = errorOf(config("        static: { root: " + dir_ + " }\n        rewrite: { prefix: / }\n"));
  EXPECT_NE(e.find("strip_prefix"), std::string::npos) << e;
}

}  // namespace
}  // namespace portico::config
