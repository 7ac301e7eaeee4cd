#pragma once
// A MaxMind-format (.mmdb) geolocation database, read with libmaxminddb: the country and
// continent of an IP address. Opened once at config load (memory-mapped) and shared read-only
// by every worker; lookup() is thread-safe and allocation-free.
// Records may use MaxMind's layout (country.iso_code, continent.code) or a flat country_code
// (ip-location-db); a missing continent is derived from the country (continentOf).
#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>

struct MMDB_s;

namespace portico::router {

// Two-letter upper-case codes; "" when unknown.
struct GeoInfo {
  char country[3] = {0, 0, 0};
  char continent[3] = {0, 0, 0};
  std::string_view countryCode() const { return country; }
  std::string_view continentCode() const { return continent; }
};

class GeoDatabase {
 public:
  // Opens `path`. Returns null with a readable reason in *error when the file is missing or is
  // not a MaxMind DB.
  static std::shared_ptr<const GeoDatabase> open(const std::string& path, std::string* error);
  ~GeoDatabase();
  GeoDatabase(const GeoDatabase&) = delete;
  GeoDatabase& operator=(const GeoDatabase&) = delete;

  // Looks up an AF_INET/AF_INET6 address (IPv4-mapped IPv6 is looked up as IPv4). Unknown
  // addresses, other families and null give empty codes.
  GeoInfo lookup(const sockaddr* sa) const;
  // The file it was opened from.
  const std::string& path() const { return path_; }

 private:
  GeoDatabase() = default;
  std::string path_;
  std::unique_ptr<MMDB_s> mmdb_;
};

// The continent code (AF, AN, AS, EU, NA, OC, SA) of an ISO 3166-1 alpha-2 country code
// (upper-case), or "" when unknown.
std::string_view continentOf(std::string_view country);

// True for a continent code continentOf can return.
bool isContinentCode(std::string_view code);

}  // namespace portico::router
