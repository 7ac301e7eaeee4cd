// Country -> continent table (the seven codes MaxMind uses), for databases whose records carry
// only a country code.
#include <array>
#include <string_view>

#include "router/match/geo_database.h"

namespace portico::router {
namespace {

struct ContinentCountries {
  std::string_view continent;
  std::string_view countries;  // space-separated ISO 3166-1 alpha-2 codes
};

constexpr ContinentCountries kContinents[] = {
    {"AF",
     "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG "
     "ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW"},
    {"AN", "AQ BV GS HM TF"},
    {"AS",
     "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK "
     "MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"},
    {"EU",
     "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI "
     "LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"},
    {"NA",
     "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI "
     "PA PM PR SV SX TC TT US VC VG VI"},
    {"OC", "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"},
    {"SA", "AR BO BR CL CO EC FK GF GY PE PY SR UY VE"},
};

// [first letter][second letter] -> 1 + index into kContinents; 0 = unknown.
using Table = std::array<std::array<unsigned char, 26>, 26>;

constexpr Table makeTable() {
  Table t{};
  for (size_t i = 0; i < std::size(kContinents); ++i) {
    std::string_view s = kContinents[i].countries;
    for (size_t p = 0; p + 1 < s.size(); p += 3)
      t[static_cast<size_t>(s[p] - 'A')][static_cast<size_t>(s[p + 1] - 'A')] =
          static_cast<unsigned char>(i + 1);
  }
  return t;
}

constexpr Table kTable = makeTable();

}  // namespace

std::string_view continentOf(std::string_view country) {
  if (country.size() != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' ||
      country[1] > 'Z')
    return {};
  unsigned char i =
      kTable[static_cast<size_t>(country[0] - 'A')][static_cast<size_t>(country[1] - 'A')];
  return i == 0 ? std::string_view() : kContinents[i - 1].continent;
}

bool isContinentCode(std::string_view code) {
  for (const ContinentCountries& c : kContinents)
    if (c.continent == code) return true;
  return false;
}

}  // namespace portico::router
