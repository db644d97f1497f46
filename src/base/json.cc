#include "base/json.h"

namespace kw {

Result<json::value> ParseJson(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 512;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) {
    // Locate the failure for the user: count lines up to the parser's stopping point is not
    // exposed by Boost.JSON's one-shot parse, so re-run with a stream parser to find it.
    json::stream_parser p({}, opts);
    std::size_t consumed = p.write_some(text.data(), text.size(), ec);
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    if (!ec) {
      p.finish(ec);
    }
    std::string reason = ec ? ec.message() : "incomplete JSON";
    return Fail(ErrorKind::kInvalidArgument, std::string(what) + ": " + reason + " at line " +
                                                 std::to_string(line) + " column " +
                                                 std::to_string(column));
  }
  return v;
}

std::string ToJson(const json::value& value) { return json::serialize(value); }

const json::value* FindKey(const json::value& value, std::string_view key) {
  const auto* obj = value.if_object();
  if (!obj) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &it->value();
}

}  // namespace kw
