#include "kube_apiserver/auth.h"

#include "base/strings.h"

namespace kw::kube_double {

Result<std::vector<std::string>> ParseCsvLine(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  bool field_start = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
        if (i + 1 < line.size() && line[i + 1] != ',') {
          return Fail(ErrorKind::kInvalidArgument, "extraneous or missing \" in quoted-field");
        }
      } else {
        fields.back() += c;
      }
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      field_start = true;
      continue;
    }
    if (c == '"') {
      if (!field_start) return Fail(ErrorKind::kInvalidArgument, "bare \" in non-quoted-field");
      quoted = true;
    } else {
      fields.back() += c;
    }
    field_start = false;
  }
  if (quoted) return Fail(ErrorKind::kInvalidArgument, "extraneous or missing \" in quoted-field");
  return fields;
}

Result<TokenTable> ParseTokenFile(std::string_view text) {
  TokenTable table;
  std::size_t line_number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (TrimWhitespace(line).empty()) continue;
    auto fields = ParseCsvLine(line);
    if (!fields) {
      return Fail(ErrorKind::kInvalidArgument,
                  "token file line " + std::to_string(line_number) + ": " + fields.error().message);
    }
    if (fields->size() < 3) {
      return Fail(ErrorKind::kInvalidArgument,
                  "token file line " + std::to_string(line_number) +
                      ": expected at least 3 fields (token,user,uid), found " +
                      std::to_string(fields->size()));
    }
    Identity identity{(*fields)[1], (*fields)[2], {}};
    if (fields->size() > 3) {
      std::string_view groups = (*fields)[3];
      while (!groups.empty()) {
        std::size_t comma = groups.find(',');
        std::string_view group = TrimBlanks(groups.substr(0, comma));
        if (!group.empty()) identity.groups.emplace_back(group);
        groups = comma == std::string_view::npos ? std::string_view() : groups.substr(comma + 1);
      }
    }
    table[(*fields)[0]] = std::move(identity);
  }
  return table;
}

}  // namespace kw::kube_double
