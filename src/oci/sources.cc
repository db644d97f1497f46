#include "oci/sources.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "base/files.h"
#include "base/json.h"
#include "base/json_fields.h"
#include "base/yaml.h"

namespace kw::oci {
namespace {

constexpr std::size_t kMaxCertificateFileBytes = 1u << 20;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

Result<std::optional<std::string>> OptionalString(const json::object& object, std::string_view key,
                                                  std::string_view path) {
  const json::value* value = json_fields::FindSet(object, key);
  if (value == nullptr) return std::nullopt;
  KW_ASSIGN_OR_RETURN(std::string s, json_fields::GetString(*value, path));
  return s;
}

}  // namespace

Result<std::string> CertificatesAsPem(std::string_view bytes) {
  std::string pem;
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    std::unique_ptr<BIO, BioDeleter> bio(
        BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    int count = 0;
    while (true) {
      std::unique_ptr<X509, X509Deleter> cert(
          PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (!cert) break;
      std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_mem()));
      PEM_write_bio_X509(out.get(), cert.get());
      char* data = nullptr;
      const long size = BIO_get_mem_data(out.get(), &data);
      pem.append(data, static_cast<std::size_t>(size));
      ++count;
    }
    ERR_clear_error();  // the read that ended the loop left "no start line" behind
    if (count == 0) return Fail(ErrorKind::kInvalidArgument, "not a PEM X.509 certificate");
    return pem;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::unique_ptr<X509, X509Deleter> cert(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  ERR_clear_error();
  if (!cert || p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
    return Fail(ErrorKind::kInvalidArgument, "not a PEM or DER X.509 certificate");
  }
  std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), cert.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool Sources::IsInsecure(std::string_view host) const {
  return insecure_sources.contains(std::string(host));
}

std::vector<std::string> Sources::AuthoritiesFor(std::string_view host) const {
  auto it = source_authorities.find(std::string(host));
  return it == source_authorities.end() ? std::vector<std::string>() : it->second;
}

std::vector<std::string> Sources::AllAuthorities() const {
  std::vector<std::string> all;
  for (const auto& [host, pems] : source_authorities)
    all.insert(all.end(), pems.begin(), pems.end());
  return all;
}

Result<Sources> ParseSources(std::string_view text) {
  KW_ASSIGN_OR_RETURN(json::value doc, ParseYamlAsJson(text, "invalid sources file"));
  Sources sources;
  if (doc.is_null()) return sources;
  if (!doc.is_object()) return json_fields::WrongType("sources", "an object", doc);
  const json::object& root = doc.as_object();
  if (const json::value* insecure = json_fields::FindSet(root, "insecure_sources")) {
    KW_ASSIGN_OR_RETURN(std::vector<std::string> hosts,
                        json_fields::GetStringList(*insecure, "insecure_sources"));
    sources.insecure_sources.insert(hosts.begin(), hosts.end());
  }
  if (const json::value* authorities = json_fields::FindSet(root, "source_authorities")) {
    if (!authorities->is_object()) {
      return json_fields::WrongType("source_authorities", "an object", *authorities);
    }
    for (const auto& [host, entries] : authorities->as_object()) {
      const std::string field = "source_authorities." + std::string(host);
      if (!entries.is_array()) return json_fields::WrongType(field, "a list", entries);
      std::vector<std::string>& pems = sources.source_authorities[std::string(host)];
      for (std::size_t i = 0; i < entries.as_array().size(); ++i) {
        const json::value& entry = entries.as_array()[i];
        const std::string entry_field = json_fields::Indexed(field, i);
        if (!entry.is_object()) return json_fields::WrongType(entry_field, "an object", entry);
        const json::object& e = entry.as_object();
        KW_ASSIGN_OR_RETURN(const json::value* type_value,
                            json_fields::FindRequired(e, "type", entry_field + ".type"));
        // Not KW_ASSIGN_OR_RETURN: g++ 12 warns (falsely) that the moved-out string may be
        // uninitialized in the comparisons below.
        const Result<std::string> type_result =
            json_fields::GetString(*type_value, entry_field + ".type");
        if (!type_result) return std::unexpected(type_result.error());
        const std::string& type = *type_result;
        std::string bytes;
        if (type == "Path") {
          KW_ASSIGN_OR_RETURN(const json::value* path_value,
                              json_fields::FindRequired(e, "path", entry_field + ".path"));
          KW_ASSIGN_OR_RETURN(std::string path,
                              json_fields::GetString(*path_value, entry_field + ".path"));
          auto read = ReadFile(path, kMaxCertificateFileBytes);
          if (!read) return std::unexpected(read.error().Wrap(entry_field));
          bytes = std::move(*read);
        } else if (type == "Data") {
          KW_ASSIGN_OR_RETURN(const json::value* data_value,
                              json_fields::FindRequired(e, "data", entry_field + ".data"));
          KW_ASSIGN_OR_RETURN(bytes, json_fields::GetString(*data_value, entry_field + ".data"));
        } else {
          return json_fields::Invalid("field '" + entry_field +
                                      ".type' must be Path or Data, got '" + type + "'");
        }
        auto pem = CertificatesAsPem(bytes);
        if (!pem) return std::unexpected(pem.error().Wrap(entry_field));
        pems.push_back(std::move(*pem));
      }
    }
  }
  if (const json::value* proxies = json_fields::FindSet(root, "proxies")) {
    if (!proxies->is_object()) return json_fields::WrongType("proxies", "an object", *proxies);
    const json::object& p = proxies->as_object();
    KW_ASSIGN_OR_RETURN(sources.proxies.http_proxy,
                        OptionalString(p, "http_proxy", "proxies.http_proxy"));
    KW_ASSIGN_OR_RETURN(sources.proxies.https_proxy,
                        OptionalString(p, "https_proxy", "proxies.https_proxy"));
    KW_ASSIGN_OR_RETURN(sources.proxies.no_proxy,
                        OptionalString(p, "no_proxy", "proxies.no_proxy"));
  }
  return sources;
}

Result<Sources> LoadSources(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  auto sources = ParseSources(text);
  if (!sources) return std::unexpected(sources.error().Wrap(path));
  return sources;
}

}  // namespace kw::oci
