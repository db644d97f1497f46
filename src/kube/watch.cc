#include "kube/watch.h"


namespace kw::kube {

namespace {

std::optional<WatchEvent::Type> TypeOf(std::string_view name) {
  if (name == "ADDED") return WatchEvent::Type::kAdded;
  if (name == "MODIFIED") return WatchEvent::Type::kModified;
  if (name == "DELETED") return WatchEvent::Type::kDeleted;
  if (name == "BOOKMARK") return WatchEvent::Type::kBookmark;
  if (name == "ERROR") return WatchEvent::Type::kError;
  return std::nullopt;
}

Result<WatchEvent> ToEvent(json::value value) {
  const json::value* type = FindKey(value, "type");
  json::value* object = value.is_object() ? value.as_object().if_contains("object") : nullptr;
  if (type == nullptr || !type->is_string() || object == nullptr || !object->is_object()) {
    return Fail(ErrorKind::kIo, "malformed watch event: not {\"type\", \"object\"}");
  }
  auto parsed_type = TypeOf(type->as_string());
  if (!parsed_type) {
    return Fail(ErrorKind::kIo,
                "malformed watch event: unknown type '" +
                    std::string(type->as_string().subview(0, 40)) + "'");
  }
  return WatchEvent{*parsed_type, std::move(*object)};
}

// An ERROR event carries a Status: the same error as a refused request with its code.
Error ErrorOfEvent(const json::value& status) {
  const json::value* code = FindKey(status, "code");
  const bool valid = code != nullptr && code->is_int64() && code->as_int64() >= 100 &&
                     code->as_int64() <= 599;
  return StatusError(valid ? static_cast<unsigned>(code->as_int64()) : 500, ToJson(status));
}

}  // namespace

struct WatchDecoder::Impl {
  std::size_t max_event_bytes;
  json::stream_parser parser;
  std::size_t event_bytes = 0;  // fed into the event under way
  bool failed = false;

  explicit Impl(std::size_t max) : max_event_bytes(max), parser({}, [] {
    json::parse_options options;
    options.max_depth = 512;
    return options;
  }()) {}
};

WatchDecoder::WatchDecoder(std::size_t max_event_bytes)
    : impl_(std::make_unique<Impl>(max_event_bytes)) {}
WatchDecoder::~WatchDecoder() = default;

Result<bool> WatchDecoder::Feed(std::string_view bytes,
                                const std::function<bool(WatchEvent&)>& on_event) {
  Impl& self = *impl_;
  if (self.failed) return Fail(ErrorKind::kIo, "the watch stream was already malformed");
  while (!bytes.empty()) {
    // Blanks between events (the server's newlines) belong to no event.
    if (self.event_bytes == 0) {
      const std::size_t start = bytes.find_first_not_of(" \t\r\n");
      if (start == std::string_view::npos) return false;
      bytes.remove_prefix(start);
    }
    boost::system::error_code ec;
    const std::size_t used = self.parser.write_some(bytes.data(), bytes.size(), ec);
    self.event_bytes += used;
    if (ec) {
      self.failed = true;
      return Fail(ErrorKind::kIo, "malformed watch event: " + ec.message());
    }
    if (self.event_bytes > self.max_event_bytes) {
      self.failed = true;
      return Fail(ErrorKind::kIo, "a watch event is larger than " +
                                      std::to_string(self.max_event_bytes) + " bytes");
    }
    bytes.remove_prefix(used);
    if (!self.parser.done()) continue;
    json::value value = self.parser.release();
    self.parser.reset();
    self.event_bytes = 0;
    auto event = ToEvent(std::move(value));
    if (!event) {
      self.failed = true;
      return std::unexpected(std::move(event).error());
    }
    if (!on_event(*event)) return true;
  }
  return false;
}

Result<void> WatchOnce(const Client& client, const ResourceType& type, const WatchOptions& options,
                       const std::function<bool(WatchEvent&)>& on_event,
                       Client::StreamHandle* handle) {
  std::string path = type.CollectionPath(options.ns);
  AddQuery(path, "watch", "true");
  AddSelectors(path, options.selectors);
  AddQuery(path, "resourceVersion", options.resource_version);
  if (options.bookmarks) AddQuery(path, "allowWatchBookmarks", "true");
  AddQuery(path, "timeoutSeconds", std::to_string(options.server_timeout.count()));
  ApiRequest request;
  request.path = std::move(path);
  WatchDecoder decoder;
  std::optional<Error> failure;
  KW_TRY(client.Stream(request, options.idle_timeout,
                       [&](std::string_view bytes) {
                         auto fed = decoder.Feed(bytes, [&](WatchEvent& event) {
                           if (event.type == WatchEvent::Type::kError) {
                             failure = ErrorOfEvent(event.object);
                             return false;
                           }
                           return on_event(event);
                         });
                         if (!fed) {
                           failure = std::move(fed).error();
                           return false;
                         }
                         return !*fed && !failure;
                       },
                       handle));
  if (failure) return std::unexpected(std::move(*failure));
  return {};
}

}  // namespace kw::kube
