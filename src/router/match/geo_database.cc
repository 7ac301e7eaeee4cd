#include "router/match/geo_database.h"

#include <maxminddb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace portico::router {
namespace {

// Copies a two-letter MMDB string into `out` (upper-cased); false if it is not one.
bool copyCode(const MMDB_entry_data_s& d, char (&out)[3]) {
  if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2) return false;
  for (int i = 0; i < 2; ++i) {
    char c = d.utf8_string[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c < 'A' || c > 'Z') return false;
    out[i] = c;
  }
  out[2] = 0;
  return true;
}

}  // namespace

std::shared_ptr<const GeoDatabase> GeoDatabase::open(const std::string& path, std::string* error) {
  std::shared_ptr<GeoDatabase> db(new GeoDatabase());
  db->path_ = path;
  db->mmdb_ = std::make_unique<MMDB_s>();
  int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db->mmdb_.get());
  if (rc != MMDB_SUCCESS) {
    if (error) {
      *error = std::string("cannot open geolocation database '") + path +
               "': " + (rc == MMDB_IO_ERROR ? std::strerror(errno) : MMDB_strerror(rc));
    }
    db->mmdb_.reset();
    return nullptr;
  }
  return db;
}

GeoDatabase::~GeoDatabase() {
  if (mmdb_) MMDB_close(mmdb_.get());
}

GeoInfo GeoDatabase::lookup(const sockaddr* sa) const {
  GeoInfo info;
  if (!sa || !mmdb_) return info;
  sockaddr_in v4{};
  if (sa->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, v6->sin6_addr.s6_addr + 12, 4);
      sa = reinterpret_cast<const sockaddr*>(&v4);
    }
  } else if (sa->sa_family != AF_INET) {
    return info;
  }
  int mmdb_error = 0;
  MMDB_lookup_result_s r = MMDB_lookup_sockaddr(mmdb_.get(), sa, &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !r.found_entry) return info;
  MMDB_entry_data_s d;
  const bool have = MMDB_get_value(&r.entry, &d, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
                    copyCode(d, info.country);
  if (!have && MMDB_get_value(&r.entry, &d, "country_code", nullptr) == MMDB_SUCCESS)
    copyCode(d, info.country);
  if (!(MMDB_get_value(&r.entry, &d, "continent", "code", nullptr) == MMDB_SUCCESS &&
        copyCode(d, info.continent))) {
    std::string_view c = continentOf(info.countryCode());
    if (c.size() == 2) {
      info.continent[0] = c[0];
      info.continent[1] = c[1];
    }
  }
  return info;
}

}  // namespace portico::router
