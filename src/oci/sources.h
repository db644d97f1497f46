// sources.yaml: which hosts may be reached insecurely, which extra CAs verify which hosts, and
// which proxies carry the traffic (tooling.md §2.4). The same file serves kwctl `--sources-path`
// and policy-server `--sources-path`; it may be YAML or JSON, every key is optional and unknown
// keys are ignored.
//
//   insecure_sources: ["registry-dev.example.com", "host:5500"]   # host[:port], exact match
//   source_authorities:
//     "registry-pre.example.com":                                 # host[:port]
//       - {type: Path, path: /opt/ca.pem}                         # a PEM or DER file
//       - {type: Data, data: "-----BEGIN CERTIFICATE-----\n..."}  # PEM text
//   proxies: {http_proxy: ..., https_proxy: ..., no_proxy: ...}    # net/proxy.h
//
// Every certificate must parse as X.509 (PEM or DER); certificates are kept as PEM text. An
// insecure source may be reached over HTTPS without verification and then over plain HTTP, after
// verified HTTPS failed. Parsing is pure apart from reading the `Path` files; the result is an
// immutable value, safe to share.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/proxy.h"

namespace kw::oci {

// The `proxies` section: net's settings type, so that it can be handed to net::Send as is.
// Whether the environment's proxy variables override it is the caller's choice (net::Overlay).
using Proxies = net::ProxySettings;

struct Sources {
  std::set<std::string> insecure_sources;                              // host[:port]
  std::map<std::string, std::vector<std::string>> source_authorities;  // host[:port] → PEMs
  Proxies proxies;

  // Whether `host` (host[:port] as in the reference or URL) was declared insecure.
  bool IsInsecure(std::string_view host) const;
  // The extra CAs for `host` (empty when none).
  std::vector<std::string> AuthoritiesFor(std::string_view host) const;
  // Every extra CA of every host: upstream's OCI client trusts them all for all registries.
  std::vector<std::string> AllAuthorities() const;
};

// Parses sources.yaml text. Relative `Path` entries are read relative to the process's working
// directory, as upstream does. Errors are kInvalidArgument naming the offending entry.
Result<Sources> ParseSources(std::string_view text);

// Reads and parses the file at `path` (kNotFound when it does not exist).
Result<Sources> LoadSources(const std::string& path);

// Checks that `bytes` hold one or more X.509 certificates, PEM or DER, and returns them as PEM.
Result<std::string> CertificatesAsPem(std::string_view bytes);

}  // namespace kw::oci
