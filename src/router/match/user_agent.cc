#include "router/match/user_agent.h"

#include "router/match/text_matcher.h"

namespace portico::router {
namespace {

constexpr std::string_view kBotTokens[] = {
    "bot",    "crawl",     "spider",  "slurp",          "headless",    "facebookexternalhit",
    "curl/",  "wget/",     "python-", "go-http-client", "libwww-perl", "java/",
    "scrapy", "httpclient"};
constexpr std::string_view kTabletTokens[] = {"ipad", "tablet", "kindle", "silk/", "playbook"};
constexpr std::string_view kMobileTokens[] = {
    "mobi", "iphone", "ipod", "android", "windows phone", "blackberry", "opera mini", "webos"};

template <size_t N>
bool containsAny(std::string_view ua, const std::string_view (&tokens)[N]) {
  for (std::string_view t : tokens)
    if (containsIgnoreCase(ua, t)) return true;
  return false;
}

}  // namespace

bool containsIgnoreCase(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.empty()) return true;
  if (haystack.size() < lower_needle.size()) return false;
  const size_t last = haystack.size() - lower_needle.size();
  for (size_t i = 0; i <= last; ++i) {
    if (lowerAscii(haystack[i]) != lower_needle[0]) continue;
    size_t j = 1;
    while (j < lower_needle.size() && lowerAscii(haystack[i + j]) == lower_needle[j]) ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

DeviceClass classifyUserAgent(std::string_view ua) {
  if (ua.empty() || containsAny(ua, kBotTokens)) return DeviceClass::Bot;
  if (containsAny(ua, kTabletTokens)) return DeviceClass::Tablet;
  const bool android = containsIgnoreCase(ua, "android");
  if (android && !containsIgnoreCase(ua, "mobi")) return DeviceClass::Tablet;
  if (containsAny(ua, kMobileTokens)) return DeviceClass::Mobile;
  return DeviceClass::Desktop;
}

std::string_view deviceClassName(DeviceClass d) {
  switch (d) {
    case DeviceClass::Mobile:
      return "mobile";
    case DeviceClass::Tablet:
      return "tablet";
    case DeviceClass::Desktop:
      return "desktop";
    case DeviceClass::Bot:
      return "bot";
  }
  return "?";
}

std::optional<DeviceClass> parseDeviceClass(std::string_view name) {
  for (DeviceClass d :
       {DeviceClass::Mobile, DeviceClass::Tablet, DeviceClass::Desktop, DeviceClass::Bot})
    if (deviceClassName(d) == name) return d;
  return std::nullopt;
}

}  // namespace portico::router
