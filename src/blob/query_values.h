// How Query Blob's values behave (query_sql.h): numbers read from text,
// comparison, arithmetic, CAST, LIKE and SQL's three-valued truth. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "blob/query_sql.h"

namespace kiln::blob::query {

// The number `v` holds or reads as (text like " 12" or "1.5e3"); nullopt for
// anything else. `is_int` and `i` tell an integer.
std::optional<double> as_number(const Value& v, bool& is_int, int64_t& i);
// `v` as a number, or QueryError naming `what` needed it.
Value number_of(const Value& v, const char* what);
// An empty or blank text field (",," in CSV) is no value where a number is wanted.
Value blank_as_null(Value v);
// <0, 0, >0; nullopt when either is null. Text meeting a number is read as one.
std::optional<int> compare(const Value& a, const Value& b);
// SQL LIKE with % and _.
bool like(std::string_view s, std::string_view pattern);
// SQL's three-valued logic: nullopt is unknown; anything but a boolean or null is QueryError.
std::optional<bool> truth(const Value& v);
Value from_truth(std::optional<bool> t);
// `op` is + - * / %: integers stay integers unless they overflow or `/` leaves a fraction.
Value arithmetic(const std::string& op, const Value& a, const Value& b);
// CAST(v AS type), `type` upper case (INT, FLOAT, STRING, BOOLEAN, TIMESTAMP and their synonyms).
Value cast(const Value& v, const std::string& type);

}  // namespace kiln::blob::query
