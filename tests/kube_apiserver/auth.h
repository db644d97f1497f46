// Who a request comes from: kube-apiserver's static token file, and client certificates.
//
// Token file (--token-file): CSV lines `token,user,uid[,"group1,group2,..."]` as the real
// server reads them (encoding/csv: double-quoted fields may hold commas, `""` is a quote);
// blank lines are skipped; a line with fewer than three fields is an error naming the line.
// A certificate authenticates its subject's CN as the user and its O entries as the groups.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::kube_double {

struct Identity {
  std::string user;
  std::string uid;
  std::vector<std::string> groups;
};

using TokenTable = std::map<std::string, Identity, std::less<>>;

Result<TokenTable> ParseTokenFile(std::string_view text);

// One CSV record's fields (RFC 4180 quoting); kInvalidArgument on a stray quote.
Result<std::vector<std::string>> ParseCsvLine(std::string_view line);

}  // namespace kw::kube_double
