// Internal to kw_net: the OpenSSL context behind a TlsConfig, shared by the one-shot client and
// the connection (http_connection.h).
#pragma once

#include <boost/asio/ssl.hpp>

#include "net/http_client.h"

namespace kw::net {

struct TlsConfig::Impl {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
};

inline boost::asio::ssl::context& TlsContextOf(const TlsConfig& config) {
  return config.impl().context;
}

}  // namespace kw::net
