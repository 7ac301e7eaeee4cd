// portico command line: run, check, --version, --help.
#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.h"
#include "core/log.h"
#include "proxy/snapshot.h"
#include "router/route_check.h"
#include "server/server.h"

namespace {

const char* kUsage =
    "portico - a reverse proxy\n"
    "\n"
    "Usage:\n"
    "  portico run -c FILE      run with the config FILE (same as: portico -c FILE)\n"
    "  portico check -c FILE    validate FILE and exit 0 (valid) or 1 (invalid)\n"
    "  portico --version        print the version\n"
    "  portico --help           print this help\n"
    "\n"
    "Signals: SIGHUP reloads the config (a bad config keeps the running one);\n"
    "SIGTERM/SIGINT stop accepting, finish in-flight requests, then exit 0.\n";

int usageError(const char* msg) {
  std::fprintf(stderr, "portico: %s\n\n%s", msg, kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = "run";
  std::string config;
  int i = 1;
  if (i < argc && argv[i][0] != '-') command = argv[i++];
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--version" || a == "-v") {
      std::printf("portico %s\n", PORTICO_VERSION);
      return 0;
    }
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      config = argv[++i];
      continue;
    }
    if (a.rfind("--config=", 0) == 0) {
      config = a.substr(9);
      continue;
    }
    return usageError(("unknown argument '" + a + "'").c_str());
  }
  if (command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "version") {
    std::printf("portico %s\n", PORTICO_VERSION);
    return 0;
  }
  if (command != "run" && command != "check")
    return usageError(("unknown command '" + command + "'").c_str());
  if (config.empty()) return usageError("missing -c FILE");
  if (command == "check") {
    try {
      auto cfg = portico::config::loadConfigFile(config);
      portico::proxy::buildSnapshot(cfg);
      for (const std::string& w : portico::router::checkRoutes(*cfg))
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
    std::printf("%s: configuration is valid\n", config.c_str());
    return 0;
  }
  portico::server::Server server(config);
  return server.run();
}
