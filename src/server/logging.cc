#include "server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/log_format.h"

namespace kw::server {
namespace {

std::string_view UpstreamLevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "TRACE";
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARN";
    default: return "ERROR";
  }
}

void Append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// %L-like, with tracing's names and, in text, its right-aligned width of 5.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit LevelFlag(bool padded) : padded_(padded) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name = UpstreamLevelName(msg.level);
    if (padded_) {
      for (std::size_t i = name.size(); i < 5; ++i) dest.push_back(' ');
    }
    Append(dest, name);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>(padded_);
  }

 private:
  bool padded_;
};

std::optional<spdlog::level::level_enum> LevelOf(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

}  // namespace

Result<void> SetUpLogging(const Config& config) {
  auto level = LevelOf(config.log_level);
  if (!level) return Fail(ErrorKind::kInvalidArgument, "unknown log level '" + config.log_level + "'");
  bool json = config.log_format == LogFormat::kJson;
  auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>(
      json || config.log_no_color ? spdlog::color_mode::never : spdlog::color_mode::automatic);
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  // %* is the message, escaped (cli/log_format.h): as a JSON string's contents, or for text.
  if (json) {
    formatter->add_flag<LevelFlag>('?', false)
        .add_flag<cli::EscapedMessageFlag>('*', cli::Escaping::kJson)
        .set_pattern(
            R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%?","fields":{"message":"%*"},"target":"policy_server"})");
  } else {
    formatter->add_flag<LevelFlag>('?', true)
        .add_flag<cli::EscapedMessageFlag>('*', cli::Escaping::kText)
        .set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%?%$ policy_server: %*");
  }
  sink->set_formatter(std::move(formatter));
  auto logger = std::make_shared<spdlog::logger>("policy-server", std::move(sink));
  logger->set_level(*level);
  // Each line reaches the log collector at once (and survives a crash); the request path logs
  // at debug only, so this costs nothing per request at the default level.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace kw::server
