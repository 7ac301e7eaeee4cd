#pragma once
// The YAML config loader. Its entry points, loadConfigFile() and loadConfigText(), are declared
// in config/config.h next to the Config they produce; this header exists so either include works.
// The building blocks it uses are public too: config/units.h (durations, sizes),
// config/address.h (host:port), config/suggest.h (typo hints) and net/cidr.h (trusted_proxies).
#include "config/config.h"
