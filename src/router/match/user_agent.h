#pragma once
// A small User-Agent classifier: bot, tablet, mobile or desktop, from well-known tokens
// (case-insensitive), checked in that order. No allocation. Pure functions, any thread.
//  * bot: "bot", "crawl", "spider", "slurp", "headless", "facebookexternalhit", "curl/",
//    "wget/", "python-", "go-http-client", "libwww-perl", "java/", "scrapy", "httpclient",
//    or an absent/empty User-Agent;
//  * tablet: "ipad", "tablet", "kindle", "silk/", "playbook", or "android" without "mobile";
//  * mobile: "mobi" (Mobile, Mobi), "iphone", "ipod", "android", "windows phone",
//    "blackberry", "opera mini", "webos";
//  * desktop: everything else.
#include <cstdint>
#include <optional>
#include <string_view>

namespace portico::router {

enum class DeviceClass : uint8_t { Mobile = 0, Tablet = 1, Desktop = 2, Bot = 3 };

// Classifies a User-Agent value ("" = absent).
DeviceClass classifyUserAgent(std::string_view ua);

// "mobile", "tablet", "desktop", "bot".
std::string_view deviceClassName(DeviceClass d);
// Parses a class name as written in config (lower-case); nullopt if unknown.
std::optional<DeviceClass> parseDeviceClass(std::string_view name);

// True when `haystack` contains `lower_needle` ignoring ASCII case.
bool containsIgnoreCase(std::string_view haystack, std::string_view lower_needle);

}  // namespace portico::router
