// ASCII case folding for protocol text: header values, SQL keywords, enum
// names. Locale-free, so "I" is "i" whatever the process's locale says.
#pragma once

#include <string>
#include <string_view>

namespace kiln::text {

std::string lower(std::string_view s);
std::string upper(std::string_view s);

}  // namespace kiln::text
